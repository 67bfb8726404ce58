// POST /api/prestamos/migration/finalize — ends the way back; body {confirm: "FINALIZE", dropViews?}.
import { FinalizeBody } from "@/lib/api/migration";
import { methodNotAllowed } from "@/lib/http/fallback";
import { route } from "@/lib/http/route";
import { finalize } from "@/lib/migration/cutover";

export const POST = route({
  role: "admin",
  action: "migration.finalize",
  body: FinalizeBody,
  handler: async ({ db, actor, body }) => finalize(db, actor, { dropViews: body.dropViews }),
});
export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = methodNotAllowed("POST");
