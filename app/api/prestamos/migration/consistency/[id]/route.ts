// GET /api/prestamos/migration/consistency/:id — the field-level diff of one prestamo (legacy as stored, expected, new).
import { IdParams } from "@/lib/api/schemas";
import { methodNotAllowed } from "@/lib/http/fallback";
import { route } from "@/lib/http/route";
import { getPrestamoDiff } from "@/lib/migration/prestamo-diff";

export const GET = route({
  role: "reviewer",
  params: IdParams,
  handler: async ({ db, params }) => getPrestamoDiff(db, params.id),
});
export const { POST, PUT, PATCH, DELETE, OPTIONS } = methodNotAllowed("GET");
