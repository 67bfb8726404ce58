/**
 * Runs (MIGRATION-SPEC §4): keyset batches in legacy id order, each one transaction that writes
 * its prestamos, records failures and advances the checkpoint. One active run across every
 * instance (a partial unique index); the instance driving it holds a lease renewed by every batch.
 */
import fs from "node:fs";
import os from "node:os";
import { sql, type SQL } from "drizzle-orm";
import type { Db, Driver } from "@/db/client";
import { isoTime, queryOne } from "@/db/sql";
import { systemActor, writeAudit, type Actor } from "@/lib/audit";
import { AppError, pgErrorCode } from "@/lib/errors";
import { emitRunEvent } from "./events";
import { installCapture, lockCapture, resyncStep } from "./capture";
import { installLegacyRowCounts } from "./legacy-row-counts";
import { assertLegacyPhase } from "./cutover";
import { lockWriters, migrateWindow } from "./write";

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

export async function getActiveRun(db: Pick<Db, "execute">): Promise<RunDTO | null> {
  const row = await queryOne(db, sql`select * from migration_runs where status in ('running','paused') order by id desc limit 1`);
  return row ? toRunDTO(row) : null;
}

export async function getLatestRun(db: Pick<Db, "execute">): Promise<RunDTO | null> {
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
      await tx.execute(sql`update migration_runs set settings = settings || jsonb_build_object('walkUpTo', (select max(id) from prestamos)) where id = ${row!.id}`);
      const run = toRunDTO(row!);
      await writeAudit(tx, actor, {
        action: "migration.start",
        target: `run:${run.id}`,
        outcome: "ok",
        status: 202,
        details: { batchSize, errorThresholdPct: threshold, retry, targetBatchMs, pauseMs, workers, captureInstalled: capture.installed, resyncOwed: capture.resyncOwed, ...(opts.preflight === undefined ? {} : { preflight: opts.preflight }) },
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
  | { kind: "batch"; run: RunDTO; migrated: number; failed: number; pagos: number; durationMs: number; size: number }
  /** A batch of the re-sync owed after a gap in capture (done before any copying). */
  | { kind: "resync"; run: RunDTO; checked: number; rewritten: number; done: boolean }
  | { kind: "ended"; run: RunDTO }
  | { kind: "not-ours" }
  /** Nothing to claim now: other workers still hold chunks of the run. */
  | { kind: "wait" }
  | { kind: "paused"; run: RunDTO };

/** Workers of one instance are `<instance>#<slot>`; the run's lease is held by the instance. */
export const instanceOf = (workerId: string) => workerId.split("#")[0];

type Claimed = { kind: "chunk"; chunkId: number; lo: number; hi: number };

/** The run's checkpoint: the lowest start of a chunk still claimed, else `allClaimedTo` (every chunk below it is done). */
const checkpointOf = (runId: number, allClaimedTo: SQL) =>
  sql`coalesce((select min(c.lo) from migration_chunks c where c.run_id = ${runId} and c.status = 'claimed'), ${allClaimedTo})`;

async function endRun(tx: Pick<Db, "execute" | "insert">, runId: number, status: "finished" | "halted" | "stopped", reason: string, detail: string, audit: boolean): Promise<RunDTO> {
  const ended = await queryOne(
    tx,
    sql`update migration_runs r set status = ${status}, ended_at = now(), stop_reason = ${reason}, stop_detail = ${detail},
          checkpoint = ${checkpointOf(runId, sql`r.claimed_to`)},
          lease_owner = null, lease_expires_at = null, heartbeat_at = now()
        where id = ${runId} returning *`,
  );
  const dto = toRunDTO(ended!);
  if (audit) {
    await writeAudit(tx, systemActor(), {
      action: status === "halted" ? "migration.halt" : "migration.finish",
      target: `run:${runId}`,
      outcome: "ok",
      details: { processed: dto.processed, failed: dto.failed, errorRatePct: Number(dto.errorRatePct.toFixed(4)), thresholdPct: dto.errorThresholdPct },
    });
  }
  await emitRunEvent(tx, status === "halted" ? "run.halted" : status === "stopped" ? "run.stopped" : "run.finished", dto);
  return dto;
}

/**
 * "Exceeds its threshold" in exact arithmetic (§4): the threshold is taken in basis points and
 * compared as integers, so 35 failed of 1,000 at 3.5 % does not halt (35/1000*100 is
 * 3.5000000000000004 in floating point).
 */
export function exceedsThreshold(failed: number, processed: number, thresholdPct: number): boolean {
  const thresholdBp = Math.round(thresholdPct * 100);
  return processed > 0 && failed * 10_000 > thresholdBp * processed;
}

const haltDetail = (failed: number, processed: number, threshold: number) =>
  `halted: error rate ${((failed / processed) * 100).toFixed(2)} % (${failed} of ${processed}) exceeds the threshold of ${threshold} %`;

/** Claimed chunks of the run whose batch transaction is open right now (their rows are locked). */
async function batchesInFlight(tx: Pick<Db, "execute">, runId: number): Promise<number> {
  const row = await queryOne<{ n: number }>(
    tx,
    sql`select (select count(*) from migration_chunks where run_id = ${runId} and status = 'claimed')::int
             - (select count(*) from (select id from migration_chunks where run_id = ${runId} and status = 'claimed' for update skip locked) free)::int as n`,
  );
  return row?.n ?? 0;
}

/** Thrown inside a batch's transaction to roll it back: its run ended while it ran. */
class RunEndedMeanwhile extends Error {}

/**
 * Step 1 of a batch, a short transaction on the run row: ends the run when asked to stop, past
 * its error threshold or at the end of the table; else claims a chunk — one of this worker's
 * own left over from a failed attempt, one a dead worker held, or the next `size` legacy ids.
 */
async function claimChunk(db: Db, runId: number, workerId: string, size: number): Promise<Claimed | Exclude<BatchOutcome, { kind: "batch" }>> {
  return db.transaction(async (tx) => {
    const run = await queryOne(tx, sql`select * from migration_runs where id = ${runId} for update`);
    if (!run || (run.status !== "running" && run.status !== "paused") || run.lease_owner !== instanceOf(workerId)) return { kind: "not-ours" as const };
    // A stop or a halt ends the run only once no batch of it is in flight (a batch holds its
    // chunk's row lock until it commits): the run's figures are then final, and no batch of an
    // ended run can overlap the next run's.
    const ending = Boolean(run.stop_requested_by) || (Number(run.processed) >= THRESHOLD_MIN_PROCESSED && exceedsThreshold(Number(run.failed), Number(run.processed), Number(run.error_threshold_pct)));
    if (ending && (await batchesInFlight(tx, runId)) > 0) return { kind: "wait" as const };
    if (run.stop_requested_by) {
      const detail = `stopped by ${String(run.stop_requested_by)} after batch ${Number(run.batches)}`;
      return { kind: "ended" as const, run: await endRun(tx, runId, "stopped", "stopped", detail, false) };
    }
    if (run.status === "paused") return { kind: "paused" as const, run: toRunDTO(run) };
    const processed = Number(run.processed);
    const failed = Number(run.failed);
    const threshold = Number(run.error_threshold_pct);
    if (processed >= THRESHOLD_MIN_PROCESSED && exceedsThreshold(failed, processed, threshold)) {
      return { kind: "ended" as const, run: await endRun(tx, runId, "halted", "halted", haltDetail(failed, processed, threshold), true) };
    }
    // A chunk row locked by a transaction is being migrated right now: SKIP LOCKED passes it by.
    const leftover = await queryOne<{ id: number; lo: number; hi: number }>(
      tx,
      sql`select id, lo, hi from migration_chunks
          where run_id = ${runId} and status = 'claimed'
            and (worker = ${workerId} or split_part(worker, '#', 1) <> ${instanceOf(workerId)} or claimed_at < now() - interval '2 minutes')
          order by (worker = ${workerId}) desc, lo limit 1
          for update skip locked`,
    );
    if (leftover) {
      await tx.execute(sql`update migration_chunks set worker = ${workerId}, claimed_at = now() where id = ${leftover.id}`);
      return { kind: "chunk" as const, chunkId: Number(leftover.id), lo: Number(leftover.lo), hi: Number(leftover.hi) };
    }
    const claimedTo = Number(run.claimed_to);
    const next = await queryOne<{ hi: number | null }>(
      tx,
      sql`select max(id)::int as hi from (select id from prestamos where id > ${claimedTo}::bigint and id <= coalesce((select (settings->>'walkUpTo')::bigint from migration_runs where id = ${runId}), 9223372036854775807) order by id limit ${size}) w`,
    );
    if (next?.hi == null) {
      const open = await queryOne<{ n: number }>(tx, sql`select count(*)::int as n from migration_chunks where run_id = ${runId} and status = 'claimed'`);
      if ((open?.n ?? 0) > 0) return { kind: "wait" as const };
      if (exceedsThreshold(failed, processed, threshold)) {
        return { kind: "ended" as const, run: await endRun(tx, runId, "halted", "halted", haltDetail(failed, processed, threshold), true) };
      }
      const detail = `finished: ${processed} processed, ${Number(run.migrated)} migrated, ${failed} failed`;
      return { kind: "ended" as const, run: await endRun(tx, runId, "finished", "finished", detail, true) };
    }
    const chunk = await queryOne<{ id: number }>(
      tx,
      sql`insert into migration_chunks (run_id, lo, hi, status, worker) values (${runId}, ${claimedTo}, ${next.hi}, 'claimed', ${workerId}) returning id`,
    );
    // The checkpoint is refreshed here too, under the run row's lock: a batch's own update read
    // the chunks before a concurrent batch committed, so it can lag behind.
    await tx.execute(
      sql`update migration_runs r set claimed_to = ${next.hi},
            checkpoint = ${checkpointOf(runId, sql`${next.hi}`)},
            lease_expires_at = now() + make_interval(secs => ${LEASE_SECONDS}), heartbeat_at = now() where id = ${runId}`,
    );
    return { kind: "chunk" as const, chunkId: Number(chunk!.id), lo: claimedTo, hi: Number(next.hi) };
  });
}

/**
 * One batch of the run. Claims a chunk (short transaction), then migrates it in one transaction
 * that also marks it done, records the batch and advances the run's counters and checkpoint (the
 * highest id below which every chunk is done). Several workers run this at once on disjoint
 * chunks. Returns "not-ours" when this worker's instance no longer holds the run.
 */
export async function processBatch(db: Db, runId: number, workerId: string, size?: number): Promise<BatchOutcome> {
  const claimSize = size ?? Number((await queryOne<{ b: number }>(db, sql`select batch_size as b from migration_runs where id = ${runId}`))?.b ?? RUN_DEFAULTS.batchSize);
  const resync = await resyncBatch(db, runId, workerId, claimSize);
  if (resync) return resync;
  const claim = await claimChunk(db, runId, workerId, claimSize);
  if (claim.kind !== "chunk") return claim;
  const t0 = performance.now();
  const startedAt = new Date().toISOString();
  return db.transaction(async (tx) => {
    await tx.execute(sql`set local lock_timeout = '5s'`);
    // The writers' lock first, then the run row (rollback of all takes them in the same order).
    await lockWriters(tx, "shared");
    const run = await queryOne(tx, sql`select status, lease_owner, retry from migration_runs where id = ${runId}`);
    if (!run || run.status !== "running" || run.lease_owner !== instanceOf(workerId)) return { kind: "not-ours" as const };
    const mine = await queryOne(tx, sql`select id from migration_chunks where id = ${claim.chunkId} and status = 'claimed' and worker = ${workerId} for update`);
    if (!mine) return { kind: "wait" as const }; // taken over meanwhile: never migrate a chunk twice
    const counts = await migrateWindow(tx, { after: claim.lo, upTo: claim.hi, limit: claim.hi - claim.lo, runId, retry: Boolean(run.retry) });
    await tx.execute(sql`update migration_chunks set status = 'done', done_at = now() where id = ${claim.chunkId}`);
    const durationMs = performance.now() - t0;
    await tx.execute(sql`insert into migration_batches (run_id, kind, started_at, duration_ms, from_id, to_id, prestamos, pagos, failures)
                         values (${runId}, 'run', ${startedAt}, ${durationMs}, ${claim.lo + 1}, ${claim.hi}, ${counts.migrated + counts.failed}, ${counts.pagos}, ${counts.failed})`);
    const updated = await queryOne(
      tx,
      sql`update migration_runs r set
            processed = processed + ${counts.migrated + counts.failed}, failed = failed + ${counts.failed},
            migrated = migrated + ${counts.migrated}, pagos = pagos + ${counts.pagos}, batches = batches + 1,
            checkpoint = ${checkpointOf(runId, sql`r.claimed_to`)},
            lease_expires_at = now() + make_interval(secs => ${LEASE_SECONDS}), heartbeat_at = now()
          where id = ${runId} and status in ('running','paused') returning *`,
    );
    // Stopped at once (its lease had expired) or rolled back while this batch ran: its end and
    // figures are written, and the next run may already be taking the same prestamos. Undo it.
    if (!updated) throw new RunEndedMeanwhile();
    return { kind: "batch" as const, run: toRunDTO(updated), migrated: counts.migrated, failed: counts.failed, pagos: counts.pagos, durationMs, size: claim.hi - claim.lo };
  }).catch((err: unknown) => {
    if (err instanceof RunEndedMeanwhile) return { kind: "not-ours" as const };
    throw err;
  });
}

/**
 * A batch of the re-sync owed after a gap in capture (capture.ts resyncStep), while the run is
 * this worker's and no stop is asked (claimChunk ends it then; the re-sync stays owed to the
 * next run). Null when none is owed: the run copies.
 */
async function resyncBatch(db: Db, runId: number, workerId: string, size: number): Promise<Extract<BatchOutcome, { kind: "resync" }> | null> {
  const owed = await queryOne<{ owed: boolean }>(db, sql`select resync_after is not null as owed from capture_state where id = 1`);
  if (owed?.owed !== true) return null;
  return db.transaction(async (tx) => {
    await tx.execute(sql`set local lock_timeout = '5s'`);
    // The writers' lock first, then the run row, as every batch.
    await lockWriters(tx, "exclusive");
    const run = await queryOne(tx, sql`select status, lease_owner, stop_requested_by from migration_runs where id = ${runId}`);
    if (!run || run.status !== "running" || run.lease_owner !== instanceOf(workerId) || run.stop_requested_by) return null;
    const step = await resyncStep(tx, size);
    if (!step) return null;
    const updated = await queryOne(
      tx,
      sql`update migration_runs set lease_expires_at = now() + make_interval(secs => ${LEASE_SECONDS}), heartbeat_at = now() where id = ${runId} returning *`,
    );
    return { kind: "resync" as const, run: toRunDTO(updated!), ...step };
  });
}

/** The next batch size: aims at the target duration, grows at most 1.5× a step, halves at once on an outlier. */
export function nextBatchSize(size: number, durationMs: number, targetMs: number): number {
  if (targetMs <= 0 || durationMs <= 0) return size;
  const next = durationMs > 2 * targetMs ? size / 2 : Math.min(size * 1.5, size * (targetMs / durationMs));
  return Math.round(Math.max(BATCH_SIZE_BOUNDS.min, Math.min(BATCH_SIZE_BOUNDS.max, next)));
}

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

/** Drives a run to its end in this process (tests, CLI). */
export async function runToEnd(db: Db, runId: number, workerId: string, maxBatches = Number.MAX_SAFE_INTEGER): Promise<RunDTO | null> {
  for (let i = 0; i < maxBatches; i++) {
    const out = await processBatch(db, runId, workerId);
    if (out.kind === "ended") return out.run;
    if (out.kind === "not-ours") return null;
    if (out.kind === "paused") return out.run;
    if (out.kind === "wait") await new Promise((r) => setTimeout(r, 20));
  }
  return getActiveRun(db);
}
