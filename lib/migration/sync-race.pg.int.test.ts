/**
 * An application commit that lands while a background sync of the same prestamo is in flight is
 * never lost (MIGRATION-SPEC §4): the sync read the legacy row before the commit, so the commit's
 * own queue entry must survive it and the next drain bring the new tables in step.
 * PostgreSQL only: the sync is held at a known point by a row lock on a second connection while a
 * third commits the application's change; the test waits on pg_stat_activity for the blocked sync.
 */
import { sql } from "drizzle-orm";
import postgres from "postgres";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { queryOne } from "@/db/sql";
import type { Actor } from "@/lib/audit";
import { openTestDb, type TestDb } from "@/lib/testing/db";
import { holdTransaction, waitForLockWaiters } from "@/lib/testing/lock-wait";
import { resetMigrationTables } from "@/lib/testing/reset";
import { seedLegacy } from "@/lib/testing/legacy-seed";
import { expectZeroDiffs } from "@/lib/testing/zero-diffs";
import { drainAll, drainCapture } from "./capture";
import { startRun } from "./runs";
import { runToEnd } from "@/lib/testing/run-to-end";

const admin: Actor = { name: "admin@test.local", kind: "user", role: "admin" };
const W = "sync-race-worker";
let t: TestDb;
let holder: postgres.Sql;
let app: postgres.Sql;

beforeAll(async () => {
  t = await openTestDb();
  holder = postgres(t.url!, { max: 1, onnotice: () => {} });
  app = postgres(t.url!, { max: 1, onnotice: () => {} });
});
afterAll(async () => {
  await holder?.end();
  await app?.end();
  await t?.dispose();
});
beforeEach(() => resetMigrationTables(t.db, ["console_audit_log"]));

const montoNew = async (id: number) =>
  Number((await queryOne<{ m: string }>(t.db, sql`select monto_cents::text as m from prestamos_new where legacy_id = ${id}`))!.m);

describe("a commit during a sync", () => {
  it("is not lost: the sync blocked mid-write sees the old row, the commit's entry survives, the next drain ends at zero diffs", async () => {
    await seedLegacy(t.db, 50);
    const run = await startRun(t.db, { errorThresholdPct: 50 }, admin, W);
    expect(await runToEnd(t.db, run.id, W)).toMatchObject({ status: "finished" });
    await t.db.execute(sql`update prestamos set monto = 111 where id = 1`);

    // The sync's statement reads the legacy rows, then waits to rewrite prestamos_new row 1.
    const lock = holdTransaction(holder, (tx) => tx`select 1 from prestamos_new where legacy_id = 1 for update`);
    await lock.ready;
    const sync = drainCapture(t.db);
    await waitForLockWaiters(app, 1);

    // The application commits meanwhile; its trigger queues a new entry the sync cannot have seen.
    await app`update prestamos set monto = 222 where id = 1`;
    lock.release();
    await lock.done;
    const first = await sync;
    expect(first.entries).toBe(1);
    // The sync wrote what it had read; the commit is still owed, not dropped.
    expect(await montoNew(1)).toBe(11100);
    expect((await queryOne<{ n: number }>(t.db, sql`select count(*)::int as n from capture_changes where prestamo_id = 1`))!.n).toBe(1);

    await drainAll(t.db);
    expect(await montoNew(1)).toBe(22200);
    await expectZeroDiffs(t.db);
  });
});
