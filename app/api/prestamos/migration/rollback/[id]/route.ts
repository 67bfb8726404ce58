// POST /api/prestamos/migration/rollback/:id — rolls one migrated prestamo back; 409 otherwise.
import { methodNotAllowed } from "@/lib/http/fallback";
import { route } from "@/lib/http/route";
import { IdParams } from "@/lib/api/schemas";
import { rollbackOne } from "@/lib/migration/prestamo-actions";

export const POST = route({
  role: "admin",
  action: "migration.rollback",
  target: (p) => `prestamo:${p.id}`,
  params: IdParams,
  handler: async ({ db, params, actor }) => rollbackOne(db, params.id, actor),
});
export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = methodNotAllowed("POST");
