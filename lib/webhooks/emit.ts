/**
 * Webhook events are rows: one console_webhook_deliveries row per subscribed, enabled
 * webhook, written with the caller's executor. The engine announces an event inside the
 * transaction of the change that causes it (lib/migration/events.ts), so the event exists exactly
 * when the change committed (no event for a rolled-back start, no lost event for a committed
 * halt). The deliverer (./deliver.ts) sends them later.
 */
import { sql } from "drizzle-orm";
import type { Exec } from "@/db/client";
import { queryRows } from "@/db/sql";
import type { EngineEvent } from "@/lib/migration/vocabulary";

export interface WebhookPayload {
  event: EngineEvent;
  occurredAt: string;
  data: Record<string, unknown>;
}

/** Queues `event` for every enabled webhook that wants it; returns how many deliveries were queued. */
export async function queueDeliveries(tx: Exec, event: EngineEvent, data: Record<string, unknown>): Promise<number> {
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
