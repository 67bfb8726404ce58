// GET /api/prestamos/migration/legacy-counts — rows of the legacy tables (kept counts) and the orphans of the latest exact recount (?fresh=1 asks for one).
import { FreshQuery } from "@/lib/api/schemas";
import { methodNotAllowed } from "@/lib/http/fallback";
import { readLegacyOverview } from "@/lib/http/reads";
import { route } from "@/lib/http/route";

export const GET = route({
  role: "reviewer",
  query: FreshQuery,
  handler: async ({ db, query, actor }) => readLegacyOverview(db, query.fresh ? { by: actor.name } : null),
});
export const { POST, PUT, PATCH, DELETE, OPTIONS } = methodNotAllowed("GET");
