import { IdParams } from "@/lib/api/schemas";
import { UpdateWebhookBody } from "@/lib/api/webhooks";
import { methodNotAllowed } from "@/lib/http/fallback";
import { route } from "@/lib/http/route";
import { deleteWebhook, updateWebhook } from "@/lib/webhooks/webhooks";

const target = (p: Record<string, string>) => `webhook:${p.id}`;

// PATCH /api/webhooks/:id: enables/disables a webhook or changes its events {enabled?, events?}.
export const PATCH = route({
  role: "admin",
  action: "webhook.update",
  target,
  params: IdParams,
  body: UpdateWebhookBody,
  handler: async ({ db, params, body, actor }) => ({ webhook: await updateWebhook(db, params.id, body, actor) }),
});

// DELETE /api/webhooks/:id: removes a webhook and its deliveries.
export const DELETE = route({
  role: "admin",
  action: "webhook.delete",
  target,
  params: IdParams,
  handler: async ({ db, params, actor }) => deleteWebhook(db, params.id, actor),
});
export const { GET, HEAD, POST, PUT, OPTIONS } = methodNotAllowed("PATCH", "DELETE");
