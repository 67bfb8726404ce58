import { sql } from "drizzle-orm";
import { check, integer, jsonb, pgTable, serial, smallint, text, timestamp } from "drizzle-orm/pg-core";

/* ── Cut-over and the way back (MIGRATION-SPEC §9) ──────────────────────────────── */

/** The phase, one row: `legacy` until a cut-over commits, `cut_over`, then `finalized`. */
export const cutoverState = pgTable(
  "cutover_state",
  {
    id: smallint("id").primaryKey().default(1),
    phase: text("phase").$type<"legacy" | "cut_over" | "finalized">().notNull().default("legacy"),
    changedAt: timestamp("changed_at", { withTimezone: true }),
    changedBy: text("changed_by"),
  },
  (t) => [check("cutover_state_singleton", sql`${t.id} = 1`), check("cutover_state_phase_check", sql`${t.phase} in ('legacy','cut_over','finalized')`)],
);

/** Every switch (cut-over, revert, finalize) with who, when and what it cost the application. */
export const cutoverSwitches = pgTable("cutover_switches", {
  id: serial("id").primaryKey(),
  kind: text("kind").$type<"cut_over" | "revert" | "finalize">().notNull(),
  actor: text("actor").notNull(),
  startedAt: timestamp("started_at", { withTimezone: true }).notNull(),
  finishedAt: timestamp("finished_at", { withTimezone: true }).notNull(),
  attempts: integer("attempts").notNull(),
  /** Time the committed attempt waited for its table locks. */
  lockWaitMs: integer("lock_wait_ms").notNull(),
  /** From the locks granted to the commit: how long the application's writes queued. */
  writesHeldMs: integer("writes_held_ms").notNull(),
  drainedEntries: integer("drained_entries").notNull(),
  drainedPrestamos: integer("drained_prestamos").notNull(),
  /** From the first attempt to the commit, retries included. */
  totalMs: integer("total_ms").notNull(),
  details: jsonb("details"),
});

/**
 * Reverse capture after the cut-over: triggers on the new tables append every prestamo they
 * change, the console applies those prestamos to the archive. A prestamo's own trigger names it by
 * its legacy id; a pago's names its prestamo by the new id it holds (resolved when applied: no
 * lookup inside the application's write). A bare heap, like capture_changes, for the triggers' sake.
 */
export const reverseChanges = pgTable("reverse_changes", {
  prestamoId: integer("prestamo_id"),
  newPrestamoId: integer("new_prestamo_id"),
  capturedAt: timestamp("captured_at", { withTimezone: true }).notNull().defaultNow(),
});
