// GET /api/prestamos/migration/metrics — batch time series, throughput, error rate and system figures (?runId=&limit=).
import { MetricsQuery } from "@/lib/api/schemas";
import { methodNotAllowed } from "@/lib/http/fallback";
import { route } from "@/lib/http/route";
import { getMetrics } from "@/lib/migration/metrics";

export const GET = route({
  role: "reviewer",
  query: MetricsQuery,
  handler: async ({ db, query }) => getMetrics(db, query),
});
export const { POST, PUT, PATCH, DELETE, OPTIONS } = methodNotAllowed("GET");
