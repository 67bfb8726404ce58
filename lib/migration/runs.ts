/**
 * Runs (MIGRATION-SPEC §4): keyset batches in legacy id order, each one transaction that writes
 * its prestamos, records failures and advances the checkpoint. One active run across every
 * instance (a partial unique index); the instance driving it holds a lease renewed by every batch.
 */
import fs from "node:fs";
import os from "node:os";
import { sql } from "drizzle-orm";
import type { Db, Driver, Exec } from "@/db/client";
import { isoTime, queryOne } from "@/db/sql";
import { systemActor, writeAudit, type Actor } from "@/lib/audit";
import { AppError, pgErrorCode } from "@/lib/errors";
import { emitRunEvent } from "./events";
import { installCapture, lockCapture } from "./capture";
import { installLegacyRowCounts } from "./legacy-row-counts";
import { assertLegacyPhase } from "./cutover";

export const RUN_DEFAULTS = { batchSize: 2000, errorThresholdPct: 1, targetBatchMs: 500, pauseMs: 0, workers: 2 } as const;
/** The embedded database runs one batch loop (one connection): a run there defaults to 1 worker. */
export const runDefaultsFor = (driver: Driver) => ({ ...RUN_DEFAULTS, workers: driver === "pglite" ? 1 : RUN_DEFAULTS.workers });
/** Adaptive batch sizes stay within these bounds. */
export const BATCH_SIZE_BOUNDS = { min: 100, max: 50_000 } as const;
/** A run's lease: renewed by every batch; another instance takes the run over once it expires. */
export const LEASE_SECONDS = 15;
/** The error threshold applies once this many prestamos were processed (or all of them). */
export const THRESHOLD_MIN_PROCESSED = 1000;

export interface RunDTO {
  id: number;
  status: "running" | "paused" | "finished" | "stopped" | "halted" | "failed";
  active: boolean;
  retry: boolean;
  batchSize: number;
  errorThresholdPct: number;
  startedBy: string;
  startedAt: string | null;
  endedAt: string | null;
  checkpoint: number;
  processed: number;
  migrated: number;
  failed: number;
  pagos: number;
  batches: number;
  errorRatePct: number;
  stopRequestedBy: string | null;
  stopReason: string | null;
  stopDetail: string | null;
  lastError: string | null;
  lastErrorAt: string | null;
  leaseOwner: string | null;
  leaseExpiresAt: string | null;
  heartbeatAt: string | null;
  resumes: number;
  claimedTo: number;
  targetBatchMs: number;
  pauseMs: number;
  workers: number;
}

type RunRow = Record<string, unknown>;

export function toRunDTO(r: RunRow): RunDTO {
  const processed = Number(r.processed ?? 0);
  const failed = Number(r.failed ?? 0);
  const status = String(r.status) as RunDTO["status"];
  return {
    id: Number(r.id),
    status,
    active: status === "running" || status === "paused",
    retry: Boolean(r.retry),
    batchSize: Number(r.batch_size),
    errorThresholdPct: Number(r.error_threshold_pct),
    startedBy: String(r.started_by),
    startedAt: isoTime(r.started_at),
    endedAt: isoTime(r.ended_at),
    checkpoint: Number(r.checkpoint ?? 0),
    processed,
    migrated: Number(r.migrated ?? 0),
    failed,
    pagos: Number(r.pagos ?? 0),
    batches: Number(r.batches ?? 0),
    errorRatePct: processed ? (failed / processed) * 100 : 0,
    stopRequestedBy: (r.stop_requested_by as string | null) ?? null,
    stopReason: (r.stop_reason as string | null) ?? null,
    stopDetail: (r.stop_detail as string | null) ?? null,
    lastError: (r.last_error as string | null) ?? null,
    lastErrorAt: isoTime(r.last_error_at),
    leaseOwner: (r.lease_owner as string | null) ?? null,
    leaseExpiresAt: isoTime(r.lease_expires_at),
    heartbeatAt: isoTime(r.heartbeat_at),
    resumes: Number(r.resumes ?? 0),
    claimedTo: Number(r.claimed_to ?? 0),
    targetBatchMs: Number(r.target_batch_ms ?? 0),
    pauseMs: Number(r.pause_ms ?? 0),
    workers: Number(r.workers ?? 1),
  };
}

/**
 * Where a pid means this process table: the host name, plus (on Linux) the machine's boot id and
 * the pid namespace. Containers often share a host name (and each has its own pid 1, 2, …): by
 * host name alone, one instance found the other's pid absent from its own namespace, took it
 * for dead and took its live run over.
 */
export const THIS_HOST = (() => {
  try {
    const boot = fs.readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim().slice(0, 8);
    const ns = /\[(\d+)\]/.exec(fs.readlinkSync("/proc/self/ns/pid"))?.[1];
    return boot && ns ? `${os.hostname()}.${boot}.${ns}` : os.hostname();
  } catch {
    return os.hostname();
  }
})();

/** This process's identity as a run worker: host (THIS_HOST), pid and a boot nonce. */
export function newWorkerId(): string {
  return `${THIS_HOST}:${process.pid}:${Math.random().toString(36).slice(2, 8)}`;
}

export async function getActiveRun(db: Exec): Promise<RunDTO | null> {
  const row = await queryOne(db, sql`select * from migration_runs where status in ('running','paused') order by id desc limit 1`);
  return row ? toRunDTO(row) : null;
}

export async function getLatestRun(db: Exec): Promise<RunDTO | null> {
  const row = await queryOne(db, sql`select * from migration_runs order by id desc limit 1`);
  return row ? toRunDTO(row) : null;
}

const isUniqueViolation = (err: unknown) => pgErrorCode(err) === "23505";

/**
 * Starts a run (202 in the API). 409 when one is active. Installs change capture when it is not
 * on (first start, after a cleanup, triggers found missing or disabled), in the same transaction
 * and under the capture lock, so no change between start and the first batch can be missed and
 * no cleanup can drop the triggers under a run that has just started.
 */
export async function startRun(
  db: Db,
  opts: RunTunables & { batchSize?: number; errorThresholdPct?: number; retry?: boolean; preflight?: unknown },
  actor: Actor,
  workerId: string,
): Promise<RunDTO> {
  const batchSize = opts.batchSize ?? RUN_DEFAULTS.batchSize;
  const threshold = opts.errorThresholdPct ?? RUN_DEFAULTS.errorThresholdPct;
  const retry = opts.retry ?? false;
  // An explicit batch size without a target duration is the operator's choice: keep it fixed.
  const targetBatchMs = opts.targetBatchMs ?? (opts.batchSize !== undefined ? 0 : RUN_DEFAULTS.targetBatchMs);
  const pauseMs = opts.pauseMs ?? RUN_DEFAULTS.pauseMs;
  const workers = opts.workers ?? RUN_DEFAULTS.workers;
  try {
    const started = await db.transaction(async (tx) => {
      await assertLegacyPhase(tx, "a run");
      await lockCapture(tx);
      const active = await getActiveRun(tx);
      if (active) throw new AppError("CONFLICT", `Run ${active.id} is already active`, { run: active });
      const row = await queryOne(
        tx,
        sql`insert into migration_runs (status, retry, batch_size, error_threshold_pct, started_by, lease_owner, lease_expires_at, heartbeat_at,
                                        target_batch_ms, pause_ms, workers, settings, preflight)
            values ('running', ${retry}, ${batchSize}, ${threshold}, ${actor.name}, ${instanceOf(workerId)}, now() + make_interval(secs => ${LEASE_SECONDS}), now(),
                    ${targetBatchMs}, ${pauseMs}, ${workers},
                    ${JSON.stringify({ batchSize, errorThresholdPct: threshold, retry, targetBatchMs, pauseMs, workers })}::jsonb,
                    ${opts.preflight === undefined ? null : JSON.stringify(opts.preflight)}::jsonb)
            returning *`,
      );
      const capture = await installCapture(tx, actor.name);
      // The walk ends at the last id of now: capture is on, so a loan the application adds from
      // here lands through capture (it follows pending ones); chasing those ids kept a run under
      // a busy application going batch after tiny batch.
      await tx.execute(
        sql`update migration_runs set settings = settings || jsonb_build_object('walkUpTo', (select max(id) from prestamos)) where id = ${row!.id}`,
      );
      const run = toRunDTO(row!);
      await writeAudit(tx, actor, {
        action: "migration.start",
        target: `run:${run.id}`,
        outcome: "ok",
        status: 202,
        details: {
          batchSize,
          errorThresholdPct: threshold,
          retry,
          targetBatchMs,
          pauseMs,
          workers,
          captureInstalled: capture.installed,
          resyncOwed: capture.resyncOwed,
          ...(opts.preflight === undefined ? {} : { preflight: opts.preflight }),
        },
      });
      await emitRunEvent(tx, "run.started", run); // webhook row commits with the start
      return run;
    });
    // Counting triggers found disabled or gone (DISABLE TRIGGER USER, a restore) are put back and
    // reseeded with one exact count, so the run's progress is exact again; a no-op when in place.
    await installLegacyRowCounts(db);
    return started;
  } catch (err) {
    // Two starts at once: the partial unique index lets one through.
    if (isUniqueViolation(err)) throw new AppError("CONFLICT", "A run is already active");
    throw err;
  }
}

/**
 * Asks the active run to stop after its current batch. When no live worker holds it (its lease
 * expired), it is stopped at once.
 */
export async function requestStop(db: Db, actor: Actor): Promise<RunDTO> {
  return db.transaction(async (tx) => {
    const row = await queryOne(tx, sql`select * from migration_runs where status in ('running','paused') order by id desc limit 1 for update`);
    if (!row) throw new AppError("CONFLICT", "No run is active");
    const updated = await queryOne(
      tx,
      sql`update migration_runs set stop_requested_by = ${actor.name},
            status = case when lease_expires_at is null or lease_expires_at < now() or status = 'paused' then 'stopped' else status end,
            ended_at = case when lease_expires_at is null or lease_expires_at < now() or status = 'paused' then now() else ended_at end,
            stop_reason = case when lease_expires_at is null or lease_expires_at < now() or status = 'paused' then 'stopped' else stop_reason end,
            stop_detail = case when lease_expires_at is null or lease_expires_at < now() or status = 'paused' then ${`stopped by ${actor.name}`} else stop_detail end
          where id = ${Number(row.id)} returning *`,
    );
    const run = toRunDTO(updated!);
    await writeAudit(tx, actor, { action: "migration.stop", target: `run:${run.id}`, outcome: "ok", status: 200, details: { status: run.status } });
    if (run.status === "stopped") await emitRunEvent(tx, "run.stopped", run); // stopped at once (no live worker)
    return run;
  });
}

function pidIsDead(workerId: string | null): boolean {
  if (!workerId) return false;
  const [host, pidText] = workerId.split(":");
  const pid = Number(pidText);
  if (host !== THIS_HOST || !Number.isInteger(pid) || pid <= 0 || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "ESRCH";
  }
}

/**
 * Takes or renews the lease of the active run for `workerId`. A lease held by a live worker is
 * left alone; an expired one (or one whose process on this host is gone) is taken over and the
 * run resumes from its checkpoint. Returns null when there is nothing for this worker to drive.
 */
export async function claimActiveRun(db: Db, workerId: string): Promise<{ run: RunDTO; resumedFrom: string | null } | null> {
  const current = await getActiveRun(db);
  if (!current) return null;
  const holderGone = current.leaseOwner !== workerId && pidIsDead(current.leaseOwner);
  const row = await queryOne(
    db,
    sql`with cur as (
          select id, lease_owner from migration_runs
          where id = ${current.id} and status in ('running','paused')
            and (lease_owner = ${workerId} or lease_owner is null or lease_expires_at < now() or (${holderGone}::boolean and lease_owner = ${current.leaseOwner}))
          for update skip locked)
        update migration_runs r set
          lease_owner = ${workerId},
          lease_expires_at = now() + make_interval(secs => ${LEASE_SECONDS}),
          heartbeat_at = now(),
          resumes = r.resumes + case when cur.lease_owner is distinct from ${workerId} then 1 else 0 end
        from cur where r.id = cur.id
        returning r.*, cur.lease_owner as previous_owner`,
  );
  if (!row) return null;
  const previous = (row.previous_owner as string | null) ?? null;
  const resumedFrom = previous !== workerId ? (previous ?? "unknown") : null;
  if (resumedFrom !== null) {
    await db.transaction(async (tx) => {
      await tx.execute(
        sql`update migration_runs set last_error = ${`resumed from checkpoint ${Number(row.checkpoint)}: the worker ${resumedFrom} stopped renewing its lease`}, last_error_at = now() where id = ${Number(row.id)}`,
      );
      await writeAudit(tx, systemActor(), {
        action: "migration.resume",
        target: `run:${Number(row.id)}`,
        outcome: "ok",
        details: { previousWorker: resumedFrom, worker: workerId, checkpoint: Number(row.checkpoint) },
      });
      await emitRunEvent(tx, "run.resumed", toRunDTO(row), { previousWorker: resumedFrom });
    });
  }
  return { run: toRunDTO(row), resumedFrom };
}

/** Workers of one instance are `<instance>#<slot>`; the run's lease is held by the instance. */
export const instanceOf = (workerId: string) => workerId.split("#")[0];

export interface RunTunables {
  targetBatchMs?: number;
  pauseMs?: number;
  workers?: number;
}

/** Changes an active run's tunables while it runs (audited). */
export async function tuneRun(db: Db, changes: RunTunables & { batchSize?: number }, actor: Actor): Promise<RunDTO> {
  return db.transaction(async (tx) => {
    const row = await queryOne(tx, sql`select * from migration_runs where status in ('running','paused') order by id desc limit 1 for update`);
    if (!row) throw new AppError("CONFLICT", "No run is active");
    const updated = await queryOne(
      tx,
      sql`update migration_runs set
            target_batch_ms = coalesce(${changes.targetBatchMs ?? null}::int, target_batch_ms),
            pause_ms = coalesce(${changes.pauseMs ?? null}::int, pause_ms),
            workers = coalesce(${changes.workers ?? null}::int, workers),
            batch_size = coalesce(${changes.batchSize ?? null}::int, batch_size)
          where id = ${Number(row.id)} returning *`,
    );
    const run = toRunDTO(updated!);
    await writeAudit(tx, actor, { action: "migration.tune", target: `run:${run.id}`, outcome: "ok", status: 200, details: changes });
    return run;
  });
}

/** Pauses the active run after the batches in flight, or resumes it (audited). 409 when it is not in the other state. */
export async function setRunPaused(db: Db, paused: boolean, actor: Actor): Promise<RunDTO> {
  return db.transaction(async (tx) => {
    const row = await queryOne(tx, sql`select * from migration_runs where status in ('running','paused') order by id desc limit 1 for update`);
    if (!row) throw new AppError("CONFLICT", "No run is active");
    if ((row.status === "paused") === paused) throw new AppError("CONFLICT", `Run ${Number(row.id)} is already ${String(row.status)}`);
    const updated = await queryOne(tx, sql`update migration_runs set status = ${paused ? "paused" : "running"} where id = ${Number(row.id)} returning *`);
    const run = toRunDTO(updated!);
    await writeAudit(tx, actor, { action: paused ? "migration.pause" : "migration.resume_run", target: `run:${run.id}`, outcome: "ok", status: 200 });
    return run;
  });
}

/** Records an error on the active run without changing its state (the worker retries). */
export async function recordRunError(db: Db, runId: number, message: string): Promise<void> {
  await db.execute(sql`update migration_runs set last_error = ${message.slice(0, 2000)}, last_error_at = now() where id = ${runId}`);
}
