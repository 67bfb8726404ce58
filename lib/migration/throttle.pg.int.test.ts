/**
 * The throttle against real components (MIGRATION-SPEC §8), PostgreSQL only: a streaming standby
 * whose replay is paused (.ci/lib.sh ensure_standby, 127.0.0.1:5433), application sessions queued
 * behind a row lock, and the probe's own row held by another session (unreadable: fail closed).
 * Each case forces its condition, then checks what a DBA and an operator would see: the run
 * claims no chunk within 2 s of the crossing, claims again within 2 s of the release, the episode,
 * progress, the webhooks, Prometheus, and critical levels halting the run.
 */
import { sql } from "drizzle-orm";
import postgres from "postgres";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { queryOne, queryRows } from "@/db/sql";
import type { SignalId } from "@/lib/migration/vocabulary";
import { scrape } from "@/lib/metrics/prometheus";
import { resetPrometheus } from "@/lib/testing/metrics";
import { openTestDb, type TestDb } from "@/lib/testing/db";
import { seedLegacy } from "@/lib/testing/legacy-seed";
import { parseExposition, valueOf } from "@/lib/testing/prom-text";
import { resetMigrationTables } from "@/lib/testing/reset";
import { getMetrics } from "./metrics";
import { getProgress } from "./progress";
import { recordConsistencyCheck } from "./jobs";
import { prepareReport } from "./report";
import { startRun } from "./runs";
import { evaluate, recordTick, setThrottleSettings, signalState, type SignalView, type TickOutcome } from "./throttle";
import { newProbeMemory, readSignals } from "./throttle-signals";
import { startWorker, type WorkerHandle } from "./worker";

const admin = { name: "admin@test.local", kind: "user" as const };
const STANDBY_URL = process.env.TEST_STANDBY_URL ?? "postgres://postgres@127.0.0.1:5433/postgres";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let t: TestDb;
let app: postgres.Sql; // the loans application's own sessions
let worker: WorkerHandle | null = null;
let ticks: { at: number; views: SignalView[]; t: TickOutcome }[] = [];

async function until<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** Only the signals under test: the others (latency on a shared CPU, other sessions of the server) stay out. */
async function onlySignals(levels: Partial<Record<SignalId, { threshold: number; resume?: number; critical?: number }>>, alertAfterSeconds?: number) {
  const ids: SignalId[] = ["standby_lag_ms", "standby_lag_bytes", "app_latency", "lock_waits", "active_sessions", "wal_bytes_per_s", "wal_unarchived"];
  const patch = Object.fromEntries(ids.map((id) => [id, levels[id] ? { enabled: true, ...levels[id] } : { enabled: false }]));
  await setThrottleSettings(t.db, { ...patch, ...(alertAfterSeconds ? { alertAfterSeconds } : {}) }, admin);
}

/** A run that lasts: small fixed batches with a pause, so that batches are claimed all along. */
async function startSlowRun() {
  const run = await startRun(t.db, { batchSize: 50, pauseMs: 100, workers: 1 }, admin, "test-starter");
  ticks = [];
  worker = startWorker(t.db, {
    idleMs: 100,
    sliceMs: 500,
    drainLimit: 200,
    throttle: { driver: "postgres", onTick: (x) => ticks.push({ at: Date.now(), views: x.views, t: x }) },
  });
  await until(
    "the first batches",
    async () => (await queryOne<{ n: number }>(t.db, sql`select count(*)::int as n from migration_chunks where run_id = ${run.id}`))!.n >= 3,
  );
  return run;
}

const lastClaimMs = async (runId: number) =>
  Number(
    (await queryOne<{ at: number }>(
      t.db,
      sql`select (extract(epoch from max(claimed_at)) * 1000)::float8 as at from migration_chunks where run_id = ${runId}`,
    ))!.at,
  );
const claimsAfter = async (runId: number, ms: number) =>
  (await queryOne<{ n: number }>(
    t.db,
    sql`select count(*)::int as n from migration_chunks where run_id = ${runId} and claimed_at > to_timestamp(${ms / 1000})`,
  ))!.n;

/** The first reading at or over the threshold, and the first one back under the resume level. */
const firstTick = (id: SignalId, pred: (v: SignalView) => boolean, after = 0) =>
  ticks.find((x) => x.at >= after && x.views.some((v) => v.id === id && pred(v)));

/**
 * The run stops claiming within 2 s of the crossing, stays stopped while the condition lasts, and
 * claims again within 2 s of every signal being under its resume level once `release` ran.
 */
async function expectThrottleCycle(runId: number, id: SignalId, release: () => Promise<void>, during?: () => Promise<void>) {
  const holds = (v: SignalView) => v.id === id && (v.state === "over" || v.state === "unknown" || v.state === "critical");
  await until(`${id} over its threshold`, async () => firstTick(id, holds));
  await until("the throttle engaged", async () => (await getProgress(t.db)).throttle.active);
  // Batches in flight finish; after 2 s no chunk is claimed any more while the condition holds.
  await sleep(2000);
  // Measured from the tick that opened the episode in force: an earlier reading over the line (a
  // first unreadable one, say) may have opened and closed an episode of its own, batches rightly
  // going on after it.
  const crossing = [...ticks].reverse().find((x) => x.t.opened && x.views.some(holds));
  expect(crossing, "the tick that engaged the throttle").toBeDefined();
  const settled = await lastClaimMs(runId);
  expect(settled - crossing!.at).toBeLessThanOrEqual(2000);
  const progress = await getProgress(t.db);
  expect(progress.throttle).toMatchObject({ active: true });
  expect(progress.throttle.reasons.map((r) => r.signal)).toContain(id);
  await sleep(1000);
  expect(await claimsAfter(runId, settled)).toBe(0);
  await during?.();
  const releasedAt = Date.now();
  await release();
  const under = await until(`${id} under its resume level`, async () => firstTick(id, (v) => v.state === "ok", releasedAt));
  const claimed = await until("a new chunk claimed", async () => {
    const at = await lastClaimMs(runId);
    return at > settled ? at : undefined;
  });
  expect(claimed - under.at).toBeLessThanOrEqual(2000);
  expect((await getProgress(t.db)).throttle.active).toBe(false);
  const episode = await queryOne<{ run_id: number; ended_at: string | null; outcome: string; reasons: { signal: string }[]; worst: Record<string, number> }>(
    t.db,
    sql`select run_id, ended_at::text, outcome, reasons, worst from throttle_episodes order by id desc limit 1`,
  );
  expect(episode).toMatchObject({ run_id: runId, outcome: "resumed" });
  expect(episode!.ended_at).not.toBeNull();
  expect(episode!.reasons.map((r) => r.signal)).toContain(id);
  return { episode: episode!, crossing: crossing! };
}

/**
 * An application transaction that runs `statement` and keeps its locks until released (also by
 * afterEach when a case fails), with `queued` more sessions running it behind the lock.
 */
async function holdLock(statement: string, queued = 0) {
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  releaseAll.push(() => release());
  let held!: () => void;
  const isHeld = new Promise<void>((r) => (held = r));
  const holder = app.begin(async (tx) => {
    await tx.unsafe(statement);
    held();
    await released;
  });
  await isHeld;
  const waiters = Array.from({ length: queued }, () => app.unsafe(statement).execute());
  if (queued > 0) {
    await until(`${queued} application sessions waiting on the lock`, async () => {
      const r = await queryOne<{ n: number }>(
        t.db,
        sql`select count(*)::int as n from pg_stat_activity where application_name = 'loans-app' and wait_event_type = 'Lock' and datname = current_database()`,
      );
      return r!.n === queued;
    });
  }
  return {
    release: async () => {
      release();
      await holder;
      await Promise.all(waiters);
    },
  };
}

const events = async () =>
  (
    await queryRows<{ event: string; payload: { data: Record<string, unknown> } }>(t.db, sql`select event, payload from console_webhook_deliveries order by id`)
  ).map((r) => r.event);

beforeAll(async () => {
  t = await openTestDb();
  app = postgres(t.url!, { max: 6, onnotice: () => {}, connection: { application_name: "loans-app" } });
});
afterAll(async () => {
  await app?.end();
  await t?.dispose();
});
beforeEach(async () => {
  await resetMigrationTables(t.db, ["console_webhook_deliveries", "console_webhooks", "console_settings"]);
  await seedLegacy(t.db, 20_000, 0);
  await t.db.execute(
    sql`insert into console_webhooks (url, secret, events, created_by) values ('http://127.0.0.1:9/hook', 'whsec-test-0123456789', '{}', 'test')`,
  );
});
/** Releases whatever a failed case left held, so the next case starts clean. */
let releaseAll: (() => void)[] = [];
afterEach(async () => {
  for (const r of releaseAll) r();
  releaseAll = [];
  await worker?.stop();
  worker = null;
});

describe("the throttle on PostgreSQL (MIGRATION-SPEC §8)", () => {
  it("sessions queued behind an application's row lock engage it; the lock's release lets the run go on; a long throttle alerts but stays throttled", async () => {
    await onlySignals({ lock_waits: { threshold: 2, resume: 1 } }, 2);
    const run = await startSlowRun();
    // One application transaction holds a row; two more sessions queue behind it.
    const lock = await holdLock("update prestamos set monto = monto + 1, updated_at = now() where id = 7", 2);
    const { episode } = await expectThrottleCycle(run.id, "lock_waits", lock.release, async () => {
      // Past the 2 s alert limit: said once (webhook, progress, Prometheus), and still throttled.
      await until("the long-throttle alert", async () => (await getProgress(t.db)).throttle.long);
      resetPrometheus();
      const text = (await scrape(t.db)).body;
      const prom = parseExposition(text);
      expect(valueOf(prom, "prestamos_throttle_active")).toBe(1);
      expect(valueOf(prom, "prestamos_throttle_long")).toBe(1);
      expect(valueOf(prom, "prestamos_throttle_signal", { signal: "lock_waits" })).toBe(2);
      expect(valueOf(prom, "prestamos_throttle_signal_threshold", { signal: "lock_waits" })).toBe(2);
      expect((await getProgress(t.db)).throttle.active).toBe(true);
    });
    expect(episode.worst.lock_waits).toBe(2);
    // Metrics and the report list the episode with its run and its worst values.
    const metrics = await getMetrics(t.db, { runId: run.id, limit: 5 });
    expect(metrics.throttleEpisodes).toHaveLength(1);
    expect(metrics.throttleEpisodes[0]).toMatchObject({ runId: run.id, outcome: "resumed", worst: { lock_waits: 2 } });
    expect(metrics.throttleEpisodes[0].alertedAt).not.toBeNull();
    await recordConsistencyCheck(t.db, "test"); // the report reads the latest check
    const report = await prepareReport(t.db, { driver: "postgres" }, "test");
    expect(report.throttleEpisodes.map((e) => e.id)).toEqual([metrics.throttleEpisodes[0].id]);
    const ev = await events();
    expect(ev).toEqual(expect.arrayContaining(["run.throttled", "run.throttled_long", "run.resumed_from_throttle"]));
    expect(ev.indexOf("run.throttled")).toBeLessThan(ev.indexOf("run.resumed_from_throttle"));
  });

  it("a paused standby engages it on replay lag in time; resuming replay ends it", async () => {
    const standby = postgres(STANDBY_URL, { max: 1, onnotice: () => {} });
    try {
      const inRecovery = await standby`select pg_is_in_recovery() as r`.catch((err) => {
        throw new Error(`no standby on ${STANDBY_URL} (start it with: source .ci/lib.sh && ensure_standby): ${String(err)}`);
      });
      expect(inRecovery[0].r).toBe(true);
      await until(
        "the standby streaming",
        async () => (await queryOne<{ n: number }>(t.db, sql`select count(*)::int as n from pg_stat_replication where state = 'streaming'`))!.n >= 1,
      );
      await onlySignals({ standby_lag_ms: { threshold: 1500, resume: 750 } });
      const run = await startSlowRun();
      await standby`select pg_wal_replay_pause()`;
      try {
        const { episode } = await expectThrottleCycle(run.id, "standby_lag_ms", async () => {
          await standby`select pg_wal_replay_resume()`;
        });
        expect(episode.worst.standby_lag_ms).toBeGreaterThanOrEqual(1500);
      } finally {
        await standby`select pg_wal_replay_resume()`;
      }
      expect(await events()).toEqual(expect.arrayContaining(["run.throttled", "run.resumed_from_throttle"]));
    } finally {
      await standby.end();
    }
  });

  it("a paused standby engages it on replay lag in bytes", async () => {
    const standby = postgres(STANDBY_URL, { max: 1, onnotice: () => {} });
    try {
      // Far above what the other databases of a shared server keep in flight to the standby (their
      // tests write WAL too): the paused replay falls that far behind on WAL this case writes itself.
      await onlySignals({ standby_lag_bytes: { threshold: 24 * 1024 * 1024, resume: 8 * 1024 * 1024 } });
      const run = await startSlowRun();
      await standby`select pg_wal_replay_pause()`;
      await app`create table if not exists wal_filler (x text)`;
      await app`insert into wal_filler select repeat(md5(g::text), 32) from generate_series(1, 40000) g`;
      try {
        const { episode } = await expectThrottleCycle(run.id, "standby_lag_bytes", async () => {
          await standby`select pg_wal_replay_resume()`;
        });
        expect(episode.worst.standby_lag_bytes).toBeGreaterThanOrEqual(24 * 1024 * 1024);
      } finally {
        await standby`select pg_wal_replay_resume()`;
      }
    } finally {
      await standby.end();
    }
  });

  it("a probe that cannot be answered (its row held by another session) throttles: unknown, fail closed", async () => {
    // Levels no probe reaches on a shared CI machine: only an unanswered probe can engage it here.
    await onlySignals({ app_latency: { threshold: 1000, resume: 500, critical: 100_000 } });
    const run = await startSlowRun();
    const lock = await holdLock("select 1 from throttle_heartbeat where id = 1 for update");
    await expectThrottleCycle(run.id, "app_latency", lock.release);
    const episode = await queryOne<{ reasons: { signal: string; value: number | null; why?: string }[] }>(
      t.db,
      sql`select reasons from throttle_episodes order by id desc limit 1`,
    );
    expect(episode!.reasons[0]).toMatchObject({ signal: "app_latency", value: null });
    expect(episode!.reasons[0].why).toMatch(/probe has waited/);
  });

  it("the probe's latency counts while the application is there: with no statement of it for 5 s, or under the 1 ms floor, it is calm", async () => {
    const levels = { enabled: true, threshold: 1.5, resume: 1.25, critical: 20 };
    const latency = async (probeMs: number) => {
      const mem = newProbeMemory();
      mem.idleProbes = [2, 2, 2];
      mem.probes = [{ at: Date.now(), ms: probeMs }];
      const r = (await readSignals(t.db, "postgres", mem)).find((x) => x.id === "app_latency")!;
      return { value: r.value, calm: r.calm, state: signalState(r, levels) };
    };
    // The application's sessions of this database fall quiet (the console's own do not count).
    const quiet = await until("no application statement for 5 s", async () => {
      const l = await latency(10);
      return l.calm ? l : null;
    });
    expect(quiet).toMatchObject({ value: 5, state: "ok", calm: expect.stringMatching(/^no session of the application ran a statement in the last 5 s/) });
    await app`select 1 from prestamos limit 1`;
    expect(await latency(10)).toEqual({ value: 5, calm: undefined, state: "over" });
    // 1.25× but only half a millisecond slower: under the floor.
    expect(await latency(2.5)).toMatchObject({
      value: 1.25,
      state: "ok",
      calm: expect.stringMatching(/^0\.5 ms slower than the baseline: under the 1 ms floor/),
    });
    expect(await latency(3.5)).toMatchObject({ value: 1.75, state: "over" });
  });

  it("a critical level that lasts halts the run with the reason; until then the run is throttled", async () => {
    await onlySignals({ lock_waits: { threshold: 1, resume: 0.5, critical: 2 } });
    await setThrottleSettings(t.db, { criticalAfterSeconds: 2 }, admin);
    const run = await startSlowRun();
    const lock = await holdLock("update pagos_prestamo set monto = monto + 1 where id = 3", 2);
    try {
      const firstCritical = await until("a critical reading", async () =>
        ticks.find((x) => x.views.some((v) => v.id === "lock_waits" && v.state === "critical")),
      );
      expect(firstCritical.t).toMatchObject({ engaged: true, halted: null });
      const halted = await until("the run halted", async () => {
        const r = await queryOne<{ status: string; stop_reason: string; stop_detail: string; streak: number }>(
          t.db,
          sql`select status, stop_reason, stop_detail,
                     extract(epoch from ended_at - (select min(at) from throttle_samples
                                                    where signals @> '[{"id": "lock_waits", "state": "critical"}]'))::float8 as streak
              from migration_runs where id = ${run.id}`,
        );
        return r!.status === "halted" ? r : undefined;
      });
      // Halted by the first reading two seconds into the streak, not before.
      expect(halted.streak).toBeGreaterThanOrEqual(2);
      expect(halted.streak).toBeLessThan(4);
      expect(halted).toMatchObject({ stop_reason: "throttle_critical" });
      expect(halted.stop_detail).toBe("halted by the throttle: sessions waiting on locks 2 ≥ 2 (critical)");
      expect((await getProgress(t.db)).stop).toMatchObject({ reason: "throttle_critical" });
      expect(await events()).toEqual(expect.arrayContaining(["run.throttled", "run.halted"]));
      const audit = await queryOne<{ details: { reason: string } }>(
        t.db,
        sql`select details from console_audit_log where action = 'migration.halt' order by id desc limit 1`,
      );
      expect(audit!.details.reason).toBe("throttle_critical");
    } finally {
      await lock.release();
    }
  });

  it("a critical spike shorter than the critical duration throttles but does not halt", async () => {
    await onlySignals({ lock_waits: { threshold: 1, resume: 0.5, critical: 2 } });
    const settings = await setThrottleSettings(t.db, { criticalAfterSeconds: 30 }, admin);
    const run = await startRun(t.db, { batchSize: 50, workers: 1 }, admin, "test-starter");
    const sample = (state: string, secondsAgo: number) =>
      t.db.execute(
        sql`insert into throttle_samples (at, signals) values (now() - make_interval(secs => ${secondsAgo}), ${JSON.stringify([{ id: "lock_waits", value: 3, state }])}::jsonb)`,
      );
    const tick = () => recordTick(t.db, evaluate([{ id: "lock_waits", applicable: true, value: 3 }], settings), settings);
    const status = async () => (await queryOne<{ status: string }>(t.db, sql`select status from migration_runs where id = ${run.id}`))!.status;
    // Critical 40 s ago, back over (not critical) 20 s ago, critical again now: a streak of 20 s.
    await sample("critical", 40);
    await sample("over", 20);
    await sample("critical", 19);
    expect(await tick()).toMatchObject({ engaged: true, halted: null });
    expect(await status()).toBe("running");
    // Critical all along for 31 s: the streak has lasted, the run halts.
    await t.db.execute(sql`delete from throttle_samples`);
    await sample("critical", 31);
    await sample("critical", 15);
    expect(await tick()).toMatchObject({ halted: run.id });
    expect(await status()).toBe("halted");
    const audit = await queryOne<{ details: { criticalAfterSeconds: number } }>(
      t.db,
      sql`select details from console_audit_log where action = 'migration.halt' order by id desc limit 1`,
    );
    expect(audit!.details.criticalAfterSeconds).toBe(30);
  });

  it("while throttled the background sync takes one batch a second, and the capture triggers keep recording", async () => {
    await onlySignals({ lock_waits: { threshold: 1, resume: 0.5 } });
    const run = await startSlowRun();
    // The run ends first (stopped), so only the background sync is left.
    await t.db.execute(sql`update migration_runs set status = 'stopped', ended_at = now(), stop_reason = 'stopped' where id = ${run.id}`);
    worker?.wake();
    const lock = await holdLock("update prestamos set monto = monto + 1 where id = 11", 1);
    try {
      await until("throttled", async () => (await getProgress(t.db)).throttle.active);
      // The application keeps writing; its changes are captured (3,000 queue entries).
      await app`update prestamos set updated_at = now() where id between 1000 and 3999`;
      const from = Date.now();
      await sleep(3000);
      const syncs = await queryOne<{ n: number }>(
        t.db,
        sql`select count(*)::int as n from migration_batches where kind = 'sync' and finished_at > to_timestamp(${from / 1000})`,
      );
      expect(syncs!.n).toBeGreaterThanOrEqual(1);
      expect(syncs!.n).toBeLessThanOrEqual(4);
      expect((await getProgress(t.db)).capture.backlog).toBeGreaterThan(0);
    } finally {
      await lock.release();
    }
    await until("the backlog drained once released", async () => (await getProgress(t.db)).capture.backlog === 0);
  });

  it("counts only the lock waits of its own database: another database cloned from the same template has tables of the same oid", async () => {
    const other = await openTestDb();
    await seedLegacy(other.db, 20, 0);
    const otherApp = postgres(other.url!, { max: 3, onnotice: () => {}, connection: { application_name: "loans-app" } });
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let held!: () => void;
    const isHeld = new Promise<void>((r) => (held = r));
    try {
      const sameOid = `select 'prestamos'::regclass::oid::int as oid`;
      expect((await otherApp.unsafe(sameOid))[0].oid).toBe((await app.unsafe(sameOid))[0].oid);
      const holder = otherApp.begin(async (tx) => {
        await tx.unsafe("update prestamos set monto = monto + 1 where id = 9");
        held();
        await released;
      });
      await isHeld;
      const waiters = [1, 2].map(() => otherApp.unsafe("update prestamos set monto = monto + 1 where id = 9").execute());
      await until("two sessions of the other database waiting on its row", async () => {
        const r = await queryOne<{ n: number }>(
          other.db,
          sql`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`,
        );
        return r!.n === 2;
      });
      const lockWaits = async () => (await readSignals(t.db, "postgres", newProbeMemory())).find((r) => r.id === "lock_waits")!.value;
      expect(await lockWaits()).toBe(0);
      // The same wait in this database counts.
      const ours = await holdLock("update prestamos set monto = monto + 1 where id = 9", 1);
      expect(await lockWaits()).toBe(1);
      await ours.release();
      release();
      await holder;
      await Promise.all(waiters);
    } finally {
      release();
      await otherApp.end();
      await other.dispose();
    }
  });
});
