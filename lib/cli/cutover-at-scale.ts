/**
 * `npx tsx lib/cli/cutover-at-scale.ts [--scale 1000000] [--writer-seconds 5] [--reuse]` — the
 * bench's cut-over phase alone, at a scale where the full bench takes an hour: a PostgreSQL
 * database `prestamos_cutover_<scale>` generated and migrated by the engine (2 workers), then the
 * cut-over, the reverse capture's cost and the revert with 4 application connections writing
 * (`benchCutover`). `--reuse` skips the setup (the database is back in the legacy phase after each
 * round trip). Prints the figures as JSON; exits 1 on application errors or a difference after.
 */
import { parseArgs } from "node:util";
import postgres from "postgres";
import { sql } from "drizzle-orm";
import { openDb } from "@/db/client";
import { systemActor } from "@/lib/audit";
import { prepareDatabase } from "@/lib/migration/prepare";
import { createTestData } from "@/lib/migration/test-data";
import { getLatestRun, startRun } from "@/lib/migration/runs";
import { startWorker } from "@/lib/migration/worker";
import { benchCutover } from "./bench-cutover";

const { values: cli } = parseArgs({
  options: { scale: { type: "string", default: "1000000" }, "writer-seconds": { type: "string", default: "5" }, reuse: { type: "boolean", default: false } },
  strict: true,
});
const scale = Number(cli.scale);
const adminUrl = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const name = `prestamos_cutover_${scale}`;
const url = Object.assign(new URL(adminUrl), { pathname: `/${name}` }).toString();
const actor = { ...systemActor(), name: "bench" };
const secs = (ms: number) => Math.round(ms) / 1000;

async function main() {
  if (!cli.reuse) {
    const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
    await admin.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.unsafe(`CREATE DATABASE "${name}"`);
    await admin.end();
  }
  const h = await openDb({ url, max: 4 });
  try {
    if (!cli.reuse) {
      await prepareDatabase(h);
      const t0 = performance.now();
      await createTestData(h.db, { count: scale, dirtyPct: 1, seed: 7 }, actor);
      await h.db.execute(sql`delete from test_data_rows`);
      await h.db.execute(sql`vacuum analyze prestamos, pagos_prestamo`);
      const t1 = performance.now();
      await startRun(h.db, { errorThresholdPct: 100, workers: 2 }, actor, "bench");
      const worker = startWorker(h.db, { workerId: "bench", idleMs: 50, maxSlots: 2 });
      while ((await getLatestRun(h.db))?.active) await new Promise((r) => setTimeout(r, 500));
      await worker.stop();
      console.log(JSON.stringify({ setup: { scale, generateSeconds: secs(t1 - t0), runSeconds: secs(performance.now() - t1) } }));
    }
    const c = await benchCutover(h, url, actor, Number(cli["writer-seconds"]));
    console.log(JSON.stringify({ cutover: c }));
    if (c.errors > 0 || c.matchPctAfter !== 100 || c.paymentDifferenceCents !== "0") process.exitCode = 1;
  } finally {
    await h.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
