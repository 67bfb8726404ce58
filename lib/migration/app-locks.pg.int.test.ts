/**
 * locks held by the application (PostgreSQL only: the embedded database has one
 * connection, so no second transaction can hold a lock while the console works).
 *
 *  - Starting a run installs the capture triggers: DDL that must wait for the application's open
 *    write transactions. It waits at most DDL_LOCK_TIMEOUT_MS at a time and retries, so the
 *    application's other writes are never queued behind it for longer; when the application
 *    commits, the start goes through. Past the retry budget: 503, nothing changed.
 *  - During a run, a row lock held on a legacy row does not hold the run up at all (batches only
 *    read the legacy tables); the locked change, once committed, reaches the new tables.
 *  - A lock on a table the batch writes makes the batch wait out its lock_timeout and fail: it is
 *    retried, not lost, and the run ends with zero diffs.
 */
import { sql } from "drizzle-orm";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { queryOne } from "@/db/sql";
import { AppError } from "@/lib/errors";
import { openTestDb, type TestDb } from "@/lib/testing/db";
import { expectZeroDiffs } from "@/lib/testing/zero-diffs";
import { seedLegacy } from "@/lib/testing/legacy-seed";
import { holdTransaction, waitForLockWaiters } from "@/lib/testing/lock-wait";
import { DDL_LOCK_TIMEOUT_MS, DDL_RETRY_BUDGET_MS, drainAll, endCapture, isCaptureInstalled } from "./capture";
import { getLatestRun, startRun } from "./runs";
import { startWorker } from "./worker";

const admin = { name: "admin@test.local", kind: "user" as const };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let t: TestDb;
let app: postgres.Sql; // the application's own connections

beforeAll(async () => {
  t = await openTestDb();
  app = postgres(t.url!, { max: 4, onnotice: () => {} });
  await seedLegacy(t.db, 2000, 50);
});
afterAll(async () => {
  await app?.end();
  await t?.dispose();
});

/** An application transaction that writes a legacy row and keeps it locked until `release()`. */
function holdRowLock(table: "prestamos" | "pagos_prestamo", id: number) {
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  let locked!: () => void;
  const isLocked = new Promise<void>((r) => (locked = r));
  const done = app.begin(async (tx) => {
    await tx.unsafe(
      table === "prestamos"
        ? `update prestamos set monto = monto + 1, updated_at = now() where id = ${id}`
        : `update pagos_prestamo set monto = monto + 1 where id = ${id}`,
    );
    locked();
    await released;
  });
  return { isLocked, release, done };
}

/** Single-row writes to both legacy tables from two connections (rows the lock holder does not touch); records each write's latency. */
function steadyWriter() {
  let stop = false;
  const latencies: number[] = [];
  const loops = [0, 1].map(async (k) => {
    for (let i = 0; !stop; i++) {
      const t0 = performance.now();
      if (i % 2 === k) await app`update prestamos set updated_at = updated_at where id = ${1000 + ((i * 7) % 900)}`;
      else await app`update pagos_prestamo set metodo = metodo where id = ${1000 + ((i * 11) % 3000)}`;
      latencies.push(performance.now() - t0);
      await sleep(20);
    }
  });
  return {
    latencies,
    stop: async () => {
      stop = true;
      await Promise.all(loops);
      return { writes: latencies.length, maxMs: Math.max(...latencies) };
    },
  };
}

// How long an application write may wait behind the console's DDL: one lock timeout, plus room
// for a loaded CI machine. Far below the retry budget, which is what it would be without the bound.
const WRITE_WAIT_BOUND_MS = DDL_LOCK_TIMEOUT_MS + 1500;

/** Polls until `cond` holds; rejects after `ms` naming `what`. */
async function until(what: string, cond: () => Promise<boolean> | boolean, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/**
 * The console's statements seen waiting for a lock (by their start time: each DDL attempt is a
 * statement of its own), collected while `watch` polls pg_stat_activity from the application's side.
 */
function watchConsoleLockWaits() {
  const attempts = new Set<string>();
  return {
    attempts,
    poll: async () => {
      const rows = await app`select query_start::text as qs from pg_stat_activity
                             where datname = current_database() and application_name = 'prestamos-console-test' and wait_event_type = 'Lock'`;
      for (const r of rows) attempts.add(r.qs as string);
    },
  };
}

describe("application locks (postgres)", () => {
  it("a start waits for an open application transaction without queueing the application's other writes, then goes through", async () => {
    const holder = holdRowLock("prestamos", 3);
    await holder.isLocked;
    const writer = steadyWriter();
    const t0 = performance.now();
    let startSettled = false;
    const starting = startRun(t.db, { batchSize: 200, errorThresholdPct: 50, workers: 1 }, admin, "console-a").finally(() => (startSettled = true));
    // Hold the row until the start's DDL has been seen waiting in three separate attempts (it gave
    // up and retried) and for longer than the write bound: a DDL that queued without a bound would
    // then have held the application's writes past it.
    const waits = watchConsoleLockWaits();
    await until("the start's DDL to wait for the application in three attempts", async () => {
      await waits.poll();
      return (waits.attempts.size >= 3 && performance.now() - t0 > WRITE_WAIT_BOUND_MS) || startSettled;
    });
    const pendingAtRelease = !startSettled;
    holder.release();
    const run = await starting;
    const startMs = performance.now() - t0;
    await holder.done;
    const w = await writer.stop();
    expect(run.status).toBe("running");
    expect(await isCaptureInstalled(t.db)).toBe(true);
    expect(pendingAtRelease).toBe(true); // it did wait for the application's transaction
    expect(waits.attempts.size).toBeGreaterThanOrEqual(3);
    expect(w.writes).toBeGreaterThan(20); // the application kept writing meanwhile
    expect(w.maxMs).toBeLessThan(WRITE_WAIT_BOUND_MS);

    // The run itself: a row lock taken mid-run on a prestamo ahead of the batches does not hold it up.
    const rowLock = holdRowLock("prestamos", 1901);
    await rowLock.isLocked;
    const worker = startWorker(t.db, { workerId: "console-a", idleMs: 20, maxSlots: 1 });
    let finishedWhileLocked = false;
    for (let i = 0; i < 600; i++) {
      const latest = await getLatestRun(t.db);
      if (!latest?.active) {
        finishedWhileLocked = latest?.status === "finished";
        break;
      }
      await sleep(50);
    }
    rowLock.release();
    await rowLock.done;
    expect(finishedWhileLocked).toBe(true);
    // The locked change (committed after its batch read the row) reaches the new tables through capture.
    await drainAll(t.db);
    await worker.stop();
    const legacy = await queryOne<{ monto: string }>(t.db, sql`select monto::text as monto from prestamos where id = 1901`);
    const migrated = await queryOne<{ cents: number }>(t.db, sql`select monto_cents::int as cents from prestamos_new where legacy_id = 1901`);
    expect(migrated?.cents).toBe(Math.round(Number(legacy!.monto) * 100));
    await expectZeroDiffs(t.db);
    console.log(
      `[postgres] start waited ${Math.round(startMs)} ms for the application; ${w.writes} application writes meanwhile, slowest ${Math.round(w.maxMs)} ms`,
    );
  }, 120_000);

  it("a lock on a table the batches write makes a batch time out: it is retried, not lost", async () => {
    await endCapture(t.db, admin);
    await t.db.execute(sql`truncate pagos_prestamo_new, prestamos_new, migration_state, migration_failures, migration_chunks`);
    const run = await startRun(t.db, { batchSize: 100, errorThresholdPct: 50, workers: 1 }, admin, "console-b");
    // A maintenance session locks the new pagos table until a batch has waited out its
    // lock_timeout behind it and the run recorded the failure.
    const maint = holdTransaction(app, (tx) => tx`lock table pagos_prestamo_new in exclusive mode`);
    await maint.ready;
    const worker = startWorker(t.db, { workerId: "console-b", idleMs: 20, maxSlots: 1 });
    await waitForLockWaiters(app, 1); // the batch is queued behind the maintenance lock
    await until("the batch's lock timeout to be recorded on the run", async () => /lock timeout/i.test((await getLatestRun(t.db))?.lastError ?? ""));
    expect((await getLatestRun(t.db))?.processed).toBe(0); // nothing got through while the table was locked
    maint.release();
    await maint.done;
    let ended = await getLatestRun(t.db);
    for (let i = 0; i < 1200 && ended?.active; i++) {
      await sleep(50);
      ended = await getLatestRun(t.db);
    }
    await worker.stop();
    expect(ended?.id).toBe(run.id);
    expect(ended?.status).toBe("finished");
    expect(ended?.lastError).toMatch(/lock timeout/i);
    await expectZeroDiffs(t.db);
  }, 120_000);

  it("a lock held past the retry budget: the start answers 503 with Retry-After, the application kept writing, nothing changed", async () => {
    await endCapture(t.db, admin);
    const runsBefore = await queryOne<{ n: number }>(t.db, sql`select count(*)::int as n from migration_runs`);
    const holder = holdRowLock("pagos_prestamo", 5);
    await holder.isLocked;
    const writer = steadyWriter();
    const err = await startRun(t.db, { batchSize: 200 }, admin, "console-c").catch((e: unknown) => e);
    holder.release();
    await holder.done;
    const w = await writer.stop();
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe("UNAVAILABLE");
    expect((err as AppError).headers?.["Retry-After"]).toBe("10");
    expect(await isCaptureInstalled(t.db)).toBe(false);
    expect((await queryOne<{ n: number }>(t.db, sql`select count(*)::int as n from migration_runs`))?.n).toBe(runsBefore?.n);
    expect(await getLatestRun(t.db).then((r) => r?.active)).toBe(false);
    expect(w.maxMs).toBeLessThan(WRITE_WAIT_BOUND_MS);
    console.log(
      `[postgres] start gave up after the ${DDL_RETRY_BUDGET_MS / 1000} s budget; ${w.writes} application writes meanwhile, slowest ${Math.round(w.maxMs)} ms`,
    );
  }, 120_000);
});
