/**
 * The bench's throttle phase (MIGRATION-SPEC §8), on PostgreSQL: the application writing from 4
 * connections for a whole run, without and with the default throttle (its throughput and p99 write
 * latency against the same writer alone; then the backlog drains and the tables must match); the
 * throttle's own cost to a run with no writer; and the standby's largest byte lag during a run with
 * a 64 MB threshold, beside one batch's WAL.
 */
import { sql } from "drizzle-orm";
import { openDb, type DbHandle } from "@/db/client";
import { queryOne, queryRows } from "@/db/sql";
import type { Actor } from "@/lib/audit";
import { CAPTURE_TRIGGERS, drainAll } from "@/lib/migration/capture";
import { getConsistencySummary } from "@/lib/migration/consistency";
import { rollbackAll } from "@/lib/migration/prestamo-actions";
import { getLatestRun, startRun } from "@/lib/migration/runs";
import { getThrottleSettings, setThrottleSettings, type SignalLevels } from "@/lib/migration/throttle";
import type { SignalId, ThrottlePatch } from "@/lib/migration/vocabulary";
import { startWorker } from "@/lib/migration/worker";
import { applicationWrites } from "@/lib/testing/app-writer";
import { emptyNewTables, percentile, secs, type BenchChecks } from "./bench-data";

const MB = 1024 * 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A run of the default engine (1 worker) to its end, with the throttle or without; what its episodes were held by. */
async function measuredRun(
  h: DbHandle,
  actor: Actor,
  opts: { throttle: boolean; onLagBytes?: (bytes: number) => void; during?: (active: () => boolean) => Promise<unknown> },
) {
  await rollbackAll(h.db, actor);
  await emptyNewTables(h);
  await h.db.execute(sql`truncate throttle_episodes, throttle_samples`);
  await settle(h);
  const wal0 = await walPosition(h);
  const t0 = performance.now();
  const run = await startRun(h.db, { errorThresholdPct: 100, workers: 1 }, actor, "bench");
  let ticks = 0;
  const worker = startWorker(h.db, {
    workerId: "bench",
    idleMs: 50,
    maxSlots: 1,
    ...(opts.throttle
      ? {
          throttle: {
            driver: "postgres" as const,
            onTick: (t: { views: { id: string; value: number | null }[] }) => {
              ticks++;
              opts.onLagBytes?.(t.views.find((v) => v.id === "standby_lag_bytes")?.value ?? 0);
            },
          },
        }
      : {}),
  });
  let active = true;
  const watch = (async () => {
    while (active) {
      await sleep(200);
      active = Boolean((await getLatestRun(h.db))?.active);
    }
  })();
  const during = await opts.during?.(() => active);
  await watch;
  const runMs = performance.now() - t0;
  const walBytes = (await walPosition(h)) - wal0;
  await worker.stop();
  const episodes = await queryRows<{ seconds: number; signals: string[] }>(
    h.db,
    sql`select extract(epoch from coalesce(ended_at, now()) - started_at)::float8 as seconds,
               array(select distinct r->>'signal' from jsonb_array_elements(reasons) r) as signals
        from throttle_episodes where run_id = ${run.id} order by id`,
  );
  const batches = (await queryOne<{ n: number }>(h.db, sql`select count(*)::int as n from migration_batches where run_id = ${run.id}`))!.n;
  const heldBy: Record<string, number> = {};
  for (const e of episodes) for (const s of e.signals) heldBy[s] = (heldBy[s] ?? 0) + 1;
  return {
    run,
    during,
    runSeconds: secs(runMs),
    signalReads: ticks,
    throttleEpisodes: episodes.length,
    throttledSeconds: Math.round(episodes.reduce((a, e) => a + Number(e.seconds), 0) * 10) / 10,
    // Which signals opened or held the episodes, so no throttled second goes unexplained.
    episodesHeldBy: heldBy,
    walMbPerBatch: batches ? Math.round((walBytes / batches / MB) * 10) / 10 : null,
  };
}

/**
 * A settled server before each measured phase: a checkpoint, and every standby caught up. After a
 * run the standby replays its WAL on the same two cores for a minute or more; the application
 * measured "alone" then did 371 writes/s instead of the 1,471 it did once the server had settled.
 */
async function settle(h: DbHandle) {
  await h.db.execute(sql`checkpoint`);
  for (const deadline = Date.now() + 300_000; Date.now() < deadline; await sleep(500)) {
    const behind = await queryOne<{ n: number }>(
      h.db,
      sql`select count(*)::int as n from pg_stat_replication where replay_lsn is null or pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn) > ${MB}`,
    );
    if (behind!.n === 0) return;
  }
}

const walPosition = async (h: DbHandle) =>
  Number((await queryOne<{ lsn: number }>(h.db, sql`select pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::float8 as lsn`))!.lsn);

/** The levels for one phase, the ones it changes put back to what they were afterwards (the settings are the database's). */
async function withLevels<T>(h: DbHandle, actor: Actor, patch: ThrottlePatch, fn: () => Promise<T>): Promise<T> {
  const before = await getThrottleSettings(h.db);
  await setThrottleSettings(h.db, patch, actor);
  try {
    return await fn();
  } finally {
    // Only the fields the patch set: putting back every level would pin the resume and critical
    // levels that otherwise follow the threshold.
    const undo = Object.fromEntries(
      (Object.entries(patch) as [SignalId, Record<string, unknown>][]).map(([id, fields]) => [
        id,
        Object.fromEntries(Object.keys(fields).map((k) => [k, before.signals[id][k as keyof SignalLevels]])),
      ]),
    );
    await setThrottleSettings(h.db, undo, actor);
  }
}

/** The parts of the phase; at scale one of them alone can be run again (each run under a writer is measured against the writer alone, measured first). */
export const THROTTLE_PARTS = ["off", "on", "cost", "lag"] as const;
export type ThrottlePart = (typeof THROTTLE_PARTS)[number];

export async function benchThrottle(
  h: DbHandle,
  url: string,
  actor: Actor,
  writerSeconds: number,
  checks: BenchChecks,
  parts: readonly ThrottlePart[] = THROTTLE_PARTS,
) {
  // Named as an application, so the throttle counts them as the application's sessions.
  const writers = await Promise.all([0, 1, 2, 3].map(() => openDb({ url, max: 1, applicationName: "loans-app" })));
  const writeFor = async (until: () => boolean) => {
    const t0 = performance.now();
    const latencies: number[] = [];
    const ops = (await Promise.all(writers.map((w, i) => applicationWrites(w.db, { until, seed: 100 + i, onWrite: (ms) => latencies.push(ms) })))).reduce(
      (a, b) => a + b,
      0,
    );
    return { opsPerSecond: Math.round(ops / ((performance.now() - t0) / 1000)), p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99) };
  };
  try {
    await h.db.execute(sql.raw(`drop trigger if exists ${CAPTURE_TRIGGERS.prestamos} on prestamos`));
    await h.db.execute(sql.raw(`drop trigger if exists ${CAPTURE_TRIGGERS.pagos} on pagos_prestamo`));
    const underWriter = parts.includes("off") || parts.includes("on");
    let alone: Awaited<ReturnType<typeof writeFor>> | null = null;
    if (underWriter) {
      await settle(h);
      const quietUntil = Date.now() + writerSeconds * 1000;
      alone = await writeFor(() => Date.now() > quietUntil);
    }

    const runUnderWriter = async (throttle: boolean) => {
      let maxLagBytes = 0;
      const r = await measuredRun(h, actor, {
        throttle,
        onLagBytes: (b) => (maxLagBytes = Math.max(maxLagBytes, b)),
        during: (active) => writeFor(() => !active()),
      });
      const backlog = (await queryOne<{ n: number }>(h.db, sql`select count(*)::int as n from capture_changes`))!.n;
      const t0 = performance.now();
      await drainAll(h.db);
      const drainMs = performance.now() - t0;
      const on = throttle ? "on" : "off";
      const ended = await getLatestRun(h.db);
      checks.check(ended?.status === "finished", `the run under the application's writes (throttle ${on}) ended ${ended?.status}`);
      const after = await getConsistencySummary(h.db);
      checks.check(
        after.fieldMatch.mismatching === 0 && after.paymentTotals.differenceCents === "0",
        `after a run (throttle ${on}) under the application's writes and the drain: ${after.fieldMatch.mismatching} mismatching (${after.fieldMatch.matchingPct} %), payment difference ${after.paymentTotals.differenceCents} cents`,
      );
      await checks.checkIndependently(h.db, `after the run under the application's writes (throttle ${on})`);
      const during = r.during as Awaited<ReturnType<typeof writeFor>>;
      const { run: _run, during: _during, ...figures } = r;
      return {
        throttle,
        opsPerSecondDuringRun: during.opsPerSecond,
        keptPct: Math.round((during.opsPerSecond / alone!.opsPerSecond) * 1000) / 10,
        p50Ms: during.p50Ms,
        p99Ms: during.p99Ms,
        p99VsAlone: alone?.p99Ms ? Math.round(((during.p99Ms ?? 0) / alone.p99Ms) * 100) / 100 : null,
        ...figures,
        backlogAtRunEnd: backlog,
        drainSeconds: secs(drainMs),
        ...(throttle ? { maxStandbyLagBytes: maxLagBytes } : {}),
        matchPctAfterDrain: after.fieldMatch.matchingPct,
      };
    };
    const writerRuns = [];
    for (const throttle of [false, true]) {
      if (!parts.includes(throttle ? "on" : "off")) continue;
      const r = await runUnderWriter(throttle);
      console.log(JSON.stringify({ writerDuringRun: r }));
      writerRuns.push(r);
    }
    if (!parts.includes("cost") && !parts.includes("lag")) return { writerDuringRun: { alone, runs: writerRuns } };

    // The throttle's own cost (§8: the probe and the reads are cheap): no writer, off and on twice,
    // interleaved. The standby replays on the same two cores; its lag is a throttle doing its work,
    // not the throttle's cost, so its two signals are off for these runs (as with no standby).
    const standbyOff: ThrottlePatch = { standby_lag_ms: { enabled: false }, standby_lag_bytes: { enabled: false } };
    const costRuns = await withLevels(h, actor, standbyOff, async () => {
      const out = [];
      for (const throttle of parts.includes("cost") ? [false, true, false, true] : []) {
        const { run: _run, during: _during, ...r } = await measuredRun(h, actor, { throttle });
        out.push({ throttle, ...r });
      }
      return out;
    });
    const mean = (on: boolean) => costRuns.filter((c) => c.throttle === on).reduce((a, c) => a + c.runSeconds, 0) / 2;
    const throttleCost = costRuns.length
      ? {
          runs: costRuns,
          offSeconds: secs(mean(false) * 1000),
          onSeconds: secs(mean(true) * 1000),
          costPct: Math.round((mean(true) / mean(false) - 1) * 1000) / 10,
        }
      : null;
    console.log(JSON.stringify({ throttleCost }));

    // The standby's byte lag with a threshold of 64 MB (no writer): it should stay under the
    // threshold plus about one batch's WAL, the batch in flight when the throttle engages.
    if (!parts.includes("lag")) return { writerDuringRun: { alone, runs: writerRuns }, throttleCost };
    let maxLagBytes = 0;
    const lagRun = await withLevels(h, actor, { standby_lag_bytes: { threshold: 64 * MB } }, () =>
      measuredRun(h, actor, { throttle: true, onLagBytes: (b) => (maxLagBytes = Math.max(maxLagBytes, b)) }),
    );
    const { run: _run, during: _during, ...lagFigures } = lagRun;
    const standbyLag64Mb = { ...lagFigures, maxStandbyLagMb: Math.round((maxLagBytes / MB) * 10) / 10 };
    console.log(JSON.stringify({ standbyLag64Mb }));
    return { writerDuringRun: { alone, runs: writerRuns }, throttleCost, standbyLag64Mb };
  } finally {
    await Promise.all(writers.map((w) => w.close()));
  }
}
