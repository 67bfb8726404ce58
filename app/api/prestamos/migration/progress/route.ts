// GET /api/prestamos/migration/progress — state, totals, rate, ETA, backlog, last error.
import { methodNotAllowed } from "@/lib/http/fallback";
import { route } from "@/lib/http/route";
import { getProgress } from "@/lib/migration/progress";

export const GET = route({
  role: "reviewer",
  handler: async ({ db }) => getProgress(db),
});
export const { POST, PUT, PATCH, DELETE, OPTIONS } = methodNotAllowed("GET");
