/**
 * A batch of an ended run still in flight while the next run takes the same prestamos
 * (PostgreSQL only: two transactions at once need two connections; PGlite has one).
 */
import { sql } from "drizzle-orm";
import postgres from "postgres";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { queryOne } from "@/db/sql";
import type { Actor } from "@/lib/audit";
import { openTestDb, type TestDb } from "@/lib/testing/db";
import { seedLegacy } from "@/lib/testing/legacy-seed";
import { holdTransaction, waitForLockWaiters } from "@/lib/testing/lock-wait";
import { resetMigrationTables } from "@/lib/testing/reset";
import { expectZeroDiffs } from "@/lib/testing/zero-diffs";
import { getLatestRun, requestStop, startRun, type RunDTO } from "./runs";
import { processBatch } from "./run-batches";

const admin: Actor = { name: "admin@test.local", kind: "user", role: "admin" };
let t: TestDb;
let other: postgres.Sql; // a second session, as another process would hold one

beforeAll(async () => {
  t = await openTestDb();
  other = postgres(t.url!, { max: 2, onnotice: () => {} });
});
afterAll(async () => {
  await other?.end();
  await t?.dispose();
});
beforeEach(async () => {
  await resetMigrationTables(t.db);
  await seedLegacy(t.db, 300, 10); // 29 of them fail (one broken pago falls on a prestamo without pagos)
});

const FAILING = 29;

const runById = async (id: number) => toRun(await queryOne(t.db, sql`select * from migration_runs where id = ${id}`));
const toRun = (r: Record<string, unknown> | undefined) => ({
  processed: Number(r?.processed),
  failed: Number(r?.failed),
  migrated: Number(r?.migrated),
  status: String(r?.status),
});

describe("a batch of a run that ended while it ran", () => {
  it("is undone, so the next run taking the same prestamos records each failure once and counts only its own", async () => {
    const first = await startRun(t.db, { batchSize: 300, workers: 1, errorThresholdPct: 50 }, admin, "console-a");
    // The first run's batch is held after its writes, before it records the batch.
    const hold = holdTransaction(other, (tx) => tx`lock table migration_batches in exclusive mode`);
    await hold.ready;
    const late = processBatch(t.db, first.id, "console-a");
    await waitForLockWaiters(other, 1);
    // Its worker looks dead (lease expired): stop ends the run at once, and a new run starts.
    await other`update migration_runs set lease_expires_at = now() - interval '1 second' where id = ${first.id}`;
    expect((await requestStop(t.db, admin)).status).toBe("stopped");
    const second = await startRun(t.db, { batchSize: 300, workers: 1, errorThresholdPct: 50 }, admin, "console-b");
    const next = processBatch(t.db, second.id, "console-b");
    await waitForLockWaiters(other, 2); // the new run's batch waits for the late one's rows
    hold.release();
    await hold.done;
    const [lateOut, nextOut] = await Promise.all([late, next]);

    expect(lateOut.kind).toBe("not-ours");
    expect(nextOut).toMatchObject({ kind: "batch", migrated: 300 - FAILING, failed: FAILING });
    expect(await runById(first.id)).toMatchObject({ status: "stopped", processed: 0, failed: 0, migrated: 0 });
    expect(await runById(second.id)).toMatchObject({ processed: 300, failed: FAILING, migrated: 300 - FAILING });
    const rows = await queryOne<{ n: number; rules: number; failed: number }>(
      t.db,
      sql`select count(*)::int as n, count(distinct (legacy_id, code, field, coalesce(pago_id, 0)))::int as rules,
                 (select count(*) from migration_state where state = 'failed')::int as failed
          from migration_failures`,
    );
    expect(rows!.n).toBe(rows!.rules);
    expect(rows!.failed).toBe(FAILING);
    expect((await expectZeroDiffs(t.db)).counts.legacyValid).toBe(300 - FAILING);
  });

  it("a stop waits for the batches in flight: the run ends with their figures, after them", async () => {
    const run = await startRun(t.db, { batchSize: 150, workers: 2, errorThresholdPct: 50 }, admin, "console-a");
    const hold = holdTransaction(other, (tx) => tx`lock table migration_batches in exclusive mode`);
    await hold.ready;
    const inFlight = processBatch(t.db, run.id, "console-a#0");
    await waitForLockWaiters(other, 1);
    await requestStop(t.db, admin); // a live worker holds the lease: it stops after its batches
    // The other slot comes for its next batch: it must not end the run under the batch in flight.
    const meanwhile = await processBatch(t.db, run.id, "console-a#1");
    expect(meanwhile.kind).toBe("wait");
    expect((await getLatestRun(t.db))?.status).toBe("running");
    hold.release();
    await hold.done;
    expect((await inFlight).kind).toBe("batch");
    const ended = await processBatch(t.db, run.id, "console-a#1");
    expect(ended.kind).toBe("ended");
    const final = (ended as { run: RunDTO }).run;
    expect(final).toMatchObject({ status: "stopped", processed: 150, batches: 1 });
    expect(await runById(run.id)).toMatchObject({ processed: 150 });
  });
});
