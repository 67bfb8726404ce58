// POST /api/prestamos/migration/rollback — rolls everything back; body {confirm: "ROLLBACK ALL"}.
import { methodNotAllowed } from "@/lib/http/fallback";
import { route } from "@/lib/http/route";
import { RollbackAllBody } from "@/lib/api/migration";
import { rollbackAll } from "@/lib/migration/prestamo-actions";

export const POST = route({
  role: "admin",
  action: "migration.rollback_all",
  body: RollbackAllBody,
  handler: async ({ db, actor }) => rollbackAll(db, actor),
});
export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = methodNotAllowed("POST");
