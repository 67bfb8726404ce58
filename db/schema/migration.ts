import { sql } from "drizzle-orm";
import {
  bigint,
  bigserial,
  boolean,
  char,
  check,
  date,
  doublePrecision,
  index,
  integer,
  jsonb,
  numeric,
  pgTable,
  primaryKey,
  serial,
  smallint,
  text,
  timestamp,
  unique,
  uniqueIndex,
} from "drizzle-orm/pg-core";

/**
 * Below every legacy id (serial ids are int4, zero and negative ones included: MIGRATION-SPEC §4
 * "Every legacy id"): where a run's and the consistency check's keyset walks start. A bigint, so
 * bounds compared with it are cast to bigint.
 */
export const BEFORE_ANY_LEGACY_ID = -2_147_483_649;

/* ── The new schema (MIGRATION-SPEC §2) ─────────────────────────────────────────── */

export const prestamosNew = pgTable(
  "prestamos_new",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    legacyId: integer("legacy_id").notNull().unique(),
    clienteNombre: text("cliente_nombre").notNull(),
    clienteDocumento: text("cliente_documento"),
    montoCents: bigint("monto_cents", { mode: "number" }).notNull(),
    tasaAnual: numeric("tasa_anual", { precision: 9, scale: 6 }).notNull(),
    plazoMeses: integer("plazo_meses").notNull(),
    fechaOtorgamiento: date("fecha_otorgamiento").notNull(),
    fechaVencimiento: date("fecha_vencimiento").notNull(),
    estado: text("estado").notNull(),
    moneda: char("moneda", { length: 3 }).notNull(),
    totalPagadoCents: bigint("total_pagado_cents", { mode: "number" }).notNull(),
    pagosCount: integer("pagos_count").notNull(),
    ultimoPago: date("ultimo_pago"),
    saldoCents: bigint("saldo_cents", { mode: "number" }).notNull(),
    legacyUpdatedAt: timestamp("legacy_updated_at").notNull(),
    /** `prestamos.created_at`, kept for the legacy shape of the cut-over views (§9). */
    legacyCreatedAt: timestamp("legacy_created_at"),
    migratedAt: timestamp("migrated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    check("prestamos_new_estado_check", sql`${t.estado} in ('activo','en_mora','pagado','castigado','anulado')`),
    check("prestamos_new_moneda_check", sql`${t.moneda} in ('PEN','USD')`),
  ],
);

export const pagosPrestamoNew = pgTable(
  "pagos_prestamo_new",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    legacyId: integer("legacy_id").notNull().unique(),
    prestamoId: bigint("prestamo_id", { mode: "number" })
      .notNull()
      .references(() => prestamosNew.id, { onDelete: "cascade" }),
    montoCents: bigint("monto_cents", { mode: "number" }).notNull(),
    fechaPago: date("fecha_pago").notNull(),
    metodo: text("metodo").notNull(),
    anulado: boolean("anulado").notNull(),
    /** `pagos_prestamo.created_at`, kept for the legacy shape of the cut-over views (§9). */
    legacyCreatedAt: timestamp("legacy_created_at"),
    migratedAt: timestamp("migrated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index("pagos_prestamo_new_prestamo_id_idx").on(t.prestamoId),
    check("pagos_prestamo_new_metodo_check", sql`${t.metodo} in ('efectivo','transferencia','deposito','cheque','otro')`),
  ],
);

/* ── Migration bookkeeping (MIGRATION-SPEC §4) ──────────────────────────────────── */

/** One row per legacy prestamo the console has taken; no row means `pending`. */
export const migrationState = pgTable(
  "migration_state",
  {
    legacyId: integer("legacy_id").primaryKey(),
    state: text("state").$type<"migrated" | "failed" | "rolled_back">().notNull(),
    runId: integer("run_id"),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index("migration_state_state_idx").on(t.state, t.legacyId),
    check("migration_state_state_check", sql`${t.state} in ('migrated','failed','rolled_back')`),
  ],
);

/**
 * How many prestamos are in each state, as changes appended by statement triggers on
 * migration_state (drizzle/0005): progress sums a few rows instead of counting a table as large
 * as the legacy one on every poll. Append-only, so concurrent batches never wait for each other
 * on a counter row; the worker folds the rows together from time to time.
 */
export const migrationStateCounts = pgTable("migration_state_counts", {
  id: bigserial("id", { mode: "number" }).primaryKey(),
  state: text("state").notNull(),
  delta: bigint("delta", { mode: "number" }).notNull(),
});

/**
 * Every failing rule of every failed prestamo, replaced whenever the prestamo is taken again. One
 * row per rule (prestamo, code, field, pago): two transactions that evaluate the same prestamo
 * at once record it once.
 */
export const migrationFailures = pgTable(
  "migration_failures",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    legacyId: integer("legacy_id").notNull(),
    code: text("code").notNull(),
    field: text("field").notNull(),
    value: text("value"),
    pagoId: integer("pago_id"),
    runId: integer("run_id"),
    recordedAt: timestamp("recorded_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index("migration_failures_legacy_id_idx").on(t.legacyId),
    index("migration_failures_code_idx").on(t.code, t.legacyId),
    unique("migration_failures_rule_key").on(t.legacyId, t.code, t.field, t.pagoId).nullsNotDistinct(),
  ],
);

export const RUN_STATUSES = ["running", "paused", "finished", "stopped", "halted", "failed"] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export const migrationRuns = pgTable(
  "migration_runs",
  {
    id: serial("id").primaryKey(),
    status: text("status").$type<RunStatus>().notNull(),
    retry: boolean("retry").notNull().default(false),
    batchSize: integer("batch_size").notNull(),
    errorThresholdPct: doublePrecision("error_threshold_pct").notNull(),
    startedBy: text("started_by").notNull(),
    startedAt: timestamp("started_at", { withTimezone: true }).notNull().defaultNow(),
    endedAt: timestamp("ended_at", { withTimezone: true }),
    /** Last legacy id whose batch committed: the run resumes after it (BEFORE_ANY_LEGACY_ID before the first). */
    checkpoint: bigint("checkpoint", { mode: "number" }).notNull().default(BEFORE_ANY_LEGACY_ID),
    processed: integer("processed").notNull().default(0),
    migrated: integer("migrated").notNull().default(0),
    failed: integer("failed").notNull().default(0),
    pagos: integer("pagos").notNull().default(0),
    batches: integer("batches").notNull().default(0),
    stopRequestedBy: text("stop_requested_by"),
    /** finished | stopped | halted | error — with stopDetail in words. */
    stopReason: text("stop_reason"),
    stopDetail: text("stop_detail"),
    lastError: text("last_error"),
    lastErrorAt: timestamp("last_error_at", { withTimezone: true }),
    leaseOwner: text("lease_owner"),
    leaseExpiresAt: timestamp("lease_expires_at", { withTimezone: true }),
    heartbeatAt: timestamp("heartbeat_at", { withTimezone: true }),
    resumes: integer("resumes").notNull().default(0),
    settings: jsonb("settings"),
    /** Claim cursor: every legacy id up to here belongs to a chunk of this run (done or claimed). */
    claimedTo: bigint("claimed_to", { mode: "number" }).notNull().default(BEFORE_ANY_LEGACY_ID),
    /** Adaptive batches aim at this duration; 0 = fixed batchSize (tunable while running). */
    targetBatchMs: integer("target_batch_ms").notNull().default(500),
    /** Pause between two batches of one worker, to leave the database room (tunable while running). */
    pauseMs: integer("pause_ms").notNull().default(0),
    /** Batch loops of the instance holding the lease (tunable while running). */
    workers: integer("workers").notNull().default(2),
    /** The pre-flight state when the run started, kept for the archive. */
    preflight: jsonb("preflight"),
  },
  (t) => [
    // One active run across every instance of the console: a database fact (§4).
    uniqueIndex("migration_runs_one_active_idx")
      .on(sql`(true)`)
      .where(sql`${t.status} in ('running','paused')`),
    check("migration_runs_status_check", sql`${t.status} in ('running','paused','finished','stopped','halted','failed')`),
  ],
);

/**
 * A run's key space in chunks (ids in (lo, hi]). A worker claims one in a short transaction and
 * marks it done in the transaction that migrates it; a chunk claimed by a worker that died is
 * claimed again. The migration of a chunk is atomic and insert-only, so nothing is done twice.
 */
export const migrationChunks = pgTable(
  "migration_chunks",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    runId: integer("run_id").notNull(),
    lo: bigint("lo", { mode: "number" }).notNull(),
    hi: bigint("hi", { mode: "number" }).notNull(),
    status: text("status").$type<"claimed" | "done">().notNull(),
    worker: text("worker").notNull(),
    claimedAt: timestamp("claimed_at", { withTimezone: true }).notNull().defaultNow(),
    doneAt: timestamp("done_at", { withTimezone: true }),
  },
  (t) => [uniqueIndex("migration_chunks_run_lo_idx").on(t.runId, t.lo), index("migration_chunks_open_idx").on(t.runId, t.status)],
);

/** Time series: one row per committed batch of a run or of change capture. */
export const migrationBatches = pgTable(
  "migration_batches",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    runId: integer("run_id"),
    kind: text("kind").$type<"run" | "sync">().notNull(),
    startedAt: timestamp("started_at", { withTimezone: true }).notNull(),
    finishedAt: timestamp("finished_at", { withTimezone: true }).notNull().defaultNow(),
    durationMs: doublePrecision("duration_ms").notNull(),
    fromId: integer("from_id"),
    toId: integer("to_id"),
    prestamos: integer("prestamos").notNull(),
    pagos: integer("pagos").notNull(),
    failures: integer("failures").notNull(),
  },
  (t) => [index("migration_batches_run_idx").on(t.runId, t.id), index("migration_batches_finished_idx").on(t.finishedAt)],
);

/**
 * Change capture queue, append-only and index-free: the triggers only INSERT into a bare heap (an
 * index or a sequence on it was measured to double the triggers' cost to the application's
 * writes); the console DELETEs the entries it has synced, in the same transaction as the sync, so
 * a change committed late is still in the table and is never skipped. No order is needed: a sync
 * reads the legacy rows as they are when it runs.
 */
export const captureChanges = pgTable("capture_changes", {
  prestamoId: integer("prestamo_id").notNull(),
  capturedAt: timestamp("captured_at", { withTimezone: true }).notNull().defaultNow(),
});

/** Who turned change capture on and off, and when (the triggers themselves are the truth). */
export const captureState = pgTable(
  "capture_state",
  {
    id: smallint("id").primaryKey().default(1),
    enabled: boolean("enabled").notNull().default(false),
    installedAt: timestamp("installed_at", { withTimezone: true }),
    installedBy: text("installed_by"),
    removedAt: timestamp("removed_at", { withTimezone: true }),
    removedBy: text("removed_by"),
    /** Last rollback of all (kept for the record; what capture follows is decided by resetRunId). */
    resetAt: timestamp("reset_at", { withTimezone: true }),
    /** The latest run when the last rollback of all committed: syncs follow pending prestamos only once a later run started. */
    resetRunId: integer("reset_run_id"),
    /**
     * The re-sync owed after a gap in capture (MIGRATION-SPEC §4): null when none is owed, else the
     * last legacy id checked so far. The next run works through it before copying.
     */
    resyncAfter: bigint("resync_after", { mode: "number" }),
    resyncStartedAt: timestamp("resync_started_at", { withTimezone: true }),
    resyncDoneAt: timestamp("resync_done_at", { withTimezone: true }),
    resyncChecked: integer("resync_checked").notNull().default(0),
    resyncRewritten: integer("resync_rewritten").notNull().default(0),
  },
  (t) => [check("capture_state_singleton", sql`${t.id} = 1`)],
);

/* ── Test data tracking (MIGRATION-SPEC §7: removing it removes nothing else) ─────── */

export const testDataSets = pgTable("test_data_sets", {
  id: serial("id").primaryKey(),
  seed: integer("seed").notNull(),
  count: integer("count").notNull(),
  dirtyPct: doublePrecision("dirty_pct").notNull(),
  createdBy: text("created_by").notNull(),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  summary: jsonb("summary"),
});

export const testDataRows = pgTable(
  "test_data_rows",
  {
    kind: text("kind").$type<"prestamo" | "pago">().notNull(),
    legacyId: integer("legacy_id").notNull(),
    setId: integer("set_id").notNull(),
  },
  (t) => [primaryKey({ columns: [t.kind, t.legacyId] }), index("test_data_rows_set_idx").on(t.setId)],
);
