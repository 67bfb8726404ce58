// GET /api/prestamos — legacy prestamos with their migration state, keyset paged, filtered and searched (?state=&code=&q=&after=&before=&limit=).
import { PrestamosQuery } from "@/lib/api/schemas";
import { methodNotAllowed } from "@/lib/http/fallback";
import { route } from "@/lib/http/route";
import { listPrestamos } from "@/lib/migration/prestamo-list";

export const GET = route({
  role: "reviewer",
  query: PrestamosQuery,
  handler: async ({ db, query }) => listPrestamos(db, query),
});
export const { POST, PUT, PATCH, DELETE, OPTIONS } = methodNotAllowed("GET");
