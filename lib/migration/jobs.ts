/**
 * Long reads as background jobs: the full consistency check, verify's dry run and the exact
 * recount of the legacy tables read every row, so no request computes them. A request asks for
 * one (`requestJob`) and reads the latest result with its age (`getJobStatus`); the runner of
 * some instance claims one job at a time. All of it is in console_jobs: at most one job of a kind
 * waits queued, so a hundred callers asking for a fresh check at once get the same single job.
 */
import { sql } from "drizzle-orm";
import type { Db, Driver, Exec } from "@/db/client";
import { isoTime, queryOne, queryRows } from "@/db/sql";
import { rootMessage } from "@/lib/errors";
import { getConsistencySummary, type ConsistencySummary } from "./consistency";
import { announceConsistencySummary, emitEvent } from "./events";
import { compactLegacyRowCounts, recountLegacy } from "./legacy-row-counts";
import { refreshPlannerStats } from "./planner-stats";
import { getVerifyReport } from "./verify";

export const JOB_KINDS = ["consistency", "verify", "legacy_recount"] as const;
export type JobKind = (typeof JOB_KINDS)[number];

/** A running job renews its lease with every progress report; past it, another runner takes the job again. */
export const JOB_LEASE_SECONDS = 300;
// One claim at a time across instances (transaction-scoped advisory lock, an arbitrary key of ours).
const CLAIM_LOCK_KEY = 7_418_001;
/**
 * After a job, the runners rest this many times as long as it took before they claim the next (as
 * gh-ost's nice ratio does between chunks): readers asking for fresh checks without pause get
 * them, one after the other, but the full walks take at most a third of the database's time away
 * from the run and the application.
 */
export const JOB_REST_RATIO = 2;

export interface JobView {
  id: number;
  kind: JobKind;
  status: "queued" | "running" | "done" | "failed";
  requestedBy: string;
  requestedAt: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  /** {done, total} of the running job (units of its kind: prestamos). */
  progress: { done: number; total: number | null } | null;
  error: string | null;
}

export interface JobStatus<R = unknown> {
  kind: JobKind;
  /** The newest finished result, whatever its age. */
  latest: { jobId: number; result: R; startedAt: string | null; finishedAt: string | null; ageSeconds: number; durationMs: number | null } | null;
  running: JobView | null;
  queued: JobView | null;
  /** When the queued job may start (the runners rest after the last one); null when at once or none waits. */
  queuedNotBefore: string | null;
  /** The newest failure when it is newer than `latest`. */
  lastFailure: { jobId: number; error: string; finishedAt: string | null } | null;
}

export interface Freshness {
  /** When the result shown finished; null when none was ever computed. */
  checkedAt: string | null;
  ageSeconds: number | null;
  /** A newer result is being computed (running) or waits its turn (queued). */
  refreshing: boolean;
  running: JobView | null;
  queued: JobView | null;
  queuedNotBefore: string | null;
  lastFailure: JobStatus["lastFailure"];
}

export function freshnessOf(status: JobStatus): Freshness {
  return {
    checkedAt: status.latest?.finishedAt ?? null,
    ageSeconds: status.latest?.ageSeconds ?? null,
    refreshing: Boolean(status.running || status.queued),
    running: status.running,
    queued: status.queued,
    queuedNotBefore: status.queuedNotBefore,
    lastFailure: status.lastFailure,
  };
}

type Row = Record<string, unknown>;

function toView(r: Row): JobView {
  const progress = r.progress == null ? null : ((typeof r.progress === "string" ? JSON.parse(r.progress) : r.progress) as JobView["progress"]);
  return {
    id: Number(r.id),
    kind: String(r.kind) as JobKind,
    status: String(r.status) as JobView["status"],
    requestedBy: String(r.requested_by),
    requestedAt: isoTime(r.requested_at as string | null),
    startedAt: isoTime(r.started_at as string | null),
    finishedAt: isoTime(r.finished_at as string | null),
    progress,
    error: (r.error as string | null) ?? null,
  };
}

const COLUMNS = sql.raw(`id, kind, status, requested_by, requested_at::text AS requested_at, started_at::text AS started_at,
  finished_at::text AS finished_at, progress::text AS progress, error`);

/**
 * Asks for a fresh job of `kind`: joins the one already queued (it starts after this request, so
 * it is fresh for this caller too) or queues one. `created` says which.
 */
export async function requestJob(db: Exec, kind: JobKind, requestedBy: string): Promise<{ job: JobView; created: boolean }> {
  for (;;) {
    const inserted = await queryOne<Row>(
      db,
      sql`INSERT INTO console_jobs (kind, requested_by) VALUES (${kind}, ${requestedBy})
          ON CONFLICT (kind) WHERE status = 'queued' DO NOTHING RETURNING ${COLUMNS}`,
    );
    if (inserted) {
      jobRunnerWake?.();
      return { job: toView(inserted), created: true };
    }
    const queued = await queryOne<Row>(db, sql`SELECT ${COLUMNS} FROM console_jobs WHERE kind = ${kind} AND status = 'queued'`);
    // Claimed between the two statements: queue again (that one may have started before this request).
    if (queued) return { job: toView(queued), created: false };
  }
}

/** The latest result of `kind` with its age, and the job running or waiting, in one statement. */
export async function getJobStatus<R>(db: Exec, kind: JobKind): Promise<JobStatus<R>> {
  const rows = await queryRows<Row>(
    db,
    sql`(SELECT 'latest' AS slot, ${COLUMNS}, result::text AS result,
                extract(epoch FROM now() - finished_at)::float8 AS age,
                (extract(epoch FROM finished_at - started_at) * 1000)::float8 AS duration_ms
         FROM console_jobs WHERE kind = ${kind} AND status = 'done' ORDER BY id DESC LIMIT 1)
        UNION ALL
        (SELECT 'failed', ${COLUMNS}, NULL, NULL, NULL FROM console_jobs WHERE kind = ${kind} AND status = 'failed' ORDER BY id DESC LIMIT 1)
        UNION ALL
        (SELECT status, ${COLUMNS}, NULL, NULL, NULL FROM console_jobs WHERE kind = ${kind} AND status IN ('queued', 'running') ORDER BY id DESC LIMIT 2)`,
  );
  const queued = rows.find((r) => r.slot === "queued");
  const rest = queued ? await restUntil(db, JOB_REST_RATIO) : null;
  const slot = (s: string) => rows.find((r) => r.slot === s);
  const latest = slot("latest");
  const failed = slot("failed");
  return {
    kind,
    latest: latest
      ? {
          jobId: Number(latest.id),
          result: JSON.parse(String(latest.result)) as R,
          startedAt: isoTime(latest.started_at as string | null),
          finishedAt: isoTime(latest.finished_at as string | null),
          ageSeconds: Math.max(0, Math.round(Number(latest.age ?? 0))),
          durationMs: latest.duration_ms == null ? null : Math.round(Number(latest.duration_ms)),
        }
      : null,
    running: slot("running") ? toView(slot("running")!) : null,
    queued: queued ? toView(queued) : null,
    queuedNotBefore: rest,
    lastFailure:
      failed && (!latest || Number(failed.id) > Number(latest.id))
        ? { jobId: Number(failed.id), error: String(failed.error ?? ""), finishedAt: isoTime(failed.finished_at as string | null) }
        : null,
  };
}

const LEASE_EXPIRED = "its runner stopped before the end (lease expired)";

// The end of the runners' rest after the newest job that ended (done, or failed at the end of a
// walk; not one whose runner died, whose "duration" is the lease), when it is still ahead.
const restEndSql = (ratio: number) =>
  sql`SELECT max(finished_at + (finished_at - started_at) * ${ratio}::float8) AS until FROM console_jobs
      WHERE (status = 'done' OR (status = 'failed' AND error IS DISTINCT FROM ${LEASE_EXPIRED})) AND started_at IS NOT NULL
        AND finished_at + (finished_at - started_at) * ${ratio}::float8 > now()`;

/** When a queued job may start; null while another job runs (it waits its turn) or when at once. */
async function restUntil(db: Exec, ratio: number): Promise<string | null> {
  if (ratio <= 0) return null;
  const row = await queryOne<{ until: string | null }>(
    db,
    sql`SELECT until::text AS until FROM (${restEndSql(ratio)}) r WHERE NOT EXISTS (SELECT 1 FROM console_jobs WHERE status = 'running')`,
  );
  return isoTime(row?.until ?? null);
}

/**
 * Claims the oldest queued job when no other job runs (one heavy read at a time for the whole
 * database) and the rest after the last one (`restRatio` × its duration) is over. A running job
 * whose lease ran out (its instance died) failed; it is queued again.
 */
export async function claimJob(db: Db, owner: string, restRatio = 0): Promise<JobView | null> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`SELECT pg_advisory_xact_lock(${CLAIM_LOCK_KEY})`);
    const abandoned = await queryRows<{ kind: string; requested_by: string }>(
      tx,
      sql`UPDATE console_jobs SET status = 'failed', finished_at = now(), error = ${LEASE_EXPIRED},
                 lease_owner = NULL, lease_expires_at = NULL
          WHERE status = 'running' AND lease_expires_at < now() RETURNING kind, requested_by`,
    );
    for (const a of abandoned) {
      await tx.execute(
        sql`INSERT INTO console_jobs (kind, requested_by) VALUES (${a.kind}, ${a.requested_by}) ON CONFLICT (kind) WHERE status = 'queued' DO NOTHING`,
      );
    }
    const claimed = await queryOne<Row>(
      tx,
      sql`UPDATE console_jobs SET status = 'running', started_at = now(), lease_owner = ${owner},
                 lease_expires_at = now() + make_interval(secs => ${JOB_LEASE_SECONDS})
          WHERE id = (SELECT id FROM console_jobs WHERE status = 'queued' ORDER BY id LIMIT 1)
            AND NOT EXISTS (SELECT 1 FROM console_jobs WHERE status = 'running')
            AND NOT EXISTS (SELECT 1 FROM (${restEndSql(restRatio)}) r WHERE r.until IS NOT NULL)
          RETURNING ${COLUMNS}`,
    );
    return claimed ? toView(claimed) : null;
  });
}

export interface JobContext {
  driver: Driver;
  /** Reports how far the job is (also renews its lease). Never awaited inside a transaction. */
  progress: (done: number, total: number | null) => void;
}

const EXECUTORS: Record<JobKind, (db: Db, ctx: JobContext) => Promise<unknown>> = {
  consistency: (db, ctx) => getConsistencySummary(db, { onProgress: ctx.progress }),
  verify: (db, ctx) => getVerifyReport(db, { driver: ctx.driver, onProgress: ctx.progress }),
  legacy_recount: (db) => recountLegacy(db),
};

/** Runs a claimed job to its end and records the result (or the error). Never throws. */
export async function runJob(db: Db, job: JobView, owner: string, driver: Driver): Promise<JobView> {
  let inFlight: Promise<unknown> | null = null;
  let last = 0;
  const progress = (done: number, total: number | null) => {
    // At most one write a second and one in flight: the embedded database runs it after the
    // job's transaction, PostgreSQL on another connection at once.
    if (inFlight || Date.now() - last < 1000) return;
    last = Date.now();
    inFlight = db
      .execute(
        sql`UPDATE console_jobs SET progress = ${JSON.stringify({ done, total })}::jsonb,
                     lease_expires_at = now() + make_interval(secs => ${JOB_LEASE_SECONDS})
                   WHERE id = ${job.id} AND lease_owner = ${owner} AND status = 'running'`,
      )
      .catch(() => {})
      .finally(() => (inFlight = null));
  };
  let outcome: { result?: unknown; error?: string };
  try {
    outcome = { result: await EXECUTORS[job.kind](db, { driver, progress }) };
  } catch (err) {
    outcome = { error: rootMessage(err) };
  }
  await inFlight;
  const row = await queryOne<Row>(
    db,
    sql`UPDATE console_jobs SET status = ${outcome.error === undefined ? "done" : "failed"}, finished_at = now(),
               result = ${outcome.error === undefined ? JSON.stringify(outcome.result) : null}::jsonb, error = ${outcome.error ?? null},
               lease_owner = NULL, lease_expires_at = NULL
        WHERE id = ${job.id} AND lease_owner = ${owner} AND status = 'running' RETURNING ${COLUMNS}`,
  );
  return row ? toView(row) : { ...job, status: "failed", error: "its lease was taken over by another runner" };
}

/**
 * The check the worker runs after a run ends, in the background already: computed here and kept
 * as a finished consistency job, so the API, pages and checklist show it with its age.
 */
export async function recordConsistencyCheck(db: Db, requestedBy: string): Promise<ConsistencySummary> {
  // The database's clock, as for finished_at (the runners' rest is their difference).
  const started = (await queryOne<{ t: string }>(db, sql`SELECT clock_timestamp()::text AS t`))!.t;
  const summary = await getConsistencySummary(db);
  await db.execute(sql`INSERT INTO console_jobs (kind, status, requested_by, requested_at, started_at, finished_at, result)
                       VALUES ('consistency', 'done', ${requestedBy}, ${started}::timestamptz, ${started}::timestamptz, now(), ${JSON.stringify(summary)}::jsonb)`);
  return summary;
}

/**
 * After a run ends, the worker computes the consistency summary once: it becomes the figure
 * Prometheus reports (announced to the listeners), and when the field match is below 100 % a
 * `consistency.below_100` event is announced for the webhooks that want it.
 */
export async function checkConsistencyAfterRun(db: Db, run: { id: number; status: string }): Promise<{ matchingPct: number | null }> {
  const summary = await recordConsistencyCheck(db, `run ${run.id} ended`);
  announceConsistencySummary(summary);
  const pct = summary.fieldMatch.matchingPct;
  if (pct !== null && pct < 100) {
    await emitEvent(db, "consistency.below_100", {
      runId: run.id,
      runStatus: run.status,
      checkedAt: summary.checkedAt,
      migrated: summary.migrated,
      matchingPct: pct,
      mismatching: summary.fieldMatch.mismatching,
      paymentAccuracyPct: summary.paymentTotals.accuracyPct,
      byCategory: summary.byCategory.filter((c) => c.prestamos > 0 || c.pagos > 0),
    });
  }
  return { matchingPct: pct };
}

/** The worker's hook: never throws (a failed check is logged, the worker goes on). */
export async function afterRunEnded(db: Db, run: { id: number; status: string }, log: (event: Record<string, unknown>) => void): Promise<void> {
  try {
    const r = await checkConsistencyAfterRun(db, run);
    log({ msg: "consistency checked after run", runId: run.id, matchingPct: r.matchingPct });
  } catch (err) {
    log({ msg: "consistency check after run failed", runId: run.id, error: err instanceof Error ? err.message : String(err) });
  }
}

/** Claims and runs jobs until none is waiting (tests, and the runner's loop). How many ran. */
export async function runQueuedJobs(db: Db, owner: string, driver: Driver): Promise<number> {
  let ran = 0;
  for (let job = await claimJob(db, owner); job; job = await claimJob(db, owner)) {
    await runJob(db, job, owner, driver);
    ran++;
  }
  return ran;
}

let jobRunnerWake: (() => void) | undefined;

// The kept legacy counts grow by a row per application insert or delete statement: folded often.
const COMPACT_EVERY_MS = 10_000;
// The planner's statistics of the tables a run fills, refreshed here rather than in a request
// (the mismatch list of a page): ANALYZE samples them, 2–3 s at 10M.
const PLANNER_STATS_EVERY_MS = 30_000;

/** The job runner of this process: one job at a time, woken by a request of this process. */
export function startJobRunner(
  db: Db,
  opts: { owner: string; driver: Driver; idleMs?: number; restRatio?: number; log?: (e: Record<string, unknown>) => void },
) {
  let running = true;
  let wake: (() => void) | undefined;
  let lastCompaction = 0;
  let lastStats = 0;
  jobRunnerWake = () => wake?.();
  const loop = async () => {
    // The Overview's orphan figures come from a recount, the pre-flight's dry run from verify: the
    // first start of a console makes one of each (a read never asks for one by itself).
    try {
      for (const kind of ["legacy_recount", "verify"] as const) if (!(await getJobStatus(db, kind)).latest) await requestJob(db, kind, "start-up");
    } catch (err) {
      opts.log?.({ msg: "job runner error", error: rootMessage(err) });
    }
    while (running) {
      try {
        if (Date.now() - lastCompaction > COMPACT_EVERY_MS) {
          lastCompaction = Date.now();
          await compactLegacyRowCounts(db);
        }
        if (Date.now() - lastStats > PLANNER_STATS_EVERY_MS) {
          lastStats = Date.now();
          await refreshPlannerStats(db);
        }
        const job = await claimJob(db, opts.owner, opts.restRatio ?? JOB_REST_RATIO);
        if (job) {
          const done = await runJob(db, job, opts.owner, opts.driver);
          opts.log?.({ msg: "job ended", jobId: done.id, kind: done.kind, status: done.status, error: done.error });
          continue;
        }
      } catch (err) {
        opts.log?.({ msg: "job runner error", error: rootMessage(err) });
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, opts.idleMs ?? 1000);
        wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
  };
  const done = loop();
  return {
    stop: async () => {
      running = false;
      wake?.();
      jobRunnerWake = undefined;
      await done;
    },
  };
}

export interface LatestConsistency<R> {
  summary: R;
  startedAt: string | null;
  finishedAt: string | null;
  ageSeconds: number;
  /** Why the new tables or the legacy rows may have changed since the check started; null when nothing did. */
  staleBecause: string | null;
}

/**
 * The latest consistency summary, and whether it still describes the data: a batch or a sync that
 * finished after it started, a change waiting in the capture queue, or a migration action in the
 * audit log since then (single, rollback, start, stop) make it stale. Null when none finished.
 */
export async function latestConsistency<R>(db: Exec): Promise<LatestConsistency<R> | null> {
  const status = await getJobStatus<R>(db, "consistency");
  const latest = status.latest;
  if (!latest) return null;
  const since = latest.startedAt ?? latest.finishedAt;
  const row = await queryOne<{ batches: boolean; backlog: boolean; actions: boolean }>(
    db,
    sql`SELECT EXISTS (SELECT 1 FROM migration_batches WHERE finished_at > ${since}::timestamptz) AS batches,
               EXISTS (SELECT 1 FROM capture_changes) AS backlog,
               EXISTS (SELECT 1 FROM console_audit_log WHERE at > ${since}::timestamptz AND action LIKE 'migration.%' AND outcome = 'ok') AS actions`,
  );
  const staleBecause = row?.backlog
    ? "legacy changes wait in the capture queue"
    : row?.batches
      ? "batches or syncs wrote the new tables after it started"
      : row?.actions
        ? "a migration action changed prestamos after it started"
        : null;
  return { summary: latest.result, startedAt: latest.startedAt, finishedAt: latest.finishedAt, ageSeconds: latest.ageSeconds, staleBecause };
}
