import { bigserial, boolean, doublePrecision, index, integer, jsonb, pgTable, serial, text, timestamp } from "drizzle-orm/pg-core";

/* ── Webhooks on run events ──────────────────────────────────────────────── */

export const webhooks = pgTable("console_webhooks", {
  id: serial("id").primaryKey(),
  url: text("url").notNull(),
  /** HMAC-SHA256 key for the X-Signature header; shown once at creation, never in a response again. */
  secret: text("secret").notNull(),
  /** Event names it wants ("run.started", …); empty = all. */
  events: text("events").array().notNull().default([]),
  enabled: boolean("enabled").notNull().default(true),
  createdBy: text("created_by").notNull(),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
});

/** One row per event per webhook; retried with backoff until delivered or out of attempts. */
export const webhookDeliveries = pgTable(
  "console_webhook_deliveries",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    webhookId: integer("webhook_id")
      .notNull()
      .references(() => webhooks.id, { onDelete: "cascade" }),
    event: text("event").notNull(),
    payload: jsonb("payload").notNull(),
    status: text("status").$type<"pending" | "delivered" | "failed">().notNull().default("pending"),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: timestamp("next_attempt_at", { withTimezone: true }).notNull().defaultNow(),
    lastStatusCode: integer("last_status_code"),
    lastResponse: text("last_response"),
    lastError: text("last_error"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    deliveredAt: timestamp("delivered_at", { withTimezone: true }),
  },
  (t) => [index("console_webhook_deliveries_due_idx").on(t.status, t.nextAttemptAt), index("console_webhook_deliveries_hook_idx").on(t.webhookId, t.id)],
);

/* ── Pre-flight and checklist ───────────────────────────────────────────── */

/** What a person confirms (a backup exists, the team was told, …), with who, when and a reference. */
export const migrationConfirmations = pgTable(
  "migration_confirmations",
  {
    id: serial("id").primaryKey(),
    phase: text("phase").$type<"preflight" | "checklist">().notNull(),
    item: text("item").notNull(),
    confirmedBy: text("confirmed_by").notNull(),
    confirmedAt: timestamp("confirmed_at", { withTimezone: true }).notNull().defaultNow(),
    reference: text("reference"),
    /** Withdrawn confirmations stay for the record. */
    withdrawnAt: timestamp("withdrawn_at", { withTimezone: true }),
    withdrawnBy: text("withdrawn_by"),
  },
  (t) => [index("migration_confirmations_item_idx").on(t.phase, t.item, t.id)],
);

/** Admin-set settings (e.g. the quiet-period write-rate threshold), one JSON value per key. */
export const consoleSettings = pgTable("console_settings", {
  key: text("key").primaryKey(),
  value: jsonb("value").notNull(),
  updatedBy: text("updated_by").notNull(),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});

/** Samples of the legacy tables' write counters (pg_stat_user_tables) to measure their write rate. */
export const legacyWriteSamples = pgTable(
  "legacy_write_samples",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    at: timestamp("at", { withTimezone: true }).notNull().defaultNow(),
    inserts: doublePrecision("inserts").notNull(),
    updates: doublePrecision("updates").notNull(),
    deletes: doublePrecision("deletes").notNull(),
  },
  (t) => [index("legacy_write_samples_at_idx").on(t.at)],
);
