/**
 * Prometheus exposition with prom-client. One Registry per process, kept on globalThis:
 * routes and instrumentation are bundled apart (and HMR re-evaluates modules), and the HTTP
 * counters incremented by the route wrapper must land in the registry the scrape reads.
 *
 * Gauges about the migration are read from the database at scrape time (cheap reads: progress,
 * failures by code); the batch-duration histogram is fed from the new rows of migration_batches
 * since the previous scrape, so it covers batches of every instance without a hook in the engine;
 * the consistency figures come from the last computed summary (lib/metrics/consistency-cache.ts).
 */
import { timingSafeEqual, createHash } from "node:crypto";
import { sql } from "drizzle-orm";
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import type { Db } from "@/db/client";
import { queryRows } from "@/db/sql";
import { getProgress } from "@/lib/migration/progress";
import { getThrottle } from "@/lib/migration/throttle";
import { cachedConsistency } from "./consistency-cache";

export const RUN_STATES = ["idle", "running", "paused", "finished", "stopped", "halted", "failed"] as const;
export const PRESTAMO_STATES = ["pending", "migrated", "failed", "rolled_back"] as const;

function build() {
  const registry = new Registry();
  registry.setDefaultLabels({ app: "prestamos-console" });
  collectDefaultMetrics({ register: registry });
  // prom-client names three gauges with a counter's _total suffix (promtool check metrics flags
  // them); each is the sum over `type` of nodejs_active_handles / _requests / _resources, which stay.
  for (const name of ["nodejs_active_handles_total", "nodejs_active_requests_total", "nodejs_active_resources_total"]) registry.removeSingleMetric(name);
  const m = {
    registry,
    httpRequests: new Counter({
      name: "prestamos_http_requests_total",
      help: "API requests by method, route pattern and status",
      labelNames: ["method", "route", "status"] as const,
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: "prestamos_http_request_duration_seconds",
      help: "API request duration by method, route pattern and status",
      labelNames: ["method", "route", "status"] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    runState: new Gauge({
      name: "prestamos_migration_run_state",
      help: "1 for the state of the latest run (idle when there is none), 0 for the others",
      labelNames: ["state"] as const,
      registers: [registry],
    }),
    runId: new Gauge({ name: "prestamos_migration_run_id", help: "Id of the latest run (0 when none)", registers: [registry] }),
    runErrorRate: new Gauge({ name: "prestamos_migration_run_error_rate_percent", help: "Failed / processed × 100 of the latest run", registers: [registry] }),
    prestamos: new Gauge({
      name: "prestamos_migration_prestamos",
      help: "Legacy prestamos by migration state",
      labelNames: ["state"] as const,
      registers: [registry],
    }),
    prestamosTotal: new Gauge({ name: "prestamos_migration_prestamos_total_legacy", help: "Legacy prestamos in the table", registers: [registry] }),
    rowsPerSecond: new Gauge({
      name: "prestamos_migration_rows_per_second",
      help: "Rows migrated per second over the last 30 s of the active run",
      labelNames: ["table"] as const,
      registers: [registry],
    }),
    batchDuration: new Histogram({
      name: "prestamos_migration_batch_duration_seconds",
      help: "Duration of migration batches (run) and capture syncs (sync) recorded since this process started",
      labelNames: ["kind"] as const,
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60],
      registers: [registry],
    }),
    failures: new Gauge({
      name: "prestamos_migration_failures",
      help: "Failed prestamos by failure code",
      labelNames: ["code"] as const,
      registers: [registry],
    }),
    captureEnabled: new Gauge({ name: "prestamos_capture_enabled", help: "1 when the change-capture triggers are installed", registers: [registry] }),
    captureBacklog: new Gauge({ name: "prestamos_capture_backlog_entries", help: "Change-capture queue entries not yet synced", registers: [registry] }),
    captureAge: new Gauge({
      name: "prestamos_capture_backlog_oldest_age_seconds",
      help: "Age of the oldest unsynced change (0 when the queue is empty)",
      registers: [registry],
    }),
    consistencyMatch: new Gauge({
      name: "prestamos_consistency_match_percent",
      help: "Field match % of the last consistency summary (absent until one is computed; 100 when nothing is migrated)",
      registers: [registry],
    }),
    consistencyTotals: new Gauge({
      name: "prestamos_consistency_payment_accuracy_percent",
      help: "Payment totals accuracy % of the last consistency summary",
      registers: [registry],
    }),
    consistencyAge: new Gauge({
      name: "prestamos_consistency_computed_age_seconds",
      help: "Seconds since the consistency figures were computed",
      registers: [registry],
    }),
    // MIGRATION-SPEC §8: a gauge per signal (as last read; absent when unknown or not applicable) and the throttle's state.
    throttleSignal: new Gauge({
      name: "prestamos_throttle_signal",
      help: "Throttle signal as last read (standby_lag_ms in ms, standby_lag_bytes in bytes, app_latency as probe median / baseline, counts, WAL bytes/s)",
      labelNames: ["signal"] as const,
      registers: [registry],
    }),
    throttleThreshold: new Gauge({
      name: "prestamos_throttle_signal_threshold",
      help: "Threshold of each enabled throttle signal",
      labelNames: ["signal"] as const,
      registers: [registry],
    }),
    throttleSignalOver: new Gauge({
      name: "prestamos_throttle_signal_over",
      help: "1 when the signal holds the throttle (over, critical or unknown), 0 otherwise",
      labelNames: ["signal"] as const,
      registers: [registry],
    }),
    throttled: new Gauge({ name: "prestamos_throttle_active", help: "1 while the throttle holds the run (no new batch is claimed)", registers: [registry] }),
    throttledLong: new Gauge({
      name: "prestamos_throttle_long",
      help: "1 when the current throttle has lasted longer than its alert limit",
      registers: [registry],
    }),
    lastBatchId: 0,
  };
  return m;
}

type PromState = ReturnType<typeof build>;
// lib/testing/metrics.ts clears this key between tests.
const g = globalThis as unknown as { __prestamosProm?: PromState };

export function promState(): PromState {
  g.__prestamosProm ??= build();
  return g.__prestamosProm;
}

/** Called by the route wrapper once per API request. */
export function observeHttp(method: string, route: string, status: number, seconds: number): void {
  const m = promState();
  const labels = { method, route, status: String(status) };
  m.httpRequests.inc(labels);
  m.httpDuration.observe(labels, seconds);
}

/** At most this many new batches are folded into the histogram per scrape. */
const BATCHES_PER_SCRAPE = 10_000;

async function collectMigration(db: Db, m: PromState): Promise<void> {
  const [progress, failures, batches, consistency, throttle] = await Promise.all([
    getProgress(db),
    queryRows<{ code: string; n: number }>(db, sql`select code, count(distinct legacy_id)::int as n from migration_failures group by code`),
    queryRows<{ id: number; kind: string; duration_ms: number }>(
      db,
      sql`select id, kind, duration_ms::float8 as duration_ms from migration_batches where id > ${m.lastBatchId} order by id limit ${BATCHES_PER_SCRAPE}`,
    ),
    cachedConsistency(db),
    // The driver only decides "not applicable"; the embedded database has no readings, so no gauge.
    getThrottle(db, "postgres"),
  ]);
  for (const s of RUN_STATES) m.runState.set({ state: s }, progress.state === s ? 1 : 0);
  m.runId.set(progress.run?.id ?? 0);
  m.runErrorRate.set(progress.run?.errorRatePct ?? 0);
  const t = progress.totals;
  const byState: Record<(typeof PRESTAMO_STATES)[number], number> = { pending: t.pending, migrated: t.migrated, failed: t.failed, rolled_back: t.rolledBack };
  for (const s of PRESTAMO_STATES) m.prestamos.set({ state: s }, byState[s]);
  m.prestamosTotal.set(t.total);
  m.rowsPerSecond.set({ table: "prestamos" }, progress.rate.prestamosPerSecond);
  m.rowsPerSecond.set({ table: "pagos" }, progress.rate.pagosPerSecond);
  m.failures.reset();
  for (const f of failures) m.failures.set({ code: f.code }, Number(f.n));
  for (const b of batches) {
    m.batchDuration.observe({ kind: b.kind }, Number(b.duration_ms) / 1000);
    m.lastBatchId = Math.max(m.lastBatchId, Number(b.id));
  }
  m.captureEnabled.set(progress.capture.enabled ? 1 : 0);
  m.captureBacklog.set(progress.capture.backlog);
  m.captureAge.set(progress.capture.oldestAgeSeconds ?? 0);
  m.throttled.set(throttle.active ? 1 : 0);
  m.throttledLong.set(throttle.long ? 1 : 0);
  m.throttleSignal.reset();
  m.throttleThreshold.reset();
  m.throttleSignalOver.reset();
  for (const s of throttle.signals) {
    if (!s.applicable || s.state === "disabled") continue;
    if (s.value !== null) m.throttleSignal.set({ signal: s.id }, s.value);
    m.throttleThreshold.set({ signal: s.id }, s.threshold);
    m.throttleSignalOver.set({ signal: s.id }, s.state === "over" || s.state === "critical" || s.state === "unknown" ? 1 : 0);
  }
  if (consistency) {
    m.consistencyMatch.set(consistency.summary.fieldMatch.matchingPct ?? 100);
    m.consistencyTotals.set(consistency.summary.paymentTotals.accuracyPct);
    m.consistencyAge.set(Math.round(consistency.ageMs / 1000));
  }
}

/** The whole exposition: the migration's figures read now, then every metric of the registry. */
export async function scrape(db: Db): Promise<{ contentType: string; body: string }> {
  const m = promState();
  await collectMigration(db, m);
  return { contentType: m.registry.contentType, body: await m.registry.metrics() };
}

/**
 * True when `presented` is the PROMETHEUS_SCRAPE_TOKEN. Both sides are hashed first so that the
 * comparison is constant-time whatever their lengths. No token configured: always false.
 */
export function isScrapeToken(presented: string, configured: string | undefined = process.env.PROMETHEUS_SCRAPE_TOKEN): boolean {
  if (!configured || configured.trim() === "") return false;
  const a = createHash("sha256").update(presented).digest();
  const b = createHash("sha256").update(configured.trim()).digest();
  return timingSafeEqual(a, b);
}
