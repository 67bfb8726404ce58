// POST /api/prestamos/migration/revert — back to the legacy tables as the source of truth; body {confirm: "REVERT"}.
import { RevertBody } from "@/lib/api/migration";
import { methodNotAllowed } from "@/lib/http/fallback";
import { route } from "@/lib/http/route";
import { revert } from "@/lib/migration/cutover";

export const POST = route({
  role: "admin",
  action: "migration.revert",
  body: RevertBody,
  handler: async ({ db, actor }) => revert(db, actor),
});
export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = methodNotAllowed("POST");
