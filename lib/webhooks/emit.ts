/**
 * Webhook events are rows: one console_webhook_deliveries row per subscribed, enabled
 * webhook, written with the caller's executor. Pass the transaction of the change that causes the
 * event, so that the event exists exactly when the change committed (no event for a rolled-back
 * start, no lost event for a committed halt). The deliverer (./deliver.ts) sends them later.
 *
 * Plain SQL on the db: importable from lib/migration without crossing the engine boundary.
 */
import { sql } from "drizzle-orm";
import type { Db } from "@/db/client";
import { queryRows } from "@/db/sql";
import type { WebhookEvent } from "@/lib/api/webhooks";

type Exec = Pick<Db, "execute">;

export interface WebhookPayload {
  event: WebhookEvent;
  occurredAt: string;
  data: Record<string, unknown>;
}

/** Queues `event` for every enabled webhook that wants it; returns how many deliveries were queued. */
export async function emitEvent(tx: Exec, event: WebhookEvent, data: Record<string, unknown>): Promise<number> {
  const payload: WebhookPayload = { event, occurredAt: new Date().toISOString(), data };
  const rows = await queryRows<{ id: number }>(
    tx,
    sql`insert into console_webhook_deliveries (webhook_id, event, payload)
        select id, ${event}, ${JSON.stringify(payload)}::jsonb from console_webhooks
        where enabled and (cardinality(events) = 0 or ${event} = any(events))
        returning id`,
  );
  return rows.length;
}

/** A run's lifecycle event; `run` is the run's DTO (JSON-safe) or at least its id. */
export function emitRunEvent(tx: Exec, event: Extract<WebhookEvent, `run.${string}`>, run: { id: number }, extra: Record<string, unknown> = {}): Promise<number> {
  return emitEvent(tx, event, { run, ...extra });
}
