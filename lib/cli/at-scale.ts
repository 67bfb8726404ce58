/**
 * `npx tsx lib/cli/at-scale.ts --phase cutover|throttle|generate|consistency|floor [--scale 1000000] [--writer-seconds 5] [--reuse] [--parts off,on,cost,lag] [--cold]`
 * — one phase of the bench alone, at a scale where the full bench takes an hour: a PostgreSQL
 * database `prestamos_at_scale_<scale>` generated and migrated by the engine (2 workers), then
 *  - `cutover`: the cut-over, the reverse capture's cost and the revert with 4 application
 *    connections writing (`benchCutover`; the database is back in the legacy phase after it);
 *  - `throttle`: the application writing for a whole run without and with the throttle, the
 *    throttle's cost with no writer, the standby's lag under a 64 MB threshold (`benchThrottle`);
 *  - `generate`: the generated database alone, no run: for a console started on it, to measure its
 *    pages while a run it starts goes on (`lib/cli/page-loads.ts`);
 *  - `floor`: on a migrated database (`--reuse`), the write floor of its migrated prestamos, then
 *    a run of the engine over the same rows (2 workers), each timed: the run's ratio to the floor;
 *  - `consistency`: the full consistency check, timed by tenths of its walk, and the database's
 *    size beside it (what decides whether the walk reads from memory or from disk); `--cold` empties
 *    the machine's page cache first (Linux, as root), so that every scale's walk reads the whole
 *    database from disk.
 * `--reuse` skips the setup. Prints the figures as JSON; exits 1 when a result is wrong.
 */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { sql } from "drizzle-orm";
import { openDb, type DbHandle } from "@/db/client";
import { queryOne } from "@/db/sql";
import { getConsistencySummary } from "@/lib/migration/consistency";
import { systemActor } from "@/lib/audit";
import { prepareDatabase } from "@/lib/migration/prepare";
import { getLatestRun, startRun } from "@/lib/migration/runs";
import { startWorker } from "@/lib/migration/worker";
import { benchCutover } from "./bench-cutover";
import { benchChecks, emptyNewTables, freshPgDatabase, generateBenchData, secs, writeFloor } from "./bench-data";
import { benchThrottle, THROTTLE_PARTS, type ThrottlePart } from "./bench-throttle";

const { values: cli } = parseArgs({
  options: {
    phase: { type: "string", default: "cutover" },
    scale: { type: "string", default: "1000000" },
    "writer-seconds": { type: "string", default: "5" },
    reuse: { type: "boolean", default: false },
    // The throttle phase's parts to run (all by default): off,on,cost,lag.
    parts: { type: "string" },
    cold: { type: "boolean", default: false },
  },
  strict: true,
});
const PHASES = ["cutover", "throttle", "generate", "consistency", "floor"];
if (!PHASES.includes(cli.phase)) throw new Error(`--phase is one of ${PHASES.join(", ")}, not ${cli.phase}`);
const scale = Number(cli.scale);
const adminUrl = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const name = `prestamos_at_scale_${scale}`;
const url = Object.assign(new URL(adminUrl), { pathname: `/${name}` }).toString();
const actor = { ...systemActor(), name: "bench" };

async function main() {
  if (!cli.reuse) await (await freshPgDatabase(adminUrl, name)).end();
  const h = await openDb({ url, max: 4 });
  try {
    if (!cli.reuse) {
      await prepareDatabase(h);
      const { generateMs } = await generateBenchData(h, { scale, dirtyPct: 1 }, actor);
      if (cli.phase === "generate") {
        console.log(JSON.stringify({ generated: { scale, generateSeconds: secs(generateMs), url } }));
        return;
      }
      const t1 = performance.now();
      await runToEnd(h);
      console.log(JSON.stringify({ setup: { scale, generateSeconds: secs(generateMs), runSeconds: secs(performance.now() - t1) } }));
    }
    const writerSeconds = Number(cli["writer-seconds"]);
    if (cli.phase === "throttle") {
      const checks = benchChecks();
      const parts = (cli.parts?.split(",") ?? THROTTLE_PARTS) as ThrottlePart[];
      const unknown = parts.filter((p) => !THROTTLE_PARTS.includes(p));
      if (unknown.length) throw new Error(`--parts takes ${THROTTLE_PARTS.join(",")}, not ${unknown.join(",")}`);
      await benchThrottle(h, url, actor, writerSeconds, checks, parts);
      if (checks.problems.length) {
        console.error(`BENCH FAILED: ${checks.problems.join("; ")}`);
        process.exitCode = 1;
      }
    } else if (cli.phase === "floor") {
      const f = await floorThenRun(h);
      console.log(JSON.stringify({ floor: f }));
      if (f.runMigrated !== f.floorPrestamos) process.exitCode = 1;
    } else if (cli.phase === "consistency") {
      if (cli.cold) dropPageCache();
      console.log(JSON.stringify({ consistency: { cold: cli.cold, ...(await timeConsistency(h)) } }));
    } else {
      const c = await benchCutover(h, url, actor, writerSeconds);
      console.log(JSON.stringify({ cutover: c }));
      if (c.errors > 0 || c.matchPctAfter !== 100 || c.paymentDifferenceCents !== "0") process.exitCode = 1;
    }
  } finally {
    await h.close();
  }
}

/** A run of the engine (2 workers, no error threshold) from its start until it ends. */
async function runToEnd(h: DbHandle) {
  const run = await startRun(h.db, { errorThresholdPct: 100, workers: 2 }, actor, "bench");
  const worker = startWorker(h.db, { workerId: "bench", idleMs: 50, maxSlots: 2 });
  while ((await getLatestRun(h.db))?.active) await new Promise((r) => setTimeout(r, 500));
  await worker.stop();
  return run;
}

/** The write floor of the prestamos the last run migrated, then a run over the same legacy rows. */
async function floorThenRun(h: DbHandle) {
  await h.db.execute(sql`drop table if exists bench_valid`);
  await h.db.execute(sql`create table bench_valid as select legacy_id from migration_state where state = 'migrated'`);
  const floorPrestamos = Number((await queryOne<{ n: number }>(h.db, sql`select count(*)::int as n from bench_valid`))?.n ?? 0);
  if (floorPrestamos === 0) throw new Error("nothing is migrated: run the floor phase on a migrated database (--reuse after a setup)");
  await emptyNewTables(h);
  await h.db.execute(sql`checkpoint`);
  const writeFloorMs = await writeFloor(h);
  await emptyNewTables(h);
  await h.db.execute(sql`drop table bench_valid`);
  await h.db.execute(sql`checkpoint`);
  const run = await runToEnd(h);
  const ended = await queryOne<{ s: number; migrated: number }>(
    h.db,
    sql`select extract(epoch from ended_at - started_at)::float8 as s, migrated from migration_runs where id = ${run.id}`,
  );
  const runSeconds = Math.round(Number(ended?.s ?? NaN) * 1000) / 1000;
  const writeFloorSeconds = secs(writeFloorMs);
  return {
    floorPrestamos,
    writeFloorSeconds,
    runSeconds,
    runMigrated: Number(ended?.migrated ?? 0),
    runToWriteFloor: Math.round((runSeconds / writeFloorSeconds) * 100) / 100,
  };
}

/** Bytes read from the machine's disks so far (Linux: /sys/block/<dev>/stat, sectors of 512 bytes); null elsewhere. */
function diskBytesRead(): number | null {
  try {
    return readdirSync("/sys/block")
      .filter((d) => !/^(loop|ram|zram)/.test(d))
      .reduce((sum, d) => sum + Number(readFileSync(`/sys/block/${d}/stat`, "utf8").trim().split(/\s+/)[2]) * 512, 0);
  } catch {
    return null;
  }
}

/** Writes the dirty pages out, then drops the page cache: what a walk reads next comes from disk. */
function dropPageCache() {
  execFileSync("sync");
  writeFileSync("/proc/sys/vm/drop_caches", "1");
}

type CpuTicks = { busy: number; iowait: number; steal: number };

/**
 * The machine's CPU ticks so far (Linux: /proc/stat's first line, 100 a second): busy (user, nice,
 * system), waiting on the disk (iowait), and stolen by the hypervisor for other guests (steal). A walk
 * that slows with no read from disk and no change of plan shows here whether it waits or works longer.
 */
function cpuTicks(): CpuTicks | null {
  try {
    const [user, nice, system, , iowait, , , steal] = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
    return { busy: user + nice + system, iowait, steal };
  } catch {
    return null;
  }
}

const cpuSecondsBetween = (from: CpuTicks | null, to: CpuTicks | null) =>
  from && to ? { busy: (to.busy - from.busy) / 100, iowait: (to.iowait - from.iowait) / 100, steal: (to.steal - from.steal) / 100 } : null;

const gb = (bytes: number | null) => (bytes === null ? null : Math.round(bytes / 1e7) / 100);

/**
 * The check's walk in tenths (seconds, GB read from disk and the machine's CPU time each), its tail (the orphan count),
 * and the sizes it reads: a database larger than the page cache is read partly from disk.
 */
async function timeConsistency(h: DbHandle) {
  const size = await queryOne<{ db: string; tables: string }>(
    h.db,
    sql`SELECT pg_size_pretty(pg_database_size(current_database())) AS db,
      (SELECT string_agg(relname || ' ' || pg_size_pretty(pg_total_relation_size(oid)), ', ' ORDER BY relname) FROM pg_class
       WHERE relname IN ('prestamos', 'pagos_prestamo', 'prestamos_new', 'pagos_prestamo_new', 'migration_state')) AS tables`,
  );
  const pageCacheGb = Number(/^Cached:\s+(\d+)/m.exec(readFileSync("/proc/meminfo", "utf8"))?.[1] ?? NaN) / 1e6;
  const started = performance.now();
  let mark = { at: started, disk: diskBytesRead(), cpu: cpuTicks() };
  const lap = () => {
    const now = { at: performance.now(), disk: diskBytesRead(), cpu: cpuTicks() };
    const r = {
      seconds: secs(now.at - mark.at),
      diskReadGb: now.disk === null || mark.disk === null ? null : gb(now.disk - mark.disk),
      cpuSeconds: cpuSecondsBetween(mark.cpu, now.cpu),
    };
    mark = now;
    return r;
  };
  const tenths: ReturnType<typeof lap>[] = [];
  const summary = await getConsistencySummary(h.db, {
    onProgress: (checked, migrated) => {
      while (tenths.length < 10 && checked >= ((tenths.length + 1) * migrated) / 10) tenths.push(lap());
    },
  });
  const tail = lap();
  return {
    seconds: secs(performance.now() - started),
    tenths,
    afterWalk: tail,
    migrated: summary.migrated,
    matchPct: summary.fieldMatch.matchingPct,
    size,
    pageCacheGbAtStart: Math.round(pageCacheGb * 100) / 100,
  };
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
