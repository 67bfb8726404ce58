/**
 * Webhook configuration (issue 7): admins create, update and delete; reviewers list hooks and
 * their deliveries. Each mutation writes its audit row in its own transaction. The secret is
 * returned by create only; no other function ever selects it for a response.
 */
import { and, count, desc, eq } from "drizzle-orm";
import type { Db } from "@/db/client";
import { webhookDeliveries, webhooks } from "@/db/schema";
import { writeAudit, type Actor } from "@/lib/audit";
import type { CreateWebhookBody, DeliveriesQuery, UpdateWebhookBody } from "@/lib/api/webhooks";
import { notFound } from "@/lib/errors";
import { newWebhookSecret } from "./signature";

export interface WebhookDTO {
  id: number;
  url: string;
  /** Empty = every event. */
  events: string[];
  enabled: boolean;
  createdBy: string;
  createdAt: string;
}

export interface DeliveryDTO {
  id: number;
  webhookId: number;
  event: string;
  status: "pending" | "delivered" | "failed";
  attempts: number;
  nextAttemptAt: string | null;
  lastStatusCode: number | null;
  /** The first characters of the receiver's last response body. */
  lastResponse: string | null;
  lastError: string | null;
  createdAt: string;
  deliveredAt: string | null;
}

const publicColumns = {
  id: webhooks.id,
  url: webhooks.url,
  events: webhooks.events,
  enabled: webhooks.enabled,
  createdBy: webhooks.createdBy,
  createdAt: webhooks.createdAt,
};

type Row = { id: number; url: string; events: string[]; enabled: boolean; createdBy: string; createdAt: Date | string };
const iso = (d: Date | string | null): string | null => (d === null ? null : d instanceof Date ? d.toISOString() : new Date(d).toISOString());
const toDTO = (r: Row): WebhookDTO => ({ id: r.id, url: r.url, events: r.events ?? [], enabled: r.enabled, createdBy: r.createdBy, createdAt: iso(r.createdAt)! });

export async function listWebhooks(db: Db): Promise<WebhookDTO[]> {
  const rows = await db.select(publicColumns).from(webhooks).orderBy(webhooks.id);
  return rows.map(toDTO);
}

export async function createWebhook(db: Db, body: CreateWebhookBody, actor: Actor): Promise<{ webhook: WebhookDTO; secret: string }> {
  const secret = newWebhookSecret();
  return db.transaction(async (tx) => {
    const [row] = await tx.insert(webhooks).values({ url: body.url, secret, events: body.events ?? [], createdBy: actor.name }).returning(publicColumns);
    const webhook = toDTO(row);
    await writeAudit(tx, actor, { action: "webhook.create", target: `webhook:${webhook.id}`, outcome: "ok", status: 201, details: { url: webhook.url, events: webhook.events } });
    return { webhook, secret };
  });
}

export async function updateWebhook(db: Db, id: number, body: UpdateWebhookBody, actor: Actor): Promise<WebhookDTO> {
  return db.transaction(async (tx) => {
    const set: Partial<typeof webhooks.$inferInsert> = {};
    if (body.enabled !== undefined) set.enabled = body.enabled;
    if (body.events !== undefined) set.events = body.events;
    const [row] = await tx.update(webhooks).set(set).where(eq(webhooks.id, id)).returning(publicColumns);
    if (!row) throw notFound(`Webhook ${id}`);
    await writeAudit(tx, actor, { action: "webhook.update", target: `webhook:${id}`, outcome: "ok", status: 200, details: body });
    return toDTO(row);
  });
}

export async function deleteWebhook(db: Db, id: number, actor: Actor): Promise<{ deleted: number }> {
  return db.transaction(async (tx) => {
    const [row] = await tx.delete(webhooks).where(eq(webhooks.id, id)).returning({ id: webhooks.id, url: webhooks.url });
    if (!row) throw notFound(`Webhook ${id}`);
    await writeAudit(tx, actor, { action: "webhook.delete", target: `webhook:${id}`, outcome: "ok", status: 200, details: { url: row.url } });
    return { deleted: id };
  });
}

type DeliveryRow = typeof webhookDeliveries.$inferSelect;
export const toDeliveryDTO = (d: DeliveryRow): DeliveryDTO => ({
  id: Number(d.id),
  webhookId: d.webhookId,
  event: d.event,
  status: d.status,
  attempts: d.attempts,
  nextAttemptAt: d.status === "pending" ? iso(d.nextAttemptAt) : null,
  lastStatusCode: d.lastStatusCode,
  lastResponse: d.lastResponse,
  lastError: d.lastError,
  createdAt: iso(d.createdAt)!,
  deliveredAt: iso(d.deliveredAt),
});

/** One webhook's deliveries, newest first; 404 for an unknown webhook. */
export async function listDeliveries(db: Db, webhookId: number, q: DeliveriesQuery): Promise<{ webhook: WebhookDTO; deliveries: DeliveryDTO[]; page: number; limit: number; total: number }> {
  const [hook] = await db.select(publicColumns).from(webhooks).where(eq(webhooks.id, webhookId));
  if (!hook) throw notFound(`Webhook ${webhookId}`);
  const where = q.status ? and(eq(webhookDeliveries.webhookId, webhookId), eq(webhookDeliveries.status, q.status)) : eq(webhookDeliveries.webhookId, webhookId);
  const [rows, [{ n }]] = await Promise.all([
    db.select().from(webhookDeliveries).where(where).orderBy(desc(webhookDeliveries.id)).limit(q.limit).offset((q.page - 1) * q.limit),
    db.select({ n: count() }).from(webhookDeliveries).where(where),
  ]);
  return { webhook: toDTO(hook), deliveries: rows.map(toDeliveryDTO), page: q.page, limit: q.limit, total: Number(n) };
}

/** The most recent deliveries of every webhook (the Webhooks page). */
export async function recentDeliveries(db: Db, limit = 50): Promise<DeliveryDTO[]> {
  const rows = await db.select().from(webhookDeliveries).orderBy(desc(webhookDeliveries.id)).limit(limit);
  return rows.map(toDeliveryDTO);
}
