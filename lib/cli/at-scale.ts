/**
 * `npx tsx lib/cli/cutover-at-scale.ts [--scale 1000000] [--writer-seconds 5] [--reuse]` — the
 * bench's cut-over phase alone, at a scale where the full bench takes an hour: a PostgreSQL
 * database `prestamos_cutover_<scale>` generated and migrated by the engine (2 workers), then the
 * cut-over, the reverse capture's cost and the revert with 4 application connections writing
 * (`benchCutover`). `--reuse` skips the setup (the database is back in the legacy phase after each
 * round trip). Prints the figures as JSON; exits 1 on application errors or a difference after.
 */
import { parseArgs } from "node:util";
import { openDb } from "@/db/client";
import { systemActor } from "@/lib/audit";
import { prepareDatabase } from "@/lib/migration/prepare";
import { getLatestRun, startRun } from "@/lib/migration/runs";
import { startWorker } from "@/lib/migration/worker";
import { benchCutover } from "./bench-cutover";
import { freshPgDatabase, generateBenchData } from "./bench-data";

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
  if (!cli.reuse) await (await freshPgDatabase(adminUrl, name)).end();
  const h = await openDb({ url, max: 4 });
  try {
    if (!cli.reuse) {
      await prepareDatabase(h);
      const { generateMs } = await generateBenchData(h, { scale, dirtyPct: 1 }, actor);
      const t1 = performance.now();
      await startRun(h.db, { errorThresholdPct: 100, workers: 2 }, actor, "bench");
      const worker = startWorker(h.db, { workerId: "bench", idleMs: 50, maxSlots: 2 });
      while ((await getLatestRun(h.db))?.active) await new Promise((r) => setTimeout(r, 500));
      await worker.stop();
      console.log(JSON.stringify({ setup: { scale, generateSeconds: secs(generateMs), runSeconds: secs(performance.now() - t1) } }));
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
