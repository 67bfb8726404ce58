/**
 * Start and cleanup never interleave (MIGRATION-SPEC §4 "Capture is never silently off"):
 * PostgreSQL only, since it takes an application transaction on a second connection holding a row
 * lock, which keeps a cleanup's DROP TRIGGER (or a start's CREATE TRIGGER) retrying meanwhile.
 * Each interleaving is forced: the test waits on pg_stat_activity / pg_locks for the waiter.
 */
import { sql } from "drizzle-orm";
import postgres from "postgres";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { queryOne } from "@/db/sql";
import type { Actor } from "@/lib/audit";
import { AppError } from "@/lib/errors";
import { openTestDb, type TestDb } from "@/lib/testing/db";
import { insertPrestamo } from "@/lib/testing/factories";
import { resetMigrationTables } from "@/lib/testing/reset";
import { expectZeroDiffs } from "@/lib/testing/zero-diffs";
import { drainAll, endCapture, isCaptureInstalled } from "./capture";
import { rollbackAll } from "./prestamo-actions";
import { getActiveRun, startRun } from "./runs";
import { runToEnd } from "@/lib/testing/run-to-end";

const admin: Actor = { name: "admin@test.local", kind: "user", role: "admin" };
const W = "races-worker";
let t: TestDb;
let app: postgres.Sql; // the application's own connections
let observer: postgres.Sql;

beforeAll(async () => {
  t = await openTestDb();
  app = postgres(t.url!, { max: 2, onnotice: () => {} });
  observer = postgres(t.url!, { max: 1, onnotice: () => {} });
});
afterAll(async () => {
  await app?.end();
  await observer?.end();
  await t?.dispose();
});
beforeEach(() => resetMigrationTables(t.db, ["console_audit_log"]));

/** An application transaction that wrote a legacy row and holds it until `release()`. */
async function holdRowLock(id: number) {
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  let locked!: () => void;
  const isLocked = new Promise<void>((r) => (locked = r));
  const done = app.begin(async (tx) => {
    await tx`update prestamos set updated_at = updated_at where id = ${id}`;
    locked();
    await released;
  });
  await isLocked;
  return { release, done };
}

/** Resolves once some session of this database waits for a lock matching `where` (polls the catalog: an event, not a guess). */
async function waitForWaiter(where: "ddl" | "advisory", orSettled?: Promise<unknown>): Promise<"waiting" | "settled" | "no waiter in 15 s"> {
  const deadline = Date.now() + 15_000;
  let settled = false;
  void orSettled?.then(
    () => (settled = true),
    () => (settled = true),
  );
  for (;;) {
    const rows =
      where === "ddl"
        ? await observer`select 1 from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and query ilike '%trigger%'`
        : await observer`select 1 from pg_locks l join pg_database d on d.oid = l.database where d.datname = current_database() and l.locktype = 'advisory' and not l.granted`;
    if (rows.length > 0) return "waiting";
    if (settled) return "settled";
    if (Date.now() > deadline) return "no waiter in 15 s";
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe("start and cleanup on postgres", () => {
  it("a start during a cleanup waits for it, then installs capture: the run it answers with is captured", async () => {
    const a = await insertPrestamo(t.db, {});
    const first = await startRun(t.db, { batchSize: 100 }, admin, W);
    await runToEnd(t.db, first.id, W);
    const lock = await holdRowLock(a.id);
    const cleanup = endCapture(t.db, admin);
    expect(await waitForWaiter("ddl", cleanup)).toBe("waiting"); // the DROP TRIGGER waits behind the application
    const start = startRun(t.db, { batchSize: 100 }, admin, W);
    // The start must wait for the cleanup (before the fix it answered at once, seeing the triggers about to go).
    expect(await waitForWaiter("advisory", start)).toBe("waiting");
    lock.release();
    await lock.done;
    expect((await cleanup).removed).toBe(true);
    const run = await start;
    expect(run.active).toBe(true);
    expect(await isCaptureInstalled(t.db)).toBe(true);
    const late = await insertPrestamo(t.db, { cliente_nombre: "Tras la limpieza" });
    expect((await queryOne<{ n: number }>(t.db, sql`select count(*)::int as n from capture_changes where prestamo_id = ${late.id}`))!.n).toBe(1);
    await runToEnd(t.db, run.id, W);
    await drainAll(t.db);
    await expectZeroDiffs(t.db, "all");
  });

  it("a cleanup during a start waits for it, then refuses: the run keeps its capture", async () => {
    const a = await insertPrestamo(t.db, {});
    const lock = await holdRowLock(a.id);
    const start = startRun(t.db, { batchSize: 100 }, admin, W);
    expect(await waitForWaiter("ddl", start)).toBe("waiting"); // CREATE TRIGGER waits behind the application
    const cleanup = endCapture(t.db, admin);
    expect(await waitForWaiter("advisory", cleanup)).toBe("waiting");
    lock.release();
    await lock.done;
    const run = await start;
    const refused = await cleanup.then(
      () => null,
      (err: unknown) => err,
    );
    expect(refused).toBeInstanceOf(AppError);
    expect((refused as AppError).code).toBe("CONFLICT");
    expect(await isCaptureInstalled(t.db)).toBe(true);
    expect((await getActiveRun(t.db))?.id).toBe(run.id);
  });

  it("a rollback of all during a start waits for it: capture follows nothing pending afterwards, the next start follows again", async () => {
    const a = await insertPrestamo(t.db, {});
    const lock = await holdRowLock(a.id);
    const start = startRun(t.db, { batchSize: 100 }, admin, W);
    expect(await waitForWaiter("ddl", start)).toBe("waiting");
    const rollback = rollbackAll(t.db, admin);
    expect(await waitForWaiter("advisory", rollback)).toBe("waiting");
    lock.release();
    await lock.done;
    const run = await start;
    expect((await rollback).stoppedRunId).toBe(run.id);
    const late = await insertPrestamo(t.db, {});
    await drainAll(t.db);
    expect(await queryOne(t.db, sql`select 1 from migration_state where legacy_id = ${late.id}`)).toBeFalsy();
    const next = await startRun(t.db, { batchSize: 100 }, admin, W);
    await runToEnd(t.db, next.id, W);
    await drainAll(t.db);
    await expectZeroDiffs(t.db, "all");
  });
});
