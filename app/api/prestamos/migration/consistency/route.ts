// GET /api/prestamos/migration/consistency — the latest background §5 summary with its age, and one page of mismatches (?category=&page=&limit=&from=&fresh=1).
import { ConsistencyQuery } from "@/lib/api/schemas";
import { methodNotAllowed } from "@/lib/http/fallback";
import { readConsistency } from "@/lib/http/reads";
import { route } from "@/lib/http/route";

export const GET = route({
  role: "reviewer",
  query: ConsistencyQuery,
  handler: async ({ db, query, actor }) =>
    readConsistency(db, {
      category: query.category,
      page: query.page,
      limit: query.limit,
      from: query.from,
      fresh: query.fresh ? { by: actor.name } : null,
    }),
});
export const { POST, PUT, PATCH, DELETE, OPTIONS } = methodNotAllowed("GET");
