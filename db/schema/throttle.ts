import { sql } from "drizzle-orm";
import { bigserial, check, index, integer, jsonb, pgTable, smallint, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";

/* ── The throttle (MIGRATION-SPEC §8) ─────────────────────────────────────────────── */

/**
 * One row per throttle episode: while `ended_at` is null the run claims no new batch. At most one
 * is open (partial unique index), so two console instances opening one at once agree on it.
 */
export const throttleEpisodes = pgTable(
  "throttle_episodes",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    runId: integer("run_id"),
    startedAt: timestamp("started_at", { withTimezone: true }).notNull().defaultNow(),
    endedAt: timestamp("ended_at", { withTimezone: true }),
    /** The signals over their threshold when it began: [{signal, value, threshold, why?}]. */
    reasons: jsonb("reasons").notNull(),
    /** Per signal, the worst value seen during the episode. */
    worst: jsonb("worst")
      .notNull()
      .default(sql`'{}'::jsonb`),
    /** "resumed" or "halted" once ended. */
    outcome: text("outcome"),
    /** When the long-throttle alert was raised (null: not yet, or never). */
    alertedAt: timestamp("alerted_at", { withTimezone: true }),
  },
  (t) => [
    uniqueIndex("throttle_episodes_one_open")
      .on(sql`(true)`)
      .where(sql`${t.endedAt} is null`),
    index("throttle_episodes_started_idx").on(t.startedAt),
  ],
);

/** The signals as read, about once a second, kept for ten minutes: the page's charts, any instance. */
export const throttleSamples = pgTable(
  "throttle_samples",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    at: timestamp("at", { withTimezone: true }).notNull().defaultNow(),
    /** [{id, value, state, why?}] */
    signals: jsonb("signals").notNull(),
  },
  (t) => [index("throttle_samples_at_idx").on(t.at)],
);

/** The application-latency probe's own row: one read and one committed write every 500 ms. */
export const throttleHeartbeat = pgTable(
  "throttle_heartbeat",
  {
    id: smallint("id").primaryKey().default(1),
    beatAt: timestamp("beat_at", { withTimezone: true }).notNull().defaultNow(),
    beatBy: text("beat_by"),
  },
  (t) => [check("throttle_heartbeat_singleton", sql`${t.id} = 1`)],
);
