// POST /api/prestamos/migration/single/:id — migrates (or re-syncs) one legacy prestamo.
import { methodNotAllowed } from "@/lib/http/fallback";
import { route } from "@/lib/http/route";
import { IdParams } from "@/lib/api/schemas";
import { migrateSingle } from "@/lib/migration/prestamo-actions";

export const POST = route({
  role: "admin",
  action: "migration.single",
  target: (p) => `prestamo:${p.id}`,
  params: IdParams,
  handler: async ({ db, params, actor }) => migrateSingle(db, params.id, actor),
});
export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = methodNotAllowed("POST");
