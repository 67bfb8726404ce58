import { z } from "zod";

/** Events a webhook can subscribe to. Spelled here so pages and schemas share them without pulling drizzle in. */
export const WEBHOOK_EVENTS = [
  "run.started", "run.halted", "run.stopped", "run.finished", "run.resumed", "consistency.below_100",
  // The throttle (MIGRATION-SPEC §8): engaged, released, and lasting past its alert limit.
  "run.throttled", "run.resumed_from_throttle", "run.throttled_long",
  "cutover.completed", "cutover.reverted", "cutover.finalized",
] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];
export const WebhookEventSchema = z.enum(WEBHOOK_EVENTS);

export const DELIVERY_STATUSES = ["pending", "delivered", "failed"] as const;

/** http(s) only: no file:, ftp:, javascript: or data: targets; no credentials in the URL (they would be shown to reviewers). */
const WebhookUrl = z
  .string()
  .trim()
  .max(2000)
  .pipe(z.url({ protocol: /^https?$/, message: "must be an http:// or https:// URL" }))
  .refine((u) => {
    // zod 4 runs this refine even when z.url() above already failed: never throw on a non-URL.
    if (!URL.canParse(u)) return true;
    const url = new URL(u);
    return url.username === "" && url.password === "";
  }, "must not carry a user or password");

/** Empty or absent = every event. */
const Events = z.array(WebhookEventSchema).max(WEBHOOK_EVENTS.length).transform((e) => [...new Set(e)]);

export const CreateWebhookBody = z.strictObject({ url: WebhookUrl, events: Events.optional() });
export type CreateWebhookBody = z.infer<typeof CreateWebhookBody>;

export const UpdateWebhookBody = z
  .strictObject({ enabled: z.boolean().optional(), events: Events.optional() })
  .refine((b) => b.enabled !== undefined || b.events !== undefined, { message: "Send at least one of enabled, events" });
export type UpdateWebhookBody = z.infer<typeof UpdateWebhookBody>;

const QueryInt = (min: number, max: number, fallback: number) =>
  z
    .string()
    .regex(/^[0-9]{1,9}$/, "must be a whole number")
    .transform(Number)
    .refine((n) => n >= min && n <= max, `must be between ${min} and ${max}`)
    .optional()
    .transform((n) => n ?? fallback);

export const DeliveriesQuery = z.object({
  status: z.enum(DELIVERY_STATUSES).optional(),
  page: QueryInt(1, 1_000_000, 1),
  limit: QueryInt(1, 200, 50),
});
export type DeliveriesQuery = z.infer<typeof DeliveriesQuery>;
