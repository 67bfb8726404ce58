// GET /api/prestamos/migration/consistency — the §5 summary and one page of mismatches (?category=&page=&limit=).
import { ConsistencyQuery } from "@/lib/api/schemas";
import { methodNotAllowed } from "@/lib/http/fallback";
import { route } from "@/lib/http/route";
import { getConsistency } from "@/lib/migration/consistency";

export const GET = route({
  role: "reviewer",
  query: ConsistencyQuery,
  handler: async ({ db, query }) => getConsistency(db, { category: query.category, page: query.page, limit: query.limit }),
});
export const { POST, PUT, PATCH, DELETE, OPTIONS } = methodNotAllowed("GET");
