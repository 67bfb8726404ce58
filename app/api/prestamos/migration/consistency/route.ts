// GET /api/prestamos/migration/consistency — the §5 summary and one page of mismatches (?category=&page=&limit=).
import { ConsistencyQuery } from "@/lib/api/schemas";
import { methodNotAllowed } from "@/lib/http/fallback";
import { route } from "@/lib/http/route";
import { getConsistencySummary, listMismatches } from "@/lib/migration/consistency";

export const GET = route({
  role: "reviewer",
  query: ConsistencyQuery,
  handler: async ({ db, query }) => {
    const summary = await getConsistencySummary(db);
    const mismatches = await listMismatches(db, { category: query.category, page: query.page, limit: query.limit });
    return { summary, mismatches };
  },
});
export const { POST, PUT, PATCH, DELETE } = methodNotAllowed("GET");
