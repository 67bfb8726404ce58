/**
 * connections killed: the database drops every connection of the console in the middle
 * of a run and in the middle of a background sync. The worker reports it (the run's last_error,
 * progress lastError), reconnects by itself on its next query, and the run and the backlog go on
 * to zero diffs. /api/health answers 503 while the database is unreachable.
 *
 * PostgreSQL: pg_terminate_backend on every backend of the console, several times. PGlite has no
 * connections to drop; its equivalent is the embedded database failing the console's in-flight
 * statements (the first statement of the next transactions throws "terminating connection"), then
 * answering again: the same worker path (error → record → back off → retry) is exercised.
 */
import { sql } from "drizzle-orm";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDb, type Db } from "@/db/client";
import { queryOne } from "@/db/sql";
import * as health from "@/app/api/health/route";
import { installAppDb } from "@/lib/testing/app-db";
import { openTestDb, testDriver, type TestDb } from "@/lib/testing/db";
import { expectZeroDiffs } from "@/lib/testing/zero-diffs";
import { seedLegacy } from "@/lib/testing/legacy-seed";
import { runRangeProblems } from "@/lib/testing/chaos";
import { holdTransaction, waitForLockWaiters } from "@/lib/testing/lock-wait";
import { captureBacklog } from "./capture";
import { getProgress } from "./progress";
import { getLatestRun, startRun } from "./runs";
import { startWorker, type WorkerHandle } from "./worker";

const ROWS = testDriver() === "pglite" ? 1500 : 3000;
let t: TestDb;
let forget: () => void;
const events: Record<string, unknown>[] = [];

/** PGlite: a Db whose transactions fail as they begin for a short window, as they would while the connections are being dropped. */
function faultyDb(db: Db): { db: Db; dropConnections(): void; failed(): number } {
  let failUntil = 0;
  let failed = 0;
  const proxy = new Proxy(db, {
    get(target, prop, receiver) {
      if (prop === "transaction") {
        return (fn: (tx: unknown) => Promise<unknown>, ...rest: unknown[]) =>
          (target.transaction as (f: (tx: unknown) => Promise<unknown>, ...r: unknown[]) => Promise<unknown>)(
            async (tx) => {
              if (Date.now() < failUntil) {
                failed++;
                throw Object.assign(new Error("terminating connection due to administrator command (simulated on PGlite)"), { code: "57P01" });
              }
              return fn(tx);
            },
            ...rest,
          );
      }
      return Reflect.get(target, prop, receiver);
    },
  });
  return { db: proxy as Db, dropConnections: () => (failUntil = Date.now() + 400), failed: () => failed };
}

async function terminateConsoleBackends(): Promise<number> {
  const admin = postgres(t.url!, { max: 1, onnotice: () => {} });
  try {
    const rows = await admin`select count(pg_terminate_backend(pid))::int as n from pg_stat_activity
                              where datname = current_database() and pid <> pg_backend_pid() and application_name = 'prestamos-console-test'`;
    return Number(rows[0].n);
  } finally {
    await admin.end();
  }
}

/** Drops the console's connections while its worker waits on the run row another session holds. */
async function dropWhileWaiting(runId: number): Promise<number> {
  const other = postgres(t.url!, { max: 2, onnotice: () => {}, connection: { application_name: "outage-test-blocker" } });
  try {
    const held = holdTransaction(other, (tx) => tx`select id from migration_runs where id = ${runId} for update`);
    await held.ready;
    await waitForLockWaiters(other, 1);
    const n = await terminateConsoleBackends();
    held.release();
    await held.done;
    return n;
  } finally {
    await other.end();
  }
}

/** A read through the console's handle right after its connections were dropped: retried, like the worker does. */
async function retry<T>(fn: () => Promise<T>): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (i >= 20) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

async function until(what: string, cond: () => Promise<boolean>, ms = 120_000): Promise<void> {
  const deadline = Date.now() + ms;
  // The test reads through the console's own handle, whose connections are being dropped too: an error is "not yet".
  while (!(await cond().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  t = await openTestDb();
  forget = installAppDb(t);
  await seedLegacy(t.db, ROWS, 50);
}, 120_000);

afterAll(async () => {
  forget?.();
  await t?.dispose();
});

describe(`every connection dropped mid-run and mid-sync (${testDriver()})`, () => {
  it("reports the outage, reconnects by itself, and the run and the backlog end at zero diffs", async () => {
    const faulty = testDriver() === "pglite" ? faultyDb(t.db) : null;
    const db = faulty?.db ?? t.db;
    const drop = async () => (faulty ? (faulty.dropConnections(), 1) : terminateConsoleBackends());
    let worker: WorkerHandle | undefined;
    try {
      worker = startWorker(db, { idleMs: 50, drainLimit: 100, log: (e) => events.push(e) });
      const run = await startRun(t.db, { batchSize: ROWS / 60, errorThresholdPct: 50 }, { name: "outage", kind: "system" }, worker.workerId);
      worker.wake();

      // Mid-run: three times, a few batches apart. On PostgreSQL the first drop hits a statement in
      // flight (the worker waits on the run row that another session holds), so the run must see it:
      // dropping idle connections alone may go unnoticed, the driver reconnecting on the next query.
      let dropped = 0;
      for (let i = 0; i < 3; i++) {
        const seen = (await retry(() => getLatestRun(t.db)))!.batches;
        await until("a few more batches", async () => (await getLatestRun(t.db))!.batches >= seen + 3 || !(await getLatestRun(t.db))!.active);
        dropped += i === 0 && !faulty ? await dropWhileWaiting(run.id) : await drop();
      }
      expect(dropped).toBeGreaterThan(0);
      await until("the run's last_error", async () => (await getLatestRun(t.db))!.lastError !== null);
      const during = await retry(() => getProgress(t.db));
      expect(during.lastError?.message).toMatch(/terminat|connection|closed|ended|ECONNRESET/i);
      await until("the run to finish", async () => (await getLatestRun(t.db))!.status === "finished");

      // Mid-sync: the application changes every prestamo; the backlog drains 100 entries per transaction.
      await retry(() => t.db.execute(sql`update prestamos set cliente_nombre = cliente_nombre || ' (editado)' where id % 2 = 0`));
      await retry(() => t.db.execute(sql`update pagos_prestamo set monto = monto + 1 where prestamo_id % 3 = 0`));
      const backlog = (await retry(() => captureBacklog(t.db))).entries;
      expect(backlog).toBeGreaterThan(ROWS / 2);
      await until("the first syncs", async () => (await captureBacklog(t.db)).entries < backlog - 150);
      const syncDrops = (await drop()) + (await new Promise((r) => setTimeout(r, 150)), await drop());
      expect(syncDrops).toBeGreaterThan(0);
      await until("the backlog to drain", async () => (await captureBacklog(t.db)).entries === 0);
      await worker.stop();
      worker = undefined;

      const errors = events.filter((e) => e.msg === "worker error");
      console.log(
        `[outage ${testDriver()}] dropped ${dropped} connections mid-run and ${syncDrops} mid-sync; ${errors.length} worker errors, e.g. ${String(errors[0]?.error).slice(0, 100)}`,
      );
      expect(errors.length).toBeGreaterThan(0);
      if (faulty) expect(faulty.failed()).toBeGreaterThanOrEqual(2);

      const final = await retry(() => getLatestRun(t.db));
      expect(final).toMatchObject({ id: run.id, status: "finished", processed: ROWS, checkpoint: ROWS });
      expect(await runRangeProblems(t.db, run.id)).toEqual([]);
      const states = await queryOne<{ n: number; d: number }>(t.db, sql`select count(*)::int as n, count(distinct legacy_id)::int as d from migration_state`);
      expect(states).toEqual({ n: ROWS, d: ROWS });
      await expectZeroDiffs(t.db);
    } finally {
      await worker?.stop();
    }
  }, 300_000);

  it("/api/health is 503 (JSON, nothing secret) while the database is unreachable, 200 once it answers", async () => {
    // Unreachable: a handle pointing at a closed port (PostgreSQL), or a closed embedded database.
    const dead =
      testDriver() === "postgres"
        ? await openDb({ url: "postgres://console:s3cret-password@127.0.0.1:1/prestamos", max: 1 })
        : await (async () => {
            const h = await openDb();
            await h.close();
            return h;
          })();
    installAppDb(dead);
    try {
      const res = await health.GET();
      expect(res.status).toBe(503);
      expect(res.headers.get("content-type")).toMatch(/json/);
      const text = await res.text();
      expect(JSON.parse(text)).toMatchObject({ status: "degraded", database: { reachable: false } });
      expect(text).not.toMatch(/s3cret|127\.0\.0\.1|:1\b|ECONNREFUSED/);
    } finally {
      if (testDriver() === "postgres") await dead.close().catch(() => {});
      installAppDb(t);
    }
    expect((await health.GET()).status).toBe(200);
  });
});
