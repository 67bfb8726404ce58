import { CreateWebhookBody } from "@/lib/api/webhooks";
import { methodNotAllowed } from "@/lib/http/fallback";
import { route } from "@/lib/http/route";
import { createWebhook, listWebhooks, viewerOf } from "@/lib/webhooks/webhooks";

// GET /api/webhooks: the configured webhooks, never their secrets.
export const GET = route({ role: "reviewer", handler: async ({ db, principal }) => ({ webhooks: await listWebhooks(db, viewerOf(principal)) }) });

// POST /api/webhooks: creates a webhook {url, events?}; its signing secret is in this response only.
export const POST = route({
  role: "admin",
  action: "webhook.create",
  body: CreateWebhookBody,
  status: 201,
  handler: async ({ db, body, actor }) => createWebhook(db, body, actor),
});
export const { PUT, PATCH, DELETE, OPTIONS } = methodNotAllowed("GET", "POST");
