import { sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Actor } from "@/lib/audit";
import { openTestDb, type TestDb } from "@/lib/testing/db";
import { seedLegacy } from "@/lib/testing/legacy-seed";
import { resetMigrationTables } from "@/lib/testing/reset";
import { getProgress } from "./progress";
import { startRun } from "./runs";
import { runToEnd } from "@/lib/testing/run-to-end";
import { checkStateCounts, getLastStateCountsCheck, getStateCounts } from "./state-counts";
import { startWorker } from "./worker";

const admin: Actor = { name: "admin@test.local", kind: "user", role: "admin" };
let t: TestDb;

beforeAll(async () => {
  t = await openTestDb();
});
afterAll(async () => t?.dispose());
beforeEach(async () => {
  await resetMigrationTables(t.db, ["migration_state_counts", "console_settings"]);
  await seedLegacy(t.db, 300, 20);
  const run = await startRun(t.db, { errorThresholdPct: 50, workers: 1 }, admin, "w");
  await runToEnd(t.db, run.id, "w");
});

describe("the self-check of the state counts", () => {
  it("finds kept counts that differ from the real ones, says so in the log and in progress, and repairs them", async () => {
    const real = await getStateCounts(t.db);
    expect(real.migrated + real.failed).toBe(300);
    // Counts gone wrong, whatever the cause: a delta that no write made, and a state that does not exist.
    await t.db.execute(sql`insert into migration_state_counts (state, delta) values ('migrated', 7), ('failed', -2), ('pending', 1)`);
    expect((await getProgress(t.db)).totals.migrated).toBe(real.migrated + 7);

    const logged: Record<string, unknown>[] = [];
    const check = await checkStateCounts(t.db, (e) => logged.push(e));
    expect(check).toMatchObject({ ok: false, repaired: true, kept: { migrated: real.migrated + 7, failed: real.failed - 2 }, real });
    expect(logged).toEqual([expect.objectContaining({ msg: "state counts differed from migration_state", repaired: true })]);
    expect(await getStateCounts(t.db)).toEqual(real);
    const progress = await getProgress(t.db);
    expect(progress.totals).toMatchObject({ migrated: real.migrated, failed: real.failed, pending: 0 });
    expect(progress.countsCheck).toMatchObject({ ok: false, repaired: true, kept: { migrated: real.migrated + 7 } });

    const again = await checkStateCounts(t.db, (e) => logged.push(e));
    expect(again).toMatchObject({ ok: true, repaired: false, kept: real, real });
    expect(logged).toHaveLength(1);
    expect((await getProgress(t.db)).countsCheck).toMatchObject({ ok: true });
  });

  it("is run by the worker when idle", async () => {
    await t.db.execute(sql`insert into migration_state_counts (state, delta) values ('rolled_back', 3)`);
    expect(await getLastStateCountsCheck(t.db)).toBeNull();
    const logged: Record<string, unknown>[] = [];
    const worker = startWorker(t.db, { workerId: "idle-worker", idleMs: 20, checkCountsEveryMs: 0, log: (e) => logged.push(e) });
    try {
      while (!logged.some((e) => e.msg === "state counts differed from migration_state")) await new Promise((r) => setTimeout(r, 20));
    } finally {
      await worker.stop();
    }
    expect(logged.find((e) => e.msg === "state counts differed from migration_state")).toMatchObject({
      kept: { rolledBack: 3 },
      real: { rolledBack: 0 },
      repaired: true,
    });
    expect((await getStateCounts(t.db)).rolledBack).toBe(0);
    // Checked at every idle turn here: the last result is the repair or a clean check after it.
    expect(await getLastStateCountsCheck(t.db)).toMatchObject({ real: { rolledBack: 0 } });
  });
});
