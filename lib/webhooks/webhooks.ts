/**
 * Webhook configuration: admins create, update and delete; reviewers list hooks and
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
import { defaultTargetPolicy, resolveWebhookTarget, type TargetPolicy } from "./target";

export interface WebhookDTO {
  id: number;
  /** For reviewers without its path and query (`https://hooks.example.com/…`): they can carry a receiver's own secret. */
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
  /** The first characters of the receiver's last response body: admins only (null for reviewers). */
  lastResponse: string | null;
  /** A summary ("HTTP 500", "connection refused"), never an error's own text. */
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

/** Who reads: admins see whole URLs and receivers' answers, reviewers the origin and a summary. */
export interface Viewer {
  reveal: boolean;
}
const ADMIN_VIEW: Viewer = { reveal: true };
export const viewerOf = (principal: { role: string } | null): Viewer => ({ reveal: principal?.role === "admin" });

/** `https://hooks.example.com/…`: the origin, and only a mark where a path or query was. */
export function maskWebhookUrl(url: string): string {
  if (!URL.canParse(url)) return "…";
  const u = new URL(url);
  return `${u.origin}${u.pathname === "/" && !u.search && !u.hash ? "/" : "/…"}`;
}

type Row = { id: number; url: string; events: string[]; enabled: boolean; createdBy: string; createdAt: Date | string };
const iso = (d: Date | string | null): string | null => (d === null ? null : d instanceof Date ? d.toISOString() : new Date(d).toISOString());
const toDTO = (r: Row, viewer: Viewer = ADMIN_VIEW): WebhookDTO => ({
  id: r.id,
  url: viewer.reveal ? r.url : maskWebhookUrl(r.url),
  events: r.events ?? [],
  enabled: r.enabled,
  createdBy: r.createdBy,
  createdAt: iso(r.createdAt)!,
});

export async function listWebhooks(db: Db, viewer: Viewer): Promise<WebhookDTO[]> {
  const rows = await db.select(publicColumns).from(webhooks).orderBy(webhooks.id);
  return rows.map((r) => toDTO(r, viewer));
}

/** Refuses (400) a URL that does not reach a public address (target.ts), before anything is stored. */
export async function createWebhook(
  db: Db,
  body: CreateWebhookBody,
  actor: Actor,
  policy: TargetPolicy = defaultTargetPolicy(),
): Promise<{ webhook: WebhookDTO; secret: string }> {
  await resolveWebhookTarget(body.url, policy);
  const secret = newWebhookSecret();
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(webhooks)
      .values({ url: body.url, secret, events: body.events ?? [], createdBy: actor.name })
      .returning(publicColumns);
    const webhook = toDTO(row);
    await writeAudit(tx, actor, {
      action: "webhook.create",
      target: `webhook:${webhook.id}`,
      outcome: "ok",
      status: 201,
      details: { url: webhook.url, events: webhook.events },
    });
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
export const toDeliveryDTO = (d: DeliveryRow, viewer: Viewer = ADMIN_VIEW): DeliveryDTO => ({
  id: Number(d.id),
  webhookId: d.webhookId,
  event: d.event,
  status: d.status,
  attempts: d.attempts,
  nextAttemptAt: d.status === "pending" ? iso(d.nextAttemptAt) : null,
  lastStatusCode: d.lastStatusCode,
  lastResponse: viewer.reveal ? d.lastResponse : null,
  lastError: d.lastError,
  createdAt: iso(d.createdAt)!,
  deliveredAt: iso(d.deliveredAt),
});

/** One webhook's deliveries, newest first; 404 for an unknown webhook. */
export async function listDeliveries(
  db: Db,
  webhookId: number,
  q: DeliveriesQuery,
  viewer: Viewer,
): Promise<{ webhook: WebhookDTO; deliveries: DeliveryDTO[]; page: number; limit: number; total: number }> {
  const [hook] = await db.select(publicColumns).from(webhooks).where(eq(webhooks.id, webhookId));
  if (!hook) throw notFound(`Webhook ${webhookId}`);
  const where = q.status ? and(eq(webhookDeliveries.webhookId, webhookId), eq(webhookDeliveries.status, q.status)) : eq(webhookDeliveries.webhookId, webhookId);
  const [rows, [{ n }]] = await Promise.all([
    db
      .select()
      .from(webhookDeliveries)
      .where(where)
      .orderBy(desc(webhookDeliveries.id))
      .limit(q.limit)
      .offset((q.page - 1) * q.limit),
    db.select({ n: count() }).from(webhookDeliveries).where(where),
  ]);
  return { webhook: toDTO(hook, viewer), deliveries: rows.map((d) => toDeliveryDTO(d, viewer)), page: q.page, limit: q.limit, total: Number(n) };
}

/** The most recent deliveries of every webhook (the Webhooks page). */
export async function recentDeliveries(db: Db, limit: number, viewer: Viewer): Promise<DeliveryDTO[]> {
  const rows = await db.select().from(webhookDeliveries).orderBy(desc(webhookDeliveries.id)).limit(limit);
  return rows.map((d) => toDeliveryDTO(d, viewer));
}
