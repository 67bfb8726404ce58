// GET /api/prestamos/migration/failures — failed prestamos with their rules, paged, filterable by code (?code=&legacyId=&page=&limit=).
import { FailuresQuery } from "@/lib/api/schemas";
import { methodNotAllowed } from "@/lib/http/fallback";
import { route } from "@/lib/http/route";
import { listFailures } from "@/lib/migration/failures";

export const GET = route({
  role: "reviewer",
  query: FailuresQuery,
  handler: async ({ db, query }) => listFailures(db, query),
});
export const { POST, PUT, PATCH, DELETE, OPTIONS } = methodNotAllowed("GET");
