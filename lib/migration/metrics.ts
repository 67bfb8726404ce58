/**
 * GET /metrics (MIGRATION-SPEC §6): the per-batch time series of migration_batches, throughput,
 * error rate, and system figures of this process and of the database.
 */
import { monitorEventLoopDelay, type IntervalHistogram } from "node:perf_hooks";
import { sql } from "drizzle-orm";
import type { Exec } from "@/db/client";
import { isoTime, queryOne, queryRows } from "@/db/sql";
import { AppError } from "@/lib/errors";
import { listEpisodes, type EpisodeDTO } from "./throttle";

export interface BatchPoint {
  id: number;
  runId: number | null;
  kind: "run" | "sync";
  finishedAt: string | null;
  durationMs: number;
  prestamos: number;
  pagos: number;
  failures: number;
  /** failures / prestamos × 100 (0 for an empty batch), 2 decimals. */
  errorRatePct: number;
  fromId: number | null;
  toId: number | null;
}

export interface Metrics {
  at: string;
  /** The run the series and the overall throughput are about: the one asked for, else the active one, else the latest. */
  run: {
    id: number;
    status: string;
    startedAt: string | null;
    endedAt: string | null;
    processed: number;
    migrated: number;
    failed: number;
    pagos: number;
  } | null;
  /** Oldest first (for charts): the last `limit` batches of the run, or of every kind when there is no run. */
  batches: BatchPoint[];
  throughput: {
    /** Over the batches (run and sync) finished in the last 30 s. */
    last30s: { prestamosPerSec: number; pagosPerSec: number; batches: number };
    /** The run's processed prestamos and pagos over its elapsed time (to its end, or now). */
    overall: { prestamosPerSec: number; pagosPerSec: number; elapsedSec: number } | null;
  };
  /** Over the batches shown: failures / prestamos × 100. */
  errorRatePct: number;
  /** MIGRATION-SPEC §8: the throttle's episodes of the run (of any run when there is none), newest first. */
  throttleEpisodes: EpisodeDTO[];
  system: {
    memory: { rssBytes: number; heapUsedBytes: number; heapTotalBytes: number };
    /** Process CPU (user + system) since the previous call, as % of one core. */
    cpuPct: number;
    cpuWindowMs: number;
    /** Event-loop delay since the previous call, ms. */
    eventLoopLagMs: { mean: number; p50: number; p99: number; max: number };
    dbConnections: number;
    newTablesBytes: { prestamos: number; pagos: number; total: number };
  };
}

const round2 = (n: number) => Math.round(n * 100) / 100;

/* Per-process samplers, created lazily once (routes and instrumentation are bundled apart: globalThis). */
const g = globalThis as unknown as {
  __prestamosMetrics?: { loop: IntervalHistogram; cpu: NodeJS.CpuUsage; at: bigint };
};

function sampler() {
  if (!g.__prestamosMetrics) {
    const loop = monitorEventLoopDelay({ resolution: 20 });
    loop.enable();
    // First window: since the process started.
    const at = process.hrtime.bigint() - BigInt(Math.round(process.uptime() * 1e9));
    g.__prestamosMetrics = { loop, cpu: { user: 0, system: 0 }, at };
  }
  return g.__prestamosMetrics;
}

function systemSample() {
  const s = sampler();
  const now = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  const elapsedUs = Number(now - s.at) / 1000;
  const usedUs = cpu.user - s.cpu.user + (cpu.system - s.cpu.system);
  const ms = (ns: number) => (Number.isFinite(ns) ? round2(ns / 1e6) : 0);
  const lag = { mean: ms(s.loop.mean), p50: ms(s.loop.percentile(50)), p99: ms(s.loop.percentile(99)), max: ms(s.loop.max) };
  s.loop.reset();
  s.cpu = cpu;
  s.at = now;
  const mem = process.memoryUsage();
  return {
    memory: { rssBytes: mem.rss, heapUsedBytes: mem.heapUsed, heapTotalBytes: mem.heapTotal },
    cpuPct: elapsedUs > 0 ? round2((usedUs / elapsedUs) * 100) : 0,
    cpuWindowMs: Math.round(elapsedUs / 1000),
    eventLoopLagMs: lag,
  };
}

export async function getMetrics(db: Exec, opts: { runId?: number; limit: number }): Promise<Metrics> {
  const runRow = await queryOne<Record<string, unknown>>(
    db,
    opts.runId !== undefined
      ? sql`SELECT id, status, started_at::text AS started_at, ended_at::text AS ended_at, processed, migrated, failed, pagos,
                   extract(epoch FROM coalesce(ended_at, now()) - started_at)::float8 AS elapsed
            FROM migration_runs WHERE id = ${opts.runId}`
      : sql`SELECT id, status, started_at::text AS started_at, ended_at::text AS ended_at, processed, migrated, failed, pagos,
                   extract(epoch FROM coalesce(ended_at, now()) - started_at)::float8 AS elapsed
            FROM migration_runs ORDER BY (status IN ('running', 'paused')) DESC, id DESC LIMIT 1`,
  );
  if (opts.runId !== undefined && !runRow) throw new AppError("NOT_FOUND", `Run ${opts.runId} not found`);
  const runId = runRow ? Number(runRow.id) : null;
  const batchRows = await queryRows<Record<string, unknown>>(
    db,
    runId !== null
      ? sql`SELECT id, run_id, kind, finished_at::text AS finished_at, duration_ms, prestamos, pagos, failures, from_id, to_id
            FROM migration_batches WHERE run_id = ${runId} ORDER BY id DESC LIMIT ${opts.limit}`
      : sql`SELECT id, run_id, kind, finished_at::text AS finished_at, duration_ms, prestamos, pagos, failures, from_id, to_id
            FROM migration_batches ORDER BY id DESC LIMIT ${opts.limit}`,
  );
  const batches: BatchPoint[] = batchRows.reverse().map((r) => {
    const prestamos = Number(r.prestamos);
    const failures = Number(r.failures);
    return {
      id: Number(r.id),
      runId: r.run_id == null ? null : Number(r.run_id),
      kind: r.kind as BatchPoint["kind"],
      finishedAt: isoTime(r.finished_at),
      durationMs: round2(Number(r.duration_ms)),
      prestamos,
      pagos: Number(r.pagos),
      failures,
      errorRatePct: prestamos > 0 ? round2((failures / prestamos) * 100) : 0,
      fromId: r.from_id == null ? null : Number(r.from_id),
      toId: r.to_id == null ? null : Number(r.to_id),
    };
  });
  const recent = await queryOne<Record<string, unknown>>(
    db,
    sql`SELECT coalesce(sum(prestamos), 0)::int AS prestamos, coalesce(sum(pagos), 0)::int AS pagos, count(*)::int AS n
        FROM migration_batches WHERE finished_at > now() - interval '30 seconds'`,
  );
  const sys = await queryOne<Record<string, unknown>>(
    db,
    sql`SELECT (SELECT count(*) FROM pg_stat_activity WHERE datname = current_database())::int AS conns,
               pg_total_relation_size('prestamos_new')::float8 AS p_bytes,
               pg_total_relation_size('pagos_prestamo_new')::float8 AS g_bytes`,
  );
  const shownPrestamos = batches.reduce((s, b) => s + b.prestamos, 0);
  const shownFailures = batches.reduce((s, b) => s + b.failures, 0);
  const elapsed = runRow ? Number(runRow.elapsed ?? 0) : 0;
  const pBytes = Number(sys?.p_bytes ?? 0);
  const gBytes = Number(sys?.g_bytes ?? 0);
  return {
    at: new Date().toISOString(),
    run: runRow
      ? {
          id: Number(runRow.id),
          status: String(runRow.status),
          startedAt: isoTime(runRow.started_at),
          endedAt: isoTime(runRow.ended_at),
          processed: Number(runRow.processed),
          migrated: Number(runRow.migrated),
          failed: Number(runRow.failed),
          pagos: Number(runRow.pagos),
        }
      : null,
    batches,
    throughput: {
      last30s: {
        prestamosPerSec: round2(Number(recent?.prestamos ?? 0) / 30),
        pagosPerSec: round2(Number(recent?.pagos ?? 0) / 30),
        batches: Number(recent?.n ?? 0),
      },
      overall: runRow
        ? {
            prestamosPerSec: elapsed > 0 ? round2(Number(runRow.processed) / elapsed) : 0,
            pagosPerSec: elapsed > 0 ? round2(Number(runRow.pagos) / elapsed) : 0,
            elapsedSec: round2(elapsed),
          }
        : null,
    },
    errorRatePct: shownPrestamos > 0 ? round2((shownFailures / shownPrestamos) * 100) : 0,
    throttleEpisodes: await listEpisodes(db, { runId: runId ?? undefined, limit: 50 }),
    system: {
      ...systemSample(),
      dbConnections: Number(sys?.conns ?? 0),
      newTablesBytes: { prestamos: pBytes, pagos: gBytes, total: pBytes + gBytes },
    },
  };
}
