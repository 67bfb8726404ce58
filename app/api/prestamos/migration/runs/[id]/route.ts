// GET /api/prestamos/migration/runs/:id — one run: outcome, reason, settings, the pre-flight it started over.
import { IdParams } from "@/lib/api/schemas";
import { methodNotAllowed } from "@/lib/http/fallback";
import { route } from "@/lib/http/route";
import { getRunDetail } from "@/lib/migration/run-history";

export const GET = route({
  role: "reviewer",
  params: IdParams,
  handler: async ({ db, params }) => getRunDetail(db, params.id),
});
export const { POST, PUT, PATCH, DELETE, OPTIONS } = methodNotAllowed("GET");
