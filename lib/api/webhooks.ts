import { z } from "zod";
import { ENGINE_EVENTS } from "@/lib/migration/vocabulary";

/** A webhook subscribes to the events the engine announces. */
export const WebhookEventSchema = z.enum(ENGINE_EVENTS);

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
const Events = z
  .array(WebhookEventSchema)
  .max(ENGINE_EVENTS.length)
  .transform((e) => [...new Set(e)]);

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
