import { IdParams } from "@/lib/api/schemas";
import { DeliveriesQuery } from "@/lib/api/webhooks";
import { methodNotAllowed } from "@/lib/http/fallback";
import { route } from "@/lib/http/route";
import { listDeliveries, viewerOf } from "@/lib/webhooks/webhooks";

// GET /api/webhooks/:id/deliveries: its deliveries newest first, with status, attempts, last status code and response excerpt (?status=&page=&limit=).
export const GET = route({
  role: "reviewer",
  params: IdParams,
  query: DeliveriesQuery,
  handler: async ({ db, params, query, principal }) => listDeliveries(db, params.id, query, viewerOf(principal)),
});
export const { POST, PUT, PATCH, DELETE, OPTIONS } = methodNotAllowed("GET");
