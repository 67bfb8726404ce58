/**
 * The throttle's clock (MIGRATION-SPEC §8): the latency probe every 500 ms, every signal read
 * and decided once a second (./throttle.ts). The worker asks `mayClaimBatch()` before each batch:
 * an answer from memory, refreshed by the reads, so the question costs nothing per batch. The
 * decision itself (the episode) is in the database, so every instance follows it.
 */
import { sql } from "drizzle-orm";
import type { Db, Driver } from "@/db/client";
import { queryOne } from "@/db/sql";
import { rootMessage } from "@/lib/errors";
import { evaluate, getThrottleSettings, newProbeMemory, probeOnce, readSignals, recordTick, type ProbeMemory, type TickOutcome } from "./throttle";

export interface ThrottlerOptions {
  driver: Driver;
  /** Who probes and decides (the worker's instance id). */
  instance?: string;
  probeMs?: number;
  readMs?: number;
  log?: (event: Record<string, unknown>) => void;
  /** Called after every decision (tests and the bench watch the throttle with it). */
  onTick?: (t: TickOutcome) => void;
}

export interface ThrottlerHandle {
  /** False while throttled, and when no decision was taken for 3 s since the start or the last one (the reader is stuck: fail closed). */
  mayClaimBatch(): boolean;
  /** Engaged as of the last decision. */
  readonly engaged: boolean;
  readonly memory: ProbeMemory;
  stop(): Promise<void>;
}

/**
 * Throttled for this long, the batches in flight have finished (they aim at 500 ms): the probes
 * measure the application without the run, so they feed the baseline. Without that, a baseline
 * taken before a busy application started would hold the throttle for ever.
 */
const BATCHES_DONE_MS = 2000;

/** Without a decision for this long, the throttle counts as engaged. */
const DECISION_STALE_MS = 3000;

const delay = (ms: number, stopped: () => boolean) =>
  new Promise<void>((resolve) => {
    if (stopped()) return resolve();
    setTimeout(resolve, Math.max(0, ms));
  });

/** Starts the probe and the reads; on the embedded database nothing applies and nothing runs. */
export function startThrottler(db: Db, opts: ThrottlerOptions): ThrottlerHandle {
  const mem = newProbeMemory();
  const instance = opts.instance ?? "console";
  const probeMs = opts.probeMs ?? 500;
  const readMs = opts.readMs ?? 1000;
  const log = opts.log ?? (() => {});
  let running = opts.driver !== "pglite";
  let engaged = false;
  // Until the first decision (the first probe, then one read: well under the 3 s below) batches go
  // on as when released. Counted as stale from 0, every run started with the throttle on waited
  // for that decision, then 200 ms more in the worker's throttled wait: a throttle that never
  // engaged cost a short run a fifth of its time.
  let decidedAt = Date.now();
  let runRunning = false;
  let engagedSince: number | null = null;

  const probeLoop = async () => {
    while (running) {
      const started = Date.now();
      try {
        await probeOnce(db, mem, { idle: !runRunning || (engagedSince !== null && Date.now() - engagedSince >= BATCHES_DONE_MS), by: instance });
      } catch {
        /* recorded in mem.probeError: the latency reads as unknown */
      }
      await delay(started + probeMs - Date.now(), () => !running);
    }
  };

  const readLoop = async () => {
    let failures = 0;
    // The first decision waits for the first probe (at most a second): no answer yet is not "unknown".
    for (let i = 0; i < 20 && running && mem.probes.length === 0 && !mem.probeError; i++) await delay(50, () => !running);
    while (running) {
      const started = Date.now();
      try {
        const run = await queryOne<{ n: number }>(db, sql`select count(*)::int as n from migration_runs where status = 'running'`);
        runRunning = Number(run?.n ?? 0) > 0;
        const [settings, readings] = await Promise.all([getThrottleSettings(db), readSignals(db, opts.driver, mem, Date.now())]);
        const views = evaluate(readings, settings);
        const t = await recordTick(db, views, settings, { instance });
        engaged = t.engaged || t.opened;
        engagedSince = engaged ? (engagedSince ?? Date.now()) : null;
        decidedAt = Date.now();
        failures = 0;
        if (t.opened)
          log({
            msg: "throttle engaged",
            reasons: views
              .filter((v) => v.state === "over" || v.state === "critical" || v.state === "unknown")
              .map((v) => ({ id: v.id, value: v.value, why: v.why })),
          });
        if (t.resumed) log({ msg: "throttle released" });
        if (t.halted !== null) log({ msg: "run halted by the throttle", runId: t.halted });
        if (t.alerted) log({ msg: "throttle lasting past its alert limit" });
        opts.onTick?.(t);
      } catch (err) {
        // A decision that cannot be taken leaves the throttle as it was; after 3 s mayClaimBatch says no.
        failures++;
        if (failures === 1 || failures % 30 === 0) log({ msg: "throttle read failed", error: rootMessage(err), failures });
      }
      await delay(started + readMs - Date.now(), () => !running);
    }
  };

  const done = running ? Promise.all([probeLoop(), readLoop()]) : Promise.resolve([]);
  return {
    mayClaimBatch: () => opts.driver === "pglite" || (!engaged && Date.now() - decidedAt < DECISION_STALE_MS),
    get engaged() {
      return opts.driver !== "pglite" && (engaged || Date.now() - decidedAt >= DECISION_STALE_MS);
    },
    memory: mem,
    stop: async () => {
      running = false;
      await done;
    },
  };
}
