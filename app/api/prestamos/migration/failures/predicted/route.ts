// GET /api/prestamos/migration/failures/predicted — prestamos the rules refuse now, before any run; keyset paged (?code=&after=&limit=).
import { PredictedFailuresQuery } from "@/lib/api/schemas";
import { methodNotAllowed } from "@/lib/http/fallback";
import { route } from "@/lib/http/route";
import { listPredictedFailures } from "@/lib/migration/predicted-failures";

export const GET = route({
  role: "reviewer",
  query: PredictedFailuresQuery,
  handler: async ({ db, query }) => listPredictedFailures(db, query),
});
export const { POST, PUT, PATCH, DELETE, OPTIONS } = methodNotAllowed("GET");
