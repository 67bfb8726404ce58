/**
 * The kept state counts against a compaction in flight (PostgreSQL only: the compaction's
 * transaction and the rollback of all need two sessions at once).
 */
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDb, type DbHandle } from "@/db/client";
import type { Actor } from "@/lib/audit";
import { openTestDb, type TestDb } from "@/lib/testing/db";
import { seedLegacy } from "@/lib/testing/legacy-seed";
import { waitForLockWaiters } from "@/lib/testing/lock-wait";
import { rollbackAll } from "./prestamo-actions";
import { getProgress } from "./progress";
import { startRun } from "./runs";
import { runToEnd } from "@/lib/testing/run-to-end";
import { checkStateCounts, compactStateCounts, getStateCounts } from "./state-counts";

const admin: Actor = { name: "admin@test.local", kind: "user", role: "admin" };
let t: TestDb;
let otherProcess: DbHandle; // another console instance's worker
let watcher: postgres.Sql;

beforeAll(async () => {
  t = await openTestDb();
  otherProcess = await openDb({ url: t.url!, max: 2 });
  watcher = postgres(t.url!, { max: 1, onnotice: () => {} });
});
afterAll(async () => {
  await watcher?.end();
  await otherProcess?.close();
  await t?.dispose();
});

describe("state counts (postgres)", () => {
  it("a rollback of all during an idle compaction leaves them at zero, equal to the real counts", async () => {
    await seedLegacy(t.db, 500, 50);
    const run = await startRun(t.db, { errorThresholdPct: 50, workers: 1 }, admin, "w");
    await runToEnd(t.db, run.id, "w");
    expect((await getStateCounts(t.db)).migrated).toBeGreaterThan(400);

    // Another instance's compaction has folded the counts and not committed yet.
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let folded!: () => void;
    const isFolded = new Promise<void>((r) => (folded = r));
    const compaction = otherProcess.db.transaction(async (tx) => {
      await compactStateCounts(tx);
      folded();
      await released;
    });
    await isFolded;
    const rollback = rollbackAll(t.db, admin);
    await waitForLockWaiters(watcher, 1);
    release();
    await compaction;
    await rollback;

    expect(await getStateCounts(t.db)).toEqual({ migrated: 0, failed: 0, rolledBack: 0 });
    expect((await getProgress(t.db)).totals).toMatchObject({ migrated: 0, pending: 500, percent: 0 });
    expect((await checkStateCounts(t.db)).ok).toBe(true);
  });
});
