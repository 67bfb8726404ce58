/**
 * Runs (MIGRATION-SPEC §4): keyset batches in legacy id order, each one transaction that writes
 * its prestamos, records failures and advances the checkpoint. One active run across every
 * instance (a partial unique index); the instance driving it holds a lease renewed by every batch.
 */
import os from "node:os";
import { sql } from "drizzle-orm";
import type { Db } from "@/db/client";
import { isoTime, queryOne } from "@/db/sql";
import { systemActor, writeAudit, type Actor } from "@/lib/audit";
import { AppError } from "@/lib/errors";
import { emitRunEvent } from "@/lib/webhooks/emit";
import { installCapture } from "./capture";
import { lockWriters, migrateWindow } from "./write";

export const RUN_DEFAULTS = { batchSize: 2000, errorThresholdPct: 1 } as const;
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
  };
}

/** This process's identity as a run worker: host, pid and a boot nonce. */
export function newWorkerId(): string {
  return `${os.hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 8)}`;
}

export async function getActiveRun(db: Pick<Db, "execute">): Promise<RunDTO | null> {
  const row = await queryOne(db, sql`select * from migration_runs where status in ('running','paused') order by id desc limit 1`);
  return row ? toRunDTO(row) : null;
}

export async function getLatestRun(db: Pick<Db, "execute">): Promise<RunDTO | null> {
  const row = await queryOne(db, sql`select * from migration_runs order by id desc limit 1`);
  return row ? toRunDTO(row) : null;
}

const isUniqueViolation = (err: unknown) => {
  const e = err as { code?: string; cause?: { code?: string } };
  return e?.code === "23505" || e?.cause?.code === "23505";
};

/**
 * Starts a run (202 in the API). 409 when one is active. Installs change capture on the first
 * start, in the same transaction, so no change between start and the first batch can be missed.
 */
export async function startRun(
  db: Db,
  opts: { batchSize?: number; errorThresholdPct?: number; retry?: boolean; preflight?: unknown },
  actor: Actor,
  workerId: string,
): Promise<RunDTO> {
  const batchSize = opts.batchSize ?? RUN_DEFAULTS.batchSize;
  const threshold = opts.errorThresholdPct ?? RUN_DEFAULTS.errorThresholdPct;
  const retry = opts.retry ?? false;
  try {
    return await db.transaction(async (tx) => {
      const active = await getActiveRun(tx);
      if (active) throw new AppError("CONFLICT", `Run ${active.id} is already active`, { run: active });
      const row = await queryOne(
        tx,
        sql`insert into migration_runs (status, retry, batch_size, error_threshold_pct, started_by, lease_owner, lease_expires_at, heartbeat_at, settings, preflight)
            values ('running', ${retry}, ${batchSize}, ${threshold}, ${actor.name}, ${workerId}, now() + make_interval(secs => ${LEASE_SECONDS}), now(),
                    ${JSON.stringify({ batchSize, errorThresholdPct: threshold, retry })}::jsonb,
                    ${opts.preflight === undefined ? null : JSON.stringify(opts.preflight)}::jsonb)
            returning *`,
      );
      const captureInstalled = await installCapture(tx, actor.name);
      const run = toRunDTO(row!);
      await writeAudit(tx, actor, {
        action: "migration.start",
        target: `run:${run.id}`,
        outcome: "ok",
        status: 202,
        details: { batchSize, errorThresholdPct: threshold, retry, captureInstalled, ...(opts.preflight === undefined ? {} : { preflight: opts.preflight }) },
      });
      await emitRunEvent(tx, "run.started", run); // webhook row commits with the start (issue 7)
      return run;
    });
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
  if (host !== os.hostname() || !Number.isInteger(pid) || pid <= 0 || pid === process.pid) return false;
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
      await tx.execute(sql`update migration_runs set last_error = ${`resumed from checkpoint ${Number(row.checkpoint)}: the worker ${resumedFrom} stopped renewing its lease`}, last_error_at = now() where id = ${Number(row.id)}`);
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

export type BatchOutcome =
  | { kind: "batch"; run: RunDTO; migrated: number; failed: number; pagos: number; durationMs: number }
  | { kind: "ended"; run: RunDTO }
  | { kind: "not-ours" };

/**
 * One batch of the run, in one transaction with its checkpoint. Returns "not-ours" when this
 * worker no longer holds the run (another took it over, or it is no longer running).
 */
export async function processBatch(db: Db, runId: number, workerId: string): Promise<BatchOutcome> {
  const t0 = performance.now();
  const startedAt = new Date().toISOString();
  return db.transaction(async (tx) => {
    await tx.execute(sql`set local lock_timeout = '5s'`);
    await lockWriters(tx, "shared");
    const run = await queryOne(tx, sql`select * from migration_runs where id = ${runId} for update`);
    if (!run || run.status !== "running" || run.lease_owner !== workerId) return { kind: "not-ours" as const };
    if (run.stop_requested_by) {
      const ended = await queryOne(
        tx,
        sql`update migration_runs set status = 'stopped', ended_at = now(), stop_reason = 'stopped',
              stop_detail = ${`stopped by ${String(run.stop_requested_by)} after batch ${Number(run.batches)}`}, lease_owner = null, lease_expires_at = null
            where id = ${runId} returning *`,
      );
      await emitRunEvent(tx, "run.stopped", toRunDTO(ended!));
      return { kind: "ended" as const, run: toRunDTO(ended!) };
    }
    const counts = await migrateWindow(tx, { after: Number(run.checkpoint), limit: Number(run.batch_size), runId, retry: Boolean(run.retry) });
    const processed = Number(run.processed) + counts.migrated + counts.failed;
    const failed = Number(run.failed) + counts.failed;
    const threshold = Number(run.error_threshold_pct);
    const done = counts.windowSize === 0;
    const rate = processed ? (failed / processed) * 100 : 0;
    const halts = (processed >= THRESHOLD_MIN_PROCESSED || done) && processed > 0 && rate > threshold;
    const status = halts ? "halted" : done ? "finished" : "running";
    const detail = halts
      ? `halted: error rate ${rate.toFixed(2)} % (${failed} of ${processed}) exceeds the threshold of ${threshold} %`
      : done
        ? `finished: ${processed} processed, ${Number(run.migrated) + counts.migrated} migrated, ${failed} failed`
        : null;
    const durationMs = performance.now() - t0;
    const updated = await queryOne(
      tx,
      sql`update migration_runs set
            checkpoint = ${counts.lastId ?? Number(run.checkpoint)},
            processed = ${processed}, failed = ${failed},
            migrated = migrated + ${counts.migrated}, pagos = pagos + ${counts.pagos},
            batches = batches + ${done ? 0 : 1},
            status = ${status},
            ended_at = case when ${status} <> 'running' then now() else null end,
            stop_reason = case when ${status} <> 'running' then ${halts ? "halted" : "finished"} else null end,
            stop_detail = ${detail},
            lease_owner = case when ${status} <> 'running' then null else lease_owner end,
            lease_expires_at = case when ${status} <> 'running' then null else now() + make_interval(secs => ${LEASE_SECONDS}) end,
            heartbeat_at = now()
          where id = ${runId} returning *`,
    );
    if (!done) {
      await tx.execute(sql`insert into migration_batches (run_id, kind, started_at, duration_ms, from_id, to_id, prestamos, pagos, failures)
                           values (${runId}, 'run', ${startedAt}, ${durationMs}, ${Number(run.checkpoint) + 1}, ${counts.lastId}, ${counts.migrated + counts.failed}, ${counts.pagos}, ${counts.failed})`);
    }
    const dto = toRunDTO(updated!);
    if (status !== "running") {
      await writeAudit(tx, systemActor(), {
        action: halts ? "migration.halt" : "migration.finish",
        target: `run:${runId}`,
        outcome: "ok",
        details: { processed, failed, errorRatePct: Number(rate.toFixed(4)), thresholdPct: threshold },
      });
      await emitRunEvent(tx, halts ? "run.halted" : "run.finished", dto);
      return { kind: "ended" as const, run: dto };
    }
    return { kind: "batch" as const, run: dto, migrated: counts.migrated, failed: counts.failed, pagos: counts.pagos, durationMs };
  });
}

/** Records an error on the active run without changing its state (the worker retries). */
export async function recordRunError(db: Db, runId: number, message: string): Promise<void> {
  await db.execute(sql`update migration_runs set last_error = ${message.slice(0, 2000)}, last_error_at = now() where id = ${runId}`);
}

/** Drives a run to its end in this process (tests, CLI). */
export async function runToEnd(db: Db, runId: number, workerId: string, maxBatches = Number.MAX_SAFE_INTEGER): Promise<RunDTO | null> {
  for (let i = 0; i < maxBatches; i++) {
    const out = await processBatch(db, runId, workerId);
    if (out.kind === "ended") return out.run;
    if (out.kind === "not-ours") return null;
  }
  return getActiveRun(db);
}
