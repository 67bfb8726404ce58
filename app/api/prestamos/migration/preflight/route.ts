// GET /api/prestamos/migration/preflight — the pre-flight items (database, legacy tables, quiet period, dry run, confirmations);
// the dry run is the latest background one with its age (?refresh=1 asks for a new one, answered at once).
import { PreflightQuery } from "@/lib/api/preflight";
import { methodNotAllowed } from "@/lib/http/fallback";
import { route } from "@/lib/http/route";
import { getPreflight } from "@/lib/migration/preflight";
import { preflightContext } from "@/lib/server/preflight-context";

export const GET = route({
  role: "reviewer",
  query: PreflightQuery,
  handler: async ({ db, query, actor }) => getPreflight(db, await preflightContext(), { dryRun: query.refresh ? "fresh" : "cached", requestedBy: actor.name }),
});
export const { POST, PUT, PATCH, DELETE, OPTIONS } = methodNotAllowed("GET");
