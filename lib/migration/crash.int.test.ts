import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDb, type DbHandle } from "@/db/client";
import { queryOne } from "@/db/sql";
import { openTestDb, testDriver, type TestDb } from "@/lib/testing/db";
import { independentCompare } from "@/lib/testing/independent";
import { seedLegacy } from "@/lib/testing/legacy-seed";
import { prepareDatabase } from "./prepare";
import { getLatestRun, startRun } from "./runs";

/**
 * SIGKILL of a process running the engine, at random points (between batches and inside them),
 * then a new process resumes. PostgreSQL: a fresh test database shared by the children.
 * PGlite: an embedded data folder the children open one after the other (its lock is taken over
 * from the dead pid), which also proves the folder survives a kill.
 */
const KILLS = 5;
// PGlite pays ~3 s to open the folder in each child: a smaller table keeps the test short.
const ROWS = testDriver() === "pglite" ? 1200 : 3000;
const child = path.join(process.cwd(), "lib", "testing", "run-child.ts");

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
  await seedLegacy(h.db, ROWS, 40);
  // The run belongs to a worker that is gone: the first child takes it over at once.
  await startRun(h.db, { batchSize: ROWS / 30, errorThresholdPct: 50 }, { name: "admin@test.local", kind: "user" }, `${os.hostname()}:999999:gone`);
  await done(h);
}, 120_000);

afterAll(async () => {
  await testDb?.dispose();
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  fs.rmSync(`${dataDir}.lock`, { force: true });
});

function runChild(killAfterBatches: number | null, extraDelayMs: number): Promise<{ lines: string[]; killed: boolean }> {
  return new Promise((resolve, reject) => {
    // node itself with the tsx loader: the tsx CLI would put a second process between us and the one we kill.
    const p = spawn(process.execPath, ["--import", "tsx", child], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    const lines: string[] = [];
    let killed = false;
    let stderr = "";
    p.stderr.on("data", (d) => (stderr += String(d)));
    p.stdout.on("data", (d) => {
      for (const line of String(d).split("\n").filter(Boolean)) {
        lines.push(line);
        if (killAfterBatches !== null && !killed && lines.filter((l) => l.startsWith("batch")).length >= killAfterBatches) {
          killed = true;
          // 0 ms: between batches; a few ms: inside the next batch's transaction.
          setTimeout(() => p.kill("SIGKILL"), extraDelayMs);
        }
      }
    });
    p.on("error", reject);
    p.on("exit", (code, signal) => {
      if (signal === "SIGKILL" || code === 0) resolve({ lines, killed: signal === "SIGKILL" });
      else reject(new Error(`child exited ${code}: ${stderr.slice(-2000)}`));
    });
  });
}

describe(`SIGKILL mid-run (${testDriver()})`, () => {
  it(`survives ${KILLS} kills at random points: the last process finishes, nothing twice, nothing skipped, zero diffs`, async () => {
    let kills = 0;
    for (let i = 0; i < KILLS; i++) {
      const out = await runChild(1 + Math.floor(Math.random() * 3), [0, 3, 15, 40][i % 4]);
      if (out.killed) kills++;
      if (out.lines.some((l) => l.startsWith("ended"))) break;
    }
    const last = await runChild(null, 0);
    expect(last.lines.at(-1)).toMatch(/^ended finished$|^no-run$/);
    expect(kills).toBeGreaterThanOrEqual(3);

    const h = await open();
    try {
      const run = await getLatestRun(h.db);
      expect(run!.status).toBe("finished");
      expect(run!.processed).toBe(ROWS);
      expect(run!.checkpoint).toBe(ROWS);
      expect(run!.resumes).toBeGreaterThanOrEqual(kills);
      const states = await queryOne<{ n: number; distinct_ids: number }>(h.db, sql`select count(*)::int as n, count(distinct legacy_id)::int as distinct_ids from migration_state`);
      expect(states).toEqual({ n: ROWS, distinct_ids: ROWS });
      const batches = await queryOne<{ rows: number }>(h.db, sql`select sum(prestamos)::int as rows from migration_batches where kind = 'run'`);
      expect(batches!.rows).toBe(ROWS); // no batch counted twice
      const report = await independentCompare(h.db, "all");
      expect(report.columnDiffs).toEqual([]);
      expect(report.pagoDiffs).toEqual([]);
      expect(report.missing).toEqual([]);
      expect(report.unexpected).toEqual([]);
      expect(report.duplicates).toBe(0);
    } finally {
      await done(h);
    }
  }, 600_000);
});
