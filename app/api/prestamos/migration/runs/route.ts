// GET /api/prestamos/migration/runs — every run, newest first, keyset paged (?before=&limit=).
import { RunsQuery } from "@/lib/api/schemas";
import { methodNotAllowed } from "@/lib/http/fallback";
import { route } from "@/lib/http/route";
import { listRuns } from "@/lib/migration/run-history";

export const GET = route({
  role: "reviewer",
  query: RunsQuery,
  handler: async ({ db, query }) => listRuns(db, query),
});
export const { POST, PUT, PATCH, DELETE, OPTIONS } = methodNotAllowed("GET");
