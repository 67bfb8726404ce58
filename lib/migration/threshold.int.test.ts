import { sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Actor } from "@/lib/audit";
import { openTestDb, type TestDb } from "@/lib/testing/db";
import { seedLegacy } from "@/lib/testing/legacy-seed";
import { resetMigrationTables } from "@/lib/testing/reset";
import { startRun } from "./runs";
import { runToEnd } from "@/lib/testing/run-to-end";

let db: TestDb;
const admin: Actor = { name: "admin@test.local", kind: "user", role: "admin" };

beforeAll(async () => {
  db = await openTestDb();
});
afterAll(async () => db?.dispose());
beforeEach(async () => {
  await resetMigrationTables(db.db);
  await seedLegacy(db.db, 1200); // all valid; a test breaks the ones it needs
});

/** Breaks the first `n` prestamos (an unknown estado), so exactly n of the first 1,000 fail. */
const breakFirst = (n: number) => db.db.execute(sql`update prestamos set estado = 'raro' where id <= ${n}`);

describe("a run at its error threshold", () => {
  it.each([3.5, 7, 0.7, 1.4, 2.9, 3.3, 5.6])("goes on when exactly %s percent of the first 1,000 failed, and halts with one more", async (pct) => {
    const atThreshold = Math.round(pct * 10);
    await breakFirst(atThreshold);
    // Batches of 500: the check at 1,000 processed sees exactly pct % failed.
    const run = await startRun(db.db, { batchSize: 500, errorThresholdPct: pct, workers: 1 }, admin, "w");
    const ended = await runToEnd(db.db, run.id, "w");
    expect(ended).toMatchObject({ status: "finished", processed: 1200, failed: atThreshold });

    await resetMigrationTables(db.db);
    await seedLegacy(db.db, 1200);
    await breakFirst(atThreshold + 1);
    const over = await startRun(db.db, { batchSize: 500, errorThresholdPct: pct, workers: 1 }, admin, "w");
    const halted = await runToEnd(db.db, over.id, "w");
    expect(halted).toMatchObject({ status: "halted", processed: 1000, failed: atThreshold + 1 });
  });
});
