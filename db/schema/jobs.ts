import { sql } from "drizzle-orm";
import { bigint, bigserial, index, jsonb, pgTable, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";

/**
 * Long reads run as background jobs (consistency, verify's dry run, the legacy recount): one row
 * per job. At most one job of a kind waits queued (asking again while one waits joins it), and
 * the runner of any instance claims one job at a time.
 */
export const consoleJobs = pgTable(
  "console_jobs",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    kind: text("kind").notNull(),
    status: text("status").$type<"queued" | "running" | "done" | "failed">().notNull().default("queued"),
    requestedBy: text("requested_by").notNull(),
    requestedAt: timestamp("requested_at", { withTimezone: true }).notNull().defaultNow(),
    startedAt: timestamp("started_at", { withTimezone: true }),
    finishedAt: timestamp("finished_at", { withTimezone: true }),
    leaseOwner: text("lease_owner"),
    leaseExpiresAt: timestamp("lease_expires_at", { withTimezone: true }),
    /** {done, total} while it runs. */
    progress: jsonb("progress"),
    result: jsonb("result"),
    error: text("error"),
  },
  (t) => [
    uniqueIndex("console_jobs_one_queued_idx")
      .on(t.kind)
      .where(sql`status = 'queued'`),
    index("console_jobs_kind_idx").on(t.kind, t.status, t.id),
  ],
);

/**
 * Rows of the legacy tables, kept by statement triggers (lib/migration/legacy-row-counts.ts):
 * append-only deltas per table, folded now and then, so a poll sums a few rows instead of
 * counting millions.
 */
export const legacyRowCounts = pgTable("legacy_row_counts", {
  id: bigserial("id", { mode: "number" }).primaryKey(),
  tbl: text("tbl").notNull(),
  delta: bigint("delta", { mode: "number" }).notNull(),
});
