/**
 * One batch of a run (MIGRATION-SPEC §4): claim a chunk of legacy ids under the run row's lock,
 * migrate it in one transaction that also advances the run's counters and checkpoint, and end the
 * run when it is asked to stop, passes its error threshold or reaches the end of the table.
 * Several workers run batches at once on disjoint chunks; the re-sync owed after a gap in capture
 * goes first. Starting, stopping, pausing and the lease are runs.ts.
 */
import { sql, type SQL } from "drizzle-orm";
import type { Db, Exec } from "@/db/client";
import { queryOne } from "@/db/sql";
import { systemActor, writeAudit } from "@/lib/audit";
import { emitRunEvent } from "./events";
import { resyncStep } from "./capture";
import { BATCH_SIZE_BOUNDS, instanceOf, LEASE_SECONDS, RUN_DEFAULTS, THRESHOLD_MIN_PROCESSED, toRunDTO, type RunDTO } from "./runs";
import { lockWriters, migrateWindow } from "./write";
import { fmtCount } from "./vocabulary";

export type BatchOutcome =
  | { kind: "batch"; run: RunDTO; migrated: number; failed: number; pagos: number; durationMs: number; size: number }
  /** A batch of the re-sync owed after a gap in capture (done before any copying). */
  | { kind: "resync"; run: RunDTO; checked: number; rewritten: number; done: boolean }
  | { kind: "ended"; run: RunDTO }
  | { kind: "not-ours" }
  /** Nothing to claim now: other workers still hold chunks of the run. */
  | { kind: "wait" }
  | { kind: "paused"; run: RunDTO };

type Claimed = { kind: "chunk"; chunkId: number; lo: number; hi: number };

/** The run's checkpoint: the lowest start of a chunk still claimed, else `allClaimedTo` (every chunk below it is done). */
const checkpointOf = (runId: number, allClaimedTo: SQL) =>
  sql`coalesce((select min(c.lo) from migration_chunks c where c.run_id = ${runId} and c.status = 'claimed'), ${allClaimedTo})`;

async function endRun(
  tx: Pick<Db, "execute" | "insert">,
  runId: number,
  status: "finished" | "halted" | "stopped",
  reason: string,
  detail: string,
  audit: boolean,
): Promise<RunDTO> {
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
  `halted: error rate ${((failed / processed) * 100).toFixed(2)} % (${fmtCount(failed)} of ${fmtCount(processed)} processed) exceeds the threshold of ${threshold} %`;

/** Claimed chunks of the run whose batch transaction is open right now (their rows are locked). */
async function batchesInFlight(tx: Exec, runId: number): Promise<number> {
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
    const ending =
      Boolean(run.stop_requested_by) ||
      (Number(run.processed) >= THRESHOLD_MIN_PROCESSED && exceedsThreshold(Number(run.failed), Number(run.processed), Number(run.error_threshold_pct)));
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
      const detail = `finished: ${fmtCount(processed)} processed, ${fmtCount(Number(run.migrated))} migrated, ${fmtCount(failed)} failed`;
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
  const claimSize =
    size ?? Number((await queryOne<{ b: number }>(db, sql`select batch_size as b from migration_runs where id = ${runId}`))?.b ?? RUN_DEFAULTS.batchSize);
  const resync = await resyncBatch(db, runId, workerId, claimSize);
  if (resync) return resync;
  const claim = await claimChunk(db, runId, workerId, claimSize);
  if (claim.kind !== "chunk") return claim;
  const t0 = performance.now();
  const startedAt = new Date().toISOString();
  return db
    .transaction(async (tx) => {
      await tx.execute(sql`set local lock_timeout = '5s'`);
      // The writers' lock first, then the run row (rollback of all takes them in the same order).
      await lockWriters(tx, "shared");
      const run = await queryOne(tx, sql`select status, lease_owner, retry from migration_runs where id = ${runId}`);
      if (!run || run.status !== "running" || run.lease_owner !== instanceOf(workerId)) return { kind: "not-ours" as const };
      const mine = await queryOne(
        tx,
        sql`select id from migration_chunks where id = ${claim.chunkId} and status = 'claimed' and worker = ${workerId} for update`,
      );
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
      return {
        kind: "batch" as const,
        run: toRunDTO(updated),
        migrated: counts.migrated,
        failed: counts.failed,
        pagos: counts.pagos,
        durationMs,
        size: claim.hi - claim.lo,
      };
    })
    .catch((err: unknown) => {
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
