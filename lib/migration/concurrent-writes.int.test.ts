import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDb, type DbHandle } from "@/db/client";
import { openTestDb, testDriver, type TestDb } from "@/lib/testing/db";
import { applicationWrites } from "@/lib/testing/app-writer";
import { expectZeroDiffs } from "@/lib/testing/zero-diffs";
import { seedLegacy } from "@/lib/testing/legacy-seed";
import { drainAll } from "./capture";
import { getLatestRun, startRun } from "./runs";
import { startWorker } from "./worker";

/**
 * The application keeps writing while a run is active: inserts, updates, deletes, and pagos moving
 * between prestamos, from its own connections (PostgreSQL) or interleaved on the one connection
 * (PGlite). After the writer stops and the backlog drains, the new tables equal the independent
 * expectation: zero diffs.
 */
let db: TestDb;
let app: DbHandle; // the application's own connections
beforeAll(async () => {
  db = await openTestDb();
  app = testDriver() === "postgres" ? await openDb({ url: db.url!, max: 4 }) : db;
});
afterAll(async () => {
  if (app !== db) await app.close();
  await db?.dispose();
});

describe(`concurrent application writes during a run (${testDriver()})`, () => {
  it("lose nothing: after the backlog drains, zero diffs against the independent expectation", async () => {
    await seedLegacy(db.db, 3000, 60);
    const run = await startRun(db.db, { batchSize: 60, errorThresholdPct: 50, workers: 2 }, { name: "admin@test.local", kind: "user" }, "console-a");
    const worker = startWorker(db.db, { workerId: "console-a", idleMs: 20, sliceMs: 300, maxSlots: testDriver() === "pglite" ? 1 : 2 });
    let runEnded = false;
    const writer = applicationWrites(app.db, { until: () => runEnded, seed: 42 });
    for (let i = 0; i < 6000 && !runEnded; i++) {
      await new Promise((r) => setTimeout(r, 50));
      runEnded = !(await getLatestRun(db.db))?.active;
    }
    const ops = await writer;
    await worker.stop();
    await drainAll(db.db);
    const ended = await getLatestRun(db.db);
    expect(ended?.id).toBe(run.id);
    expect(ended?.status).toBe("finished");
    expect(ops).toBeGreaterThan(20);
    const report = await expectZeroDiffs(db.db);
    console.log(`[${testDriver()}] ${ops} application writes during the run; ${report.counts.migrated} prestamos migrated, zero diffs`);
  }, 300_000);
});
