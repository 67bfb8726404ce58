// GET /api/prestamos/migration/start/preview — what a start would take and whether it is predicted to halt (?retry=&errorThresholdPct=).
import { StartPreviewQuery } from "@/lib/api/schemas";
import { methodNotAllowed } from "@/lib/http/fallback";
import { route } from "@/lib/http/route";
import { getStartPreview } from "@/lib/migration/start-preview";

export const GET = route({
  role: "reviewer",
  query: StartPreviewQuery,
  handler: async ({ db, query }) => getStartPreview(db, query),
});
export const { POST, PUT, PATCH, DELETE, OPTIONS } = methodNotAllowed("GET");
