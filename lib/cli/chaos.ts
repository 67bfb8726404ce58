/**
 * `npm run chaos -- [--kills 50] [--scale 100000] [--batch-size N] [--embedded] [--keep]`
 *
 * The SIGKILL chaos test of lib/migration/crash.int.test.ts, large and by hand: a fresh database
 * (PostgreSQL at DATABASE_URL or 127.0.0.1:5432; `--embedded`: a PGlite folder in the temp dir)
 * with `--scale` legacy prestamos, a run, and `--kills` processes driving it killed with SIGKILL at
 * varied points (lib/testing/chaos.ts); then one process finishes it and the independent SQL
 * expectation is compared with the new tables. Prints the figures; exit 1 on any loss, duplicate,
 * gap or diff. CI runs the small version through the integration test (20 kills).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import postgres from "postgres";
import { openDb, type DbHandle } from "@/db/client";
import { prepareDatabase } from "@/lib/migration/prepare";
import { auditRun, killLoop, prepareChaosRun } from "@/lib/testing/chaos";

const { values: cli } = parseArgs({
  options: {
    kills: { type: "string", default: "50" },
    scale: { type: "string", default: "100000" },
    "batch-size": { type: "string" },
    embedded: { type: "boolean", default: false },
    keep: { type: "boolean", default: false },
  },
  strict: true,
});
const kills = Number(cli.kills);
const scale = Number(cli.scale);
// About 3 batches per kill: each kill costs at most ~2, so every kill lands in a running run.
const batchSize = Number(cli["batch-size"] ?? Math.max(20, Math.ceil(scale / (kills * 3))));
const embedded = cli.embedded;
const adminUrl = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

if (!Number.isInteger(kills) || kills < 1 || !Number.isInteger(scale) || scale < 1 || !Number.isInteger(batchSize) || batchSize < 1) {
  console.error("usage: npm run chaos -- [--kills N] [--scale N] [--batch-size N] [--embedded] [--keep]");
  process.exit(2);
}

async function fresh(): Promise<{ env: Record<string, string>; open(): Promise<DbHandle>; drop(): Promise<void> }> {
  if (embedded) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "prestamos-chaos-"));
    const dataDir = path.join(dir, "pglite");
    const h = await openDb({ dataDir });
    await prepareDatabase(h);
    await h.close();
    return {
      env: { PGLITE_DATA_DIR: dataDir },
      open: () => openDb({ dataDir }),
      drop: async () => void (cli.keep || fs.rmSync(dir, { recursive: true, force: true })),
    };
  }
  const name = `prestamos_chaos_${process.pid}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await admin.unsafe(`CREATE DATABASE "${name}"`);
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  const url = u.toString();
  const h = await openDb({ url, max: 2 });
  await prepareDatabase(h);
  await h.close();
  return {
    env: { DATABASE_URL: url },
    open: () => openDb({ url, max: 2 }),
    drop: async () => {
      if (!cli.keep) await admin.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await admin.end();
    },
  };
}

const started = performance.now();
const target = await fresh();
let ok = false;
try {
  let h = await target.open();
  await prepareChaosRun(h.db, scale, batchSize);
  await h.close();
  console.log(`chaos: ${scale} prestamos, batches of ${batchSize}, ${kills} kills, ${embedded ? "embedded PGlite folder" : "PostgreSQL"}`);
  const chaos = await killLoop(target.env, kills, { log: (s) => console.log(`  ${s}`) });
  h = await target.open();
  const a = await auditRun(h.db);
  await h.close();
  const lost = a.report.missing.length;
  ok =
    a.run?.status === "finished" &&
    a.states.n === a.legacyRows &&
    a.states.distinct_ids === a.legacyRows &&
    a.batchRows === a.legacyRows &&
    a.rangeProblems.length === 0 &&
    lost === 0 &&
    a.report.unexpected.length === 0 &&
    a.report.columnDiffs.length === 0 &&
    a.report.pagoDiffs.length === 0 &&
    a.report.duplicates === 0;
  console.log(
    JSON.stringify(
      {
        ok,
        kills: chaos.kills,
        killsAfterACommittedBatch: chaos.killsMidRun,
        children: chaos.children,
        run: a.run && { status: a.run.status, processed: a.run.processed, checkpoint: a.run.checkpoint, resumes: a.run.resumes, batches: a.run.batches },
        legacyPrestamos: a.legacyRows,
        statesRows: a.states.n,
        distinctStates: a.states.distinct_ids,
        prestamosCountedByBatches: a.batchRows,
        rangeProblems: a.rangeProblems.slice(0, 10),
        rowsLost: lost,
        unexpected: a.report.unexpected.length,
        columnDiffs: a.report.columnDiffs.length,
        pagoDiffs: a.report.pagoDiffs.length,
        duplicates: a.report.duplicates,
        seconds: Math.round((performance.now() - started) / 100) / 10,
      },
      null,
      2,
    ),
  );
} finally {
  await target.drop();
}
process.exit(ok ? 0 : 1);
