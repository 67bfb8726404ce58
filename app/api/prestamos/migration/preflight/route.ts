// GET /api/prestamos/migration/preflight — the pre-flight items (database, legacy tables, quiet period, dry run, confirmations).
import { PreflightQuery } from "@/lib/api/preflight";
import { methodNotAllowed } from "@/lib/http/fallback";
import { route } from "@/lib/http/route";
import { getPreflight } from "@/lib/migration/preflight";
import { preflightContext } from "@/lib/server/preflight-context";

export const GET = route({
  role: "reviewer",
  query: PreflightQuery,
  handler: async ({ db, query }) => getPreflight(db, await preflightContext(), { dryRun: query.refresh ? "fresh" : "cached" }),
});
export const { POST, PUT, PATCH, DELETE, OPTIONS } = methodNotAllowed("GET");
