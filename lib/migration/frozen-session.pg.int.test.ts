/**
 * A console process frozen inside a batch transaction (SIGSTOP: a paused VM or container), on
 * PostgreSQL (PGlite has one connection in-process: nothing else can freeze holding a lock).
 */
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { sql } from "drizzle-orm";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONSOLE_SESSION_LIMITS } from "@/db/client";
import { queryOne } from "@/db/sql";
import type { Actor } from "@/lib/audit";
import { openTestDb, type TestDb } from "@/lib/testing/db";
import { seedLegacy } from "@/lib/testing/legacy-seed";
import { holdTransaction, waitForLockWaiters } from "@/lib/testing/lock-wait";
import { expectZeroDiffs } from "@/lib/testing/zero-diffs";
import { drainCapture } from "./capture";
import { claimActiveRun, startRun, THIS_HOST } from "./runs";
import { runToEnd } from "@/lib/testing/run-to-end";
import { WRITERS_LOCK_KEY } from "./write";

const admin: Actor = { name: "admin@test.local", kind: "user", role: "admin" };
const CHILD = path.join(process.cwd(), "lib", "testing", "run-child.ts");
const FROZEN_IDLE_LIMIT_MS = 3000;
let t: TestDb;
let other: postgres.Sql;
let child: ChildProcess | undefined;

beforeAll(async () => {
  t = await openTestDb();
  other = postgres(t.url!, { max: 2, onnotice: () => {} });
});
afterAll(async () => {
  child?.kill("SIGKILL");
  await other?.end();
  await t?.dispose();
});

const until = async (what: string, check: () => Promise<boolean>, timeoutMs = 20_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline)
      throw new Error(
        `timed out waiting for ${what}: ${JSON.stringify(await other`select application_name, state, wait_event_type, wait_event, left(query, 60) as q from pg_stat_activity where datname = current_database()`)}`,
      );
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe("a frozen session (postgres)", () => {
  it("the console's sessions carry deliberate limits and READ COMMITTED", async () => {
    const row = await queryOne<Record<string, string>>(
      t.db,
      sql`select current_setting('idle_in_transaction_session_timeout') as idle, current_setting('lock_timeout') as lock,
                 current_setting('statement_timeout') as stmt, current_setting('default_transaction_isolation') as iso`,
    );
    expect(row).toEqual({
      idle: `${CONSOLE_SESSION_LIMITS.idleInTransactionMs / 1000}s`,
      lock: `${CONSOLE_SESSION_LIMITS.lockTimeoutMs / 1000}s`,
      stmt: `${CONSOLE_SESSION_LIMITS.statementTimeoutMs / 60_000}min`,
      iso: "read committed",
    });
  });

  it("inside a batch: the drain never queues behind it, the server ends it, and its chunk goes back to the pool", async () => {
    await seedLegacy(t.db, 600, 40);
    const run = await startRun(t.db, { batchSize: 100, workers: 1, errorThresholdPct: 50 }, admin, `${THIS_HOST}:999999:gone`);
    // The child's first batch transaction waits for the writers' lock (held here as a sync
    // would); the process is frozen there, and gets the lock as the sync commits.
    const hold = holdTransaction(other, (tx) => tx`select pg_advisory_xact_lock(${WRITERS_LOCK_KEY})`);
    await hold.ready;
    child = spawn(process.execPath, ["--import", "tsx", CHILD], {
      env: { ...process.env, DATABASE_URL: t.url!, IDLE_IN_TX_MS: String(FROZEN_IDLE_LIMIT_MS) },
      stdio: "ignore",
    });
    await waitForLockWaiters(other, 1);
    child.kill("SIGSTOP");
    hold.release();
    await hold.done;
    const frozenSessions = async () =>
      Number(
        (
          await other`select count(*)::int as n from pg_stat_activity where datname = current_database() and application_name = 'prestamos-console' and state = 'idle in transaction'`
        )[0].n,
      );
    await until("the frozen batch transaction", async () => (await frozenSessions()) === 1);

    // The application changes a prestamo; the drain must sync it without waiting in the lock queue.
    await other`update prestamos set monto = monto + 1, updated_at = now() where id = 550`;
    let queued = 0;
    let settled = false;
    // As the worker does: a drain that found the lock held for its whole budget is tried again.
    const drain = (async () => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await drainCapture(t.db);
        } catch (err) {
          if (attempt >= 3 || (err as { code?: string }).code !== "UNAVAILABLE") throw err;
        }
      }
    })().finally(() => (settled = true));
    while (!settled) {
      // This database's waiters only: the other files' sessions wait on the same server.
      const [w] = await other`select count(*)::int as n from pg_locks l join pg_database d on d.oid = l.database
                    where d.datname = current_database() and l.locktype = 'advisory' and not l.granted`;
      queued = Math.max(queued, Number(w.n));
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(queued).toBe(0);
    expect((await drain).entries).toBeGreaterThan(0);
    // The server ended it: its locks and rows are gone. A dying backend lets go of its locks
    // before it leaves pg_stat_activity, so the drain can finish a moment before it is gone.
    await until("the server to end the frozen session", async () => (await frozenSessions()) === 0, 5_000);

    // The frozen process still holds the run's lease until it expires; then another instance
    // takes the run over, the chunk the frozen batch had claimed among its work.
    await other`update migration_runs set lease_expires_at = now() - interval '1 second' where id = ${run.id}`;
    expect(await claimActiveRun(t.db, "console-b")).not.toBeNull();
    const ended = await runToEnd(t.db, run.id, "console-b");
    // 599: the changed prestamo was synced by the drain before the run came to it.
    expect(ended).toMatchObject({ status: "finished", processed: 599 });
    expect(await queryOne(t.db, sql`select count(*)::int as n from migration_state`)).toEqual({ n: 600 });
    await expectZeroDiffs(t.db);
  });
});
