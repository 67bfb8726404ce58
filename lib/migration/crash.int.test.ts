import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDb, type DbHandle } from "@/db/client";
import { auditRun, killLoop, prepareChaosRun } from "@/lib/testing/chaos";
import { openTestDb, testDriver, type TestDb } from "@/lib/testing/db";
import { prepareDatabase } from "./prepare";

/**
 * SIGKILL of a process running the engine, at varied points (between batches, inside one, while
 * the process starts, opens its database or claims the lease: lib/testing/chaos.ts), then a new
 * process resumes. PostgreSQL: a fresh test database shared by the children. PGlite: an embedded
 * data folder the children open one after the other (its lock is taken over from the dead pid),
 * which also proves the folder survives a kill, including one in the middle of opening it.
 * `npm run chaos -- --kills 50 --scale 100000` runs the same loop large, by hand.
 */
// PGlite pays ~3 s to open the folder in each child: fewer kills there (each of the three kill
// points still four times) and a smaller table keep the test short.
const KILLS = Number(process.env.CHAOS_KILLS ?? (testDriver() === "pglite" ? 12 : 20));
const ROWS = testDriver() === "pglite" ? 1200 : 3000;
// ~60 batches: every kill costs at most ~2 of them, so 20 kills happen before the run can end.
const BATCH = ROWS / 60;

let testDb: TestDb | undefined;
let dataDir: string | undefined;
let env: Record<string, string>;

async function open(): Promise<DbHandle> {
  return testDb ?? openDb({ dataDir });
}
async function done(h: DbHandle) {
  if (!testDb) await h.close();
}

beforeAll(async () => {
  if (testDriver() === "postgres") {
    testDb = await openTestDb();
    env = { DATABASE_URL: testDb.url! };
  } else {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "prestamos-crash-"));
    env = { PGLITE_DATA_DIR: dataDir };
    const h = await openDb({ dataDir });
    await prepareDatabase(h);
    await h.close();
  }
  const h = await open();
  await prepareChaosRun(h.db, ROWS, BATCH);
  await done(h);
}, 120_000);

afterAll(async () => {
  await testDb?.dispose();
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  fs.rmSync(`${dataDir}.lock`, { force: true });
});

describe(`SIGKILL mid-run (${testDriver()})`, () => {
  it(`survives ${KILLS} kills at varied points: the last process finishes, nothing twice, nothing skipped, zero diffs`, async () => {
    const chaos = await killLoop(env, KILLS);
    console.log(
      `[chaos ${testDriver()}] ${chaos.kills} kills (${chaos.killsMidRun} after a committed batch), ${chaos.children} children, child ms median ${chaos.childMs.sort((a, b) => a - b)[chaos.childMs.length >> 1]?.toFixed(0)}`,
    );
    expect(chaos.lastLine).toMatch(/^ended finished$|^no-run$/);
    expect(chaos.kills).toBeGreaterThanOrEqual(KILLS);
    expect(chaos.killsMidRun).toBeGreaterThanOrEqual(Math.floor(KILLS / 2));

    const h = await open();
    try {
      const a = await auditRun(h.db);
      expect(a.run!.status).toBe("finished");
      expect(a.run!.processed).toBe(ROWS);
      expect(a.run!.checkpoint).toBe(ROWS);
      expect(a.run!.resumes).toBeGreaterThanOrEqual(chaos.killsMidRun);
      expect(a.states).toEqual({ n: ROWS, distinct_ids: ROWS }); // no skipped prestamo, none twice
      expect(a.batchRows).toBe(ROWS); // no batch counted twice
      expect(a.rangeProblems).toEqual([]); // batches tile 1..ROWS: no overlap, no gap
      expect(a.report.columnDiffs).toEqual([]);
      expect(a.report.pagoDiffs).toEqual([]);
      expect(a.report.missing).toEqual([]);
      expect(a.report.unexpected).toEqual([]);
      expect(a.report.duplicates).toBe(0);
    } finally {
      await done(h);
    }
  }, 600_000);
});
