/**
 * The background worker of one console process: drives the active run when it holds (or takes
 * over) its lease, and drains the change-capture queue between batches and when idle. All of its
 * state is in the database; killing the process at any line loses nothing.
 */
import type { Db, Driver } from "@/db/client";
import { rootMessage } from "@/lib/errors";
import { drainAll, drainCapture } from "./capture";
import { drainReverse } from "./reverse-capture";
import { afterRunEnded, startJobRunner } from "./jobs";
import { claimActiveRun, newWorkerId, recordRunError, type RunDTO } from "./runs";
import { nextBatchSize, processBatch, type BatchOutcome } from "./run-batches";
import { checkStateCounts, compactStateCounts } from "./state-counts";
import { startThrottler, type ThrottlerHandle, type ThrottlerOptions } from "./throttler";
import { maybeSampleLegacyWrites } from "./write-samples";

// The state counts grow by a row or three per batch and sync: folded when idle, once a minute.
const COMPACT_EVERY_MS = 60_000;
// The self-check counts migration_state for real (~0.1 s at 1,000,000): when idle, every 5 min.
const CHECK_COUNTS_EVERY_MS = 300_000;

export interface WorkerHandle {
  workerId: string;
  /** Skip the idle wait: something was started. */
  wake(): void;
  stop(): Promise<void>;
}

export interface WorkerOptions {
  workerId?: string;
  idleMs?: number;
  /** Queue entries per sync transaction. */
  drainLimit?: number;
  log?: (event: Record<string, unknown>) => void;
  /** At most this many batch loops, whatever the run asks (PGlite has one connection: 1). */
  maxSlots?: number;
  /** How long the slots drive batches before the loop comes back to drain capture and re-read the run. */
  sliceMs?: number;
  /** The throttle (MIGRATION-SPEC §8): signals read by this process; without it no batch waits. */
  throttle?: Omit<ThrottlerOptions, "instance" | "log">;
  /** How often, when idle, the kept state counts are checked against real counts. */
  checkCountsEveryMs?: number;
}

/** While throttled, the change queue is synced one batch a second (§8). */
const THROTTLED_SYNC_EVERY_MS = 1000;

const sleep = (ms: number, signal: { wake?: () => void }) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.wake = () => {
      clearTimeout(t);
      resolve();
    };
  });

export function startWorker(db: Db, opts: WorkerOptions = {}): WorkerHandle {
  const workerId = opts.workerId ?? newWorkerId();
  const idleMs = opts.idleMs ?? 1000;
  const log = opts.log ?? (() => {});
  const signal: { wake?: () => void } = {};
  let running = true;
  let failures = 0;
  let lastCompaction = 0;
  let lastCountsCheck = 0;

  // Each slot's batch size, adapted to the run's target duration from its recent batches.
  const sizes = new Map<string, number>();
  const sliceMs = opts.sliceMs ?? 2000;
  const throttle: ThrottlerHandle | null = opts.throttle ? startThrottler(db, { ...opts.throttle, instance: workerId, log }) : null;
  const mayClaimBatch = () => throttle?.mayClaimBatch() ?? true;
  let lastThrottledSync = 0;
  /** Throttled: one sync batch a second at most, and a short wait so that the release is seen at once. */
  const throttledSync = async () => {
    if (Date.now() - lastThrottledSync >= THROTTLED_SYNC_EVERY_MS) {
      lastThrottledSync = Date.now();
      await drainCapture(db, opts.drainLimit ?? 2000);
    }
    await sleep(200, signal);
  };

  /** One batch loop for a slice of time; returns how it stopped (undefined: the slice ran out). */
  const driveSlot = async (run: RunDTO, slotId: string): Promise<BatchOutcome | undefined> => {
    const until = Date.now() + sliceMs;
    while (running && Date.now() < until) {
      if (!mayClaimBatch()) return undefined;
      const size = run.targetBatchMs > 0 ? (sizes.get(slotId) ?? run.batchSize) : run.batchSize;
      const out = await processBatch(db, run.id, slotId, size);
      // PGlite answers without real I/O: yield to timers and requests between batches, or a run
      // on the embedded database would starve the server's own event loop.
      await new Promise((r) => setImmediate(r));
      if (out.kind === "batch") {
        sizes.set(slotId, nextBatchSize(out.size, out.durationMs, out.run.targetBatchMs));
        run = out.run;
        if (run.pauseMs > 0) await new Promise((r) => setTimeout(r, run.pauseMs));
      } else if (out.kind === "resync") {
        run = out.run;
        if (run.pauseMs > 0) await new Promise((r) => setTimeout(r, run.pauseMs));
      } else if (out.kind === "wait") {
        await new Promise((r) => setTimeout(r, 50));
      } else {
        return out;
      }
    }
    return undefined;
  };

  const loop = async () => {
    while (running) {
      let runId: number | null = null;
      try {
        await maybeSampleLegacyWrites(db); // quiet-period samples every ~10 s; never throws
        const claim = await claimActiveRun(db, workerId);
        if (claim?.resumedFrom) log({ msg: "run resumed", runId: claim.run.id, from: claim.resumedFrom, checkpoint: claim.run.checkpoint });
        if (claim && claim.run.status === "running") {
          runId = claim.run.id;
          if (!mayClaimBatch()) {
            await throttledSync(); // the lease was renewed by the claim above
            continue;
          }
          const slots = Math.max(1, Math.min(claim.run.workers, opts.maxSlots ?? 8));
          const outs = await Promise.all(Array.from({ length: slots }, (_, k) => driveSlot(claim.run, `${workerId}#${k}`)));
          const ended = outs.find((o): o is Extract<BatchOutcome, { kind: "ended" }> => o?.kind === "ended");
          if (ended) {
            log({ msg: "run ended", runId, status: ended.run.status, detail: ended.run.stopDetail });
            // the consistency summary once per run end (metrics + consistency.below_100 webhook); never throws.
            await afterRunEnded(db, ended.run, log);
          }
          // The application's changes before more copying (gh-ost applies its changelog first):
          // drain until the queue is empty, for at most as long as a slice of batches. Measured
          // with one drain of 1,000 per slice, a busy application left 390,000 entries behind at
          // the end of a 1,000,000-prestamo run.
          if (mayClaimBatch()) await drainAll(db, { limit: opts.drainLimit ?? 2000, deadline: Date.now() + sliceMs });
          else await throttledSync();
          failures = 0;
          if (outs.some((o) => o?.kind === "paused")) await sleep(idleMs, signal);
          continue;
        }
        if (!mayClaimBatch()) {
          await throttledSync();
          continue;
        }
        const drained = await drainCapture(db, opts.drainLimit ?? 2000);
        // After a cut-over: the new tables' changes to the archive, the way back.
        const reversed = await drainReverse(db, opts.drainLimit ?? 2000);
        failures = 0;
        if (drained.entries > 0 || reversed.entries > 0) continue;
        if (Date.now() - lastCompaction > COMPACT_EVERY_MS) {
          lastCompaction = Date.now();
          await compactStateCounts(db);
        }
        if (Date.now() - lastCountsCheck > (opts.checkCountsEveryMs ?? CHECK_COUNTS_EVERY_MS)) {
          lastCountsCheck = Date.now();
          await checkStateCounts(db, log);
        }
        await sleep(idleMs, signal);
      } catch (err) {
        failures++;
        const message = rootMessage(err);
        log({ msg: "worker error", runId, error: message, failures });
        // Recorded with a few tries: after its connections were dropped, the pool's next one may
        // be dead too, and a run that lost its connections must not end looking as if nothing happened.
        if (runId !== null) {
          for (let attempt = 1; attempt <= 3; attempt++) {
            const recorded = await recordRunError(db, runId, message).then(
              () => true,
              () => false,
            );
            if (recorded) break;
            await sleep(100 * attempt, signal);
          }
        }
        // Back off (database restarting, lock timeouts): the batch is retried, never skipped.
        await sleep(Math.min(30_000, 500 * 2 ** Math.min(failures, 6)), signal);
      }
    }
  };
  const done = loop();
  return {
    workerId,
    wake: () => signal.wake?.(),
    stop: async () => {
      running = false;
      signal.wake?.();
      await done;
      await throttle?.stop();
    },
  };
}

const globalForWorker = globalThis as unknown as { __prestamosWorker?: WorkerHandle; __prestamosJobRunner?: { stop(): Promise<void> } };

/** The process's one worker and its job runner (the long reads), started at boot (lib/server/boot.ts). */
export function startBackgroundWorkers(db: Db, opts: WorkerOptions & { driver?: Driver } = {}): WorkerHandle {
  globalForWorker.__prestamosWorker ??= startWorker(db, opts);
  globalForWorker.__prestamosJobRunner ??= startJobRunner(db, {
    owner: globalForWorker.__prestamosWorker.workerId,
    driver: opts.driver ?? "postgres",
    log: opts.log,
  });
  return globalForWorker.__prestamosWorker;
}

export function getBackgroundWorker(): WorkerHandle | undefined {
  return globalForWorker.__prestamosWorker;
}

export async function stopBackgroundWorkers(): Promise<void> {
  const w = globalForWorker.__prestamosWorker;
  const jobs = globalForWorker.__prestamosJobRunner;
  globalForWorker.__prestamosWorker = undefined;
  globalForWorker.__prestamosJobRunner = undefined;
  await Promise.all([w?.stop(), jobs?.stop()]);
}
