// GET/POST /api/prestamos/migration/cutover — the phase, the gates and the last switch; POST {confirm: "CUT OVER"} switches.
import { CutoverBody } from "@/lib/api/migration";
import { methodNotAllowed } from "@/lib/http/fallback";
import { route } from "@/lib/http/route";
import { cutOver, getCutoverStatus } from "@/lib/migration/cutover";
import { cutoverGateInputs } from "@/lib/server/cutover-inputs";

export const GET = route({
  role: "reviewer",
  handler: async ({ db }) => getCutoverStatus(db, await cutoverGateInputs(db)),
});
export const POST = route({
  role: "admin",
  action: "migration.cutover",
  body: CutoverBody,
  handler: async ({ db, actor }) => cutOver(db, actor, await cutoverGateInputs(db)),
});
export const { PUT, PATCH, DELETE, OPTIONS } = methodNotAllowed("GET", "POST");
