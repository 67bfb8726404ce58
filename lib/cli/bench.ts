/**
 * `npm run bench -- [--scale N] [--embedded] [--sweep adaptive,1000,5000] [--workers 1,2] [--writer-seconds S] [--no-writer-during-run] [--no-application] [--no-independent] [--keep]`
 *
 * `--no-application` measures only what grows with the scale (floors, the run, progress, consistency,
 * diffs, the Overview, memory): the phases with an application writing take hours at 10M.
 *
 * Measures, in ONE run on a fresh database filled by the test-data generator:
 *  - the floors: a raw INSERT … SELECT * copy of both legacy tables; the write floor (the same
 *    rows with trivial values into the same new tables, same keys and FK); the one-statement
 *    transform (one INSERT … SELECT per table with the rules, no batches, no bookkeeping);
 *  - the engine's full run through the code the API uses (change capture on), per batch size;
 *  - the consistency check, one prestamo's diff p50/p95, progress and diff latency during a run,
 *    peak RSS, the application's write throughput with and without the capture triggers, and
 *    the application writing for a whole run without and with the throttle (its throughput and p99
 *    write latency; then the backlog drains and consistency must be 100 %), and the throttle's own
 *    cost to a run with no writer.
 * Exits 1 when a result is wrong (a run not finished, rows differing from the floor, consistency < 100 %).
 * Prints a table and writes bench-results/bench-<scale>-<driver>.{json,md}.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { sql } from "drizzle-orm";
import postgres from "postgres";
import { openDb, type DbHandle } from "@/db/client";
import { queryOne, queryRows } from "@/db/sql";
import { systemActor } from "@/lib/audit";
import { CAPTURE_TRIGGERS, installCapture } from "@/lib/migration/capture";
import { getConsistencySummary } from "@/lib/migration/consistency";
import { getPrestamoDiff } from "@/lib/migration/prestamo-diff";
import { prepareDatabase } from "@/lib/migration/prepare";
import { rollbackAll } from "@/lib/migration/prestamo-actions";
import { getProgress } from "@/lib/migration/progress";
import { getJobStatus, requestJob, startJobRunner } from "@/lib/migration/jobs";
import { recountLegacy } from "@/lib/migration/legacy-row-counts";
import { readConsistency, readLegacyOverview } from "@/lib/http/reads";
import { DERIVED_PRESTAMO_COLUMNS, PAGO_COLUMNS, PAGO_RULES, PRESTAMO_RULES } from "@/lib/migration/rules";
import { failingRules, rawFieldsSql, valuesSql } from "@/lib/migration/sql-builder";
import { getLatestRun, startRun } from "@/lib/migration/runs";
import { startWorker } from "@/lib/migration/worker";
import { benchCutover } from "./bench-cutover";
import { benchChecks, emptyNewTables, freshPgDatabase, generateBenchData, percentile, secs, wholeTableStatements, writeFloor } from "./bench-data";
import { benchThrottle, THROTTLE_PARTS } from "./bench-throttle";

// Strict: a mistyped option stops the bench instead of being ignored.
const { values: cli } = parseArgs({
  options: {
    scale: { type: "string", default: "100000" },
    embedded: { type: "boolean", default: false },
    sweep: { type: "string", default: "adaptive" },
    workers: { type: "string" },
    "writer-seconds": { type: "string", default: "5" },
    "no-writer-during-run": { type: "boolean", default: false },
    "no-application": { type: "boolean", default: false },
    // The independent comparison is three statements over whole tables: most of an hour at 10M.
    "no-independent": { type: "boolean", default: false },
    "dirty-pct": { type: "string", default: "1" },
    keep: { type: "boolean", default: false },
    // A bench-results JSON of a smaller scale: the ten-million rows are printed side by side with it.
    compare: { type: "string" },
  },
  strict: true,
});
const scale = Number(cli.scale);
const embedded = cli.embedded;
// "adaptive" = the default time-targeted batches; a number = a fixed batch size.
const sweep = cli.sweep.split(",").filter(Boolean);
const workerCounts = (cli.workers ?? (embedded ? "1" : "1,2")).split(",").map(Number);
const writerSeconds = Number(cli["writer-seconds"]);
const writerDuringRun = !cli["no-writer-during-run"];
const withApplication = !embedded && !cli["no-application"];
const dirtyPct = Number(cli["dirty-pct"]);
const adminUrl = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const actor = { ...systemActor(), name: "bench" };

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t = performance.now();
  const r = await fn();
  return [r, performance.now() - t];
}

const { problems, check, checkIndependently } = benchChecks();

let peakRss = 0;
const rssTimer = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);

async function freshDatabase(): Promise<{ handle: DbHandle; url?: string; drop(): Promise<void> }> {
  if (embedded) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "prestamos-bench-"));
    const handle = await openDb({ dataDir: path.join(dir, "pglite") });
    return { handle, drop: async () => fs.rmSync(dir, { recursive: true, force: true }) };
  }
  const pg = await freshPgDatabase(adminUrl, `prestamos_bench_${process.pid}`);
  const handle = await openDb({ url: pg.url, max: 4 });
  return {
    handle,
    url: pg.url,
    drop: async () => {
      if (!cli.keep) await pg.drop();
      await pg.end();
    },
  };
}

/** The transform as one INSERT … SELECT per table, generated from the rules table (no batches, no bookkeeping). */
function oneStatementTransform(): string[] {
  const anyFails = (rules: typeof PRESTAMO_RULES | typeof PAGO_RULES, alias: string) =>
    failingRules(rules, alias)
      .map((f) => f.cond)
      .join(" OR ");
  const derived = DERIVED_PRESTAMO_COLUMNS.map((d) => d.sql).join(", ");
  return [
    `INSERT INTO prestamos_new (legacy_id, ${PRESTAMO_RULES.map((r) => r.column).join(", ")}, ${DERIVED_PRESTAMO_COLUMNS.map((d) => d.column).join(", ")})
     SELECT v.id, ${PRESTAMO_RULES.map((r) => `v.${r.column}`).join(", ")}, ${derived}
     FROM (SELECT l.id, ${rawFieldsSql(PRESTAMO_RULES)}, ${valuesSql(PRESTAMO_RULES)} FROM prestamos l) v
     LEFT JOIN (
       SELECT y.prestamo_id, sum(y.monto_cents) FILTER (WHERE NOT y.anulado) AS total_cents, count(*) FILTER (WHERE NOT y.anulado) AS n,
              max(y.fecha_pago) FILTER (WHERE NOT y.anulado) AS ultimo, bool_or(${anyFails(PAGO_RULES, "y")}) AS bad
       FROM (SELECT l.prestamo_id, ${rawFieldsSql(PAGO_RULES)}, ${valuesSql(PAGO_RULES)} FROM pagos_prestamo l) y
       GROUP BY y.prestamo_id) a ON a.prestamo_id = v.id
     WHERE NOT (${anyFails(PRESTAMO_RULES, "v")}) AND NOT coalesce(a.bad, false)
     ORDER BY v.id`,
    `INSERT INTO pagos_prestamo_new (legacy_id, prestamo_id, ${PAGO_COLUMNS.join(", ")})
     SELECT l.id, n.id, ${PAGO_RULES.map((r) => r.sqlValue).join(", ")}
     FROM pagos_prestamo l JOIN prestamos_new n ON n.legacy_id = l.prestamo_id
     ORDER BY l.id`,
  ];
}

/** Single-row statements of the application from 4 connections: updates of random pagos, or inserts of pagos under random prestamos. */
async function appWriteThroughput(url: string, seconds: number, maxId: number, kind: "update" | "insert" = "update"): Promise<number> {
  const clients = Array.from({ length: 4 }, () => postgres(url, { max: 1, onnotice: () => {} }));
  let ops = 0;
  const until = Date.now() + seconds * 1000;
  await Promise.all(
    clients.map(async (c) => {
      while (Date.now() < until) {
        const id = 1 + Math.floor(Math.random() * maxId);
        if (kind === "update") await c`update pagos_prestamo set metodo = metodo where id = ${id}`;
        else await c`insert into pagos_prestamo (prestamo_id, monto, fecha_pago, metodo) values (${id}, 10, '2024-01-01', 'efectivo')`;
        ops++;
      }
    }),
  );
  await Promise.all(clients.map((c) => c.end()));
  return Math.round(ops / seconds);
}

async function main() {
  const started = Date.now();
  const db = await freshDatabase();
  const h = db.handle;
  const results: Record<string, unknown> = {};
  try {
    await prepareDatabase(h);
    const { data, generateMs: genMs } = await generateBenchData(h, { scale, dirtyPct }, actor);
    const pagosTotal = data.pagos + data.orphans;
    const settings = await queryRows<{ name: string; setting: string }>(
      h.db,
      sql`select name, setting from pg_settings where name in ('shared_buffers','work_mem','maintenance_work_mem','max_wal_size','synchronous_commit','jit','wal_level','checkpoint_timeout')`,
    );
    const version = (await queryOne<{ v: string }>(h.db, sql`select version() as v`))!.v;
    results.setup = {
      scale,
      prestamos: data.prestamos,
      pagos: pagosTotal,
      dirtyPct,
      generateSeconds: secs(genMs),
      version,
      settings: Object.fromEntries(settings.map((s) => [s.name, s.setting])),
    };

    // Floor 1: raw copy of both legacy tables.
    await h.db.execute(sql`create table bench_copy_p (like prestamos including all)`);
    await h.db.execute(sql`create table bench_copy_g (like pagos_prestamo including all)`);
    const [, rawMs] = await timed(() =>
      wholeTableStatements(h, async (tx) => {
        await tx.execute(sql`insert into bench_copy_p select * from prestamos`);
        await tx.execute(sql`insert into bench_copy_g select * from pagos_prestamo`);
      }),
    );
    await h.db.execute(sql`drop table bench_copy_p, bench_copy_g`);

    // Floor 2: the one-statement transform with the rules.
    await emptyNewTables(h);
    const [, transformMs] = await timed(() =>
      wholeTableStatements(h, async (tx) => {
        for (const s of oneStatementTransform()) await tx.execute(sql.raw(s));
      }),
    );
    const floorRows = (await queryOne<{ p: number; g: number }>(
      h.db,
      sql`select (select count(*) from prestamos_new)::int as p, (select count(*) from pagos_prestamo_new)::int as g`,
    ))!;
    await h.db.execute(sql`create table bench_valid as select legacy_id from prestamos_new`);
    await emptyNewTables(h);

    // Floor 3 (the write floor): the same rows, trivial values, same tables, keys and FK.
    const writeFloorMs = await writeFloor(h);
    await emptyNewTables(h);
    await h.db.execute(sql`drop table bench_valid`);
    results.floors = { rawCopySeconds: secs(rawMs), writeFloorSeconds: secs(writeFloorMs), oneStatementTransformSeconds: secs(transformMs), floorRows };

    // The engine, through the code the API uses, with change capture on; latency probes alongside.
    const runs: Record<string, unknown>[] = [];
    const probe = embedded ? h : await openDb({ url: db.url!, max: 2 });
    const maxLegacyId = (await queryOne<{ m: number }>(h.db, sql`select max(id)::int as m from prestamos`))!.m;
    for (const mode of sweep) {
      for (const workers of workerCounts) {
        await rollbackAll(h.db, actor);
        await emptyNewTables(h);
        const rssBefore = peakRss;
        peakRss = process.memoryUsage().rss;
        const fixed = mode === "adaptive" ? undefined : Number(mode);
        const t0 = performance.now();
        // The same path as the API: a run row, then the background worker drives it.
        const run = await startRun(h.db, { errorThresholdPct: 100, workers, ...(fixed ? { batchSize: fixed } : {}) }, actor, "bench");
        const worker = startWorker(h.db, { workerId: "bench", idleMs: 50, maxSlots: workers });
        const progressMs: number[] = [];
        const diffMs: number[] = [];
        let diffFailures = 0;
        const overviewMs: number[] = [];
        let ended = await getLatestRun(h.db);
        while (ended?.active) {
          const [, p] = await timed(() => getProgress(probe.db));
          progressMs.push(p);
          // A diff that failed is counted as a failure, never timed as a latency.
          const [diffed, d] = await timed(() =>
            getPrestamoDiff(probe.db, 1 + Math.floor(Math.random() * maxLegacyId)).then(
              () => true,
              () => false,
            ),
          );
          if (diffed) diffMs.push(d);
          else diffFailures++;
          // What the Overview page reads for its first paint (kept counts, the latest recount).
          overviewMs.push((await timed(() => readLegacyOverview(probe.db, null)))[1]);
          await new Promise((r) => setTimeout(r, 200));
          ended = await getLatestRun(h.db);
        }
        const runMs = performance.now() - t0;
        await worker.stop();
        // The first chunk starts below every possible id: its size counts from the first legacy id.
        const sizes = await queryOne<{ avg: number; max: number }>(
          h.db,
          sql`select round(avg(c.hi - greatest(c.lo, m.lo)))::int as avg, max(c.hi - greatest(c.lo, m.lo))::int as max
                 from migration_chunks c, (select min(id)::bigint - 1 as lo from prestamos) m where c.run_id = ${run.id}`,
        );
        runs.push({
          batchSize: mode,
          workers,
          meanBatch: sizes?.avg,
          status: ended?.status,
          seconds: secs(runMs),
          prestamos: ended?.migrated,
          pagos: ended?.pagos,
          failed: ended?.failed,
          prestamosPerSecond: Math.round((ended?.processed ?? 0) / (runMs / 1000)),
          pagosPerSecond: Math.round((ended?.pagos ?? 0) / (runMs / 1000)),
          ratioToOneStatementFloor: Math.round((runMs / transformMs) * 100) / 100,
          ratioToWriteFloor: Math.round((runMs / writeFloorMs) * 100) / 100,
          progressP95Ms: percentile(progressMs, 95),
          diffDuringRunP95Ms: percentile(diffMs, 95),
          overviewDuringRunP95Ms: percentile(overviewMs, 95),
          peakRssMb: Math.round(peakRss / 1e6),
        });
        console.log(JSON.stringify(runs.at(-1)));
        check(ended?.status === "finished", `run ${mode}/${workers} ended ${ended?.status}`);
        check(diffFailures === 0, `run ${mode}/${workers}: ${diffFailures} diff calls failed during the run`);
        check(
          ended?.migrated === floorRows.p && ended?.pagos === floorRows.g,
          `run ${mode}/${workers} wrote ${ended?.migrated}/${ended?.pagos}, the one-statement floor ${floorRows.p}/${floorRows.g}`,
        );
        peakRss = Math.max(peakRss, rssBefore);
      }
    }
    results.runs = runs;

    // The consistency check as the API runs it: asked for, run by the job runner, the answer read
    // while it runs (what GET …/consistency costs a caller meanwhile). Then one prestamo's diff.
    // No rest after the run's own check: the figure is the job's time, not the runners' pause.
    const runner = startJobRunner(h.db, { owner: "bench-jobs", driver: embedded ? "pglite" : "postgres", idleMs: 50, restRatio: 0 });
    const apiMs: number[] = [];
    const [job, consistencyMs] = await timed(async () => {
      const asked = await requestJob(h.db, "consistency", "bench");
      for (;;) {
        const [answer, ms] = await timed(() => readConsistency(probe.db, { page: 1, limit: 50, fresh: null }));
        apiMs.push(ms);
        if (!answer.freshness.refreshing && answer.freshness.checkedAt) return asked.job;
        await new Promise((r) => setTimeout(r, 200));
      }
    });
    await runner.stop();
    const status = await getJobStatus<Awaited<ReturnType<typeof getConsistencySummary>>>(h.db, "consistency");
    check(status.latest?.jobId === job.id, `the consistency job ${job.id} did not finish (${JSON.stringify(status.lastFailure)})`);
    const summary = status.latest!.result;
    const diffs: number[] = [];
    for (let i = 0; i < 200; i++) diffs.push((await timed(() => getPrestamoDiff(h.db, 1 + Math.floor(Math.random() * maxLegacyId))))[1]);
    results.consistency = {
      seconds: secs(consistencyMs),
      apiAnswerP95Ms: percentile(apiMs, 95),
      apiAnswerMaxMs: percentile(apiMs, 100),
      matchPct: summary.fieldMatch.matchingPct,
      paymentDifferenceCents: summary.paymentTotals.differenceCents,
      diffP50Ms: percentile(diffs, 50),
      diffP95Ms: percentile(diffs, 95),
    };
    // The mismatch count, not the percentage: rounded to two decimals, one mismatch in 100,000 prints 100.
    check(
      summary.fieldMatch.mismatching === 0 && summary.paymentTotals.differenceCents === "0",
      `consistency after the runs: ${summary.fieldMatch.mismatching} mismatching (${summary.fieldMatch.matchingPct} %), payment difference ${summary.paymentTotals.differenceCents} cents`,
    );
    if (cli["no-independent"]) results.independentComparison = "not run (--no-independent)";
    else await checkIndependently(h.db, "after the runs");

    // The application's writes with and without the capture triggers, interleaved.
    if (withApplication) {
      const maxPago = (await queryOne<{ m: number }>(h.db, sql`select max(id)::int as m from pagos_prestamo`))!.m;
      const phases: { capture: boolean; opsPerSecond: number }[] = [];
      for (const capture of [false, true, false, true, false, true]) {
        if (capture) await h.db.transaction((tx) => installCapture(tx, "bench").then(() => undefined));
        else {
          await h.db.execute(sql.raw(`drop trigger if exists ${CAPTURE_TRIGGERS.prestamos} on prestamos`));
          await h.db.execute(sql.raw(`drop trigger if exists ${CAPTURE_TRIGGERS.pagos} on pagos_prestamo`));
        }
        phases.push({ capture, opsPerSecond: await appWriteThroughput(db.url!, writerSeconds, maxPago) });
      }
      const avg = (on: boolean) => phases.filter((p) => p.capture === on).reduce((s, p) => s + p.opsPerSecond, 0) / 3;
      // The legacy row-count triggers fire on INSERT and DELETE statements only (updates above pay
      // nothing): single-row pago inserts with and without them, interleaved, rows removed after.
      const countPhases: { counting: boolean; opsPerSecond: number }[] = [];
      for (const counting of [false, true, false, true, false, true]) {
        for (const e of ["inserted", "deleted", "truncated"]) {
          await h.db.execute(sql.raw(`alter table pagos_prestamo ${counting ? "enable always" : "disable"} trigger console_legacy_rows_${e}`));
        }
        countPhases.push({ counting, opsPerSecond: await appWriteThroughput(db.url!, writerSeconds, maxLegacyId, "insert") });
      }
      const cavg = (on: boolean) => countPhases.filter((p) => p.counting === on).reduce((s, p) => s + p.opsPerSecond, 0) / 3;
      results.legacyCountCost = {
        phases: countPhases,
        insertsWithoutCounting: Math.round(cavg(false)),
        insertsWithCounting: Math.round(cavg(true)),
        lossPct: Math.round((1 - cavg(true) / cavg(false)) * 1000) / 10,
      };
      await h.db.execute(sql`delete from pagos_prestamo where id > ${maxPago}`);
      await recountLegacy(h.db); // the counts were off while their triggers were: start from a recount
      results.appWrites = {
        phases,
        withoutCapture: Math.round(avg(false)),
        withCapture: Math.round(avg(true)),
        lossPct: Math.round((1 - avg(true) / avg(false)) * 1000) / 10,
      };
    }
    // The application writing for a whole run without and with the throttle, the throttle's own
    // cost, and the standby's lag under a 64 MB threshold.
    if (withApplication)
      Object.assign(
        results,
        await benchThrottle(h, db.url!, actor, writerSeconds, { problems, check, checkIndependently }, writerDuringRun ? THROTTLE_PARTS : ["cost", "lag"]),
      );
    // The cut-over and the revert with the application writing through the legacy names.
    if (withApplication) {
      const c = (results.cutover = await benchCutover(h, db.url!, actor, writerSeconds));
      console.log(JSON.stringify({ cutover: c }));
      check(c.errors === 0, `the application had ${c.errors} errors during the cut-over and revert: ${c.firstErrors.join(" | ")}`);
      check(
        c.matchPctAfter === 100 && c.paymentDifferenceCents === "0",
        `after cut-over and revert: ${c.matchPctAfter} % match, payment difference ${c.paymentDifferenceCents} cents${c.mismatchesAfter.length ? `; first: ${JSON.stringify(c.mismatchesAfter)}` : ""}`,
      );
    }
    if (!embedded) await probe.close();
  } finally {
    await h.close();
    await db.drop();
    clearInterval(rssTimer);
  }
  results.machine = {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model,
    memoryGb: Math.round(os.totalmem() / 1e9),
    node: process.version,
    driver: embedded ? "pglite" : "postgres",
  };
  results.totalSeconds = secs(Date.now() - started);
  results.peakRssMb = Math.round(peakRss / 1e6);
  results.problems = problems;
  report(results);
  if (problems.length) {
    console.error(`BENCH FAILED: ${problems.join("; ")}`);
    process.exit(1);
  }
}

function report(r: Record<string, unknown>) {
  const dir = path.join(process.cwd(), "bench-results");
  fs.mkdirSync(dir, { recursive: true });
  const base = path.join(dir, `bench-${scale}-${embedded ? "pglite" : "postgres"}`);
  fs.writeFileSync(`${base}.json`, JSON.stringify(r, null, 2));
  const f = r.floors as Record<string, number>;
  const runs = r.runs as Record<string, unknown>[];
  const lines = [
    `# Bench: ${scale.toLocaleString("en")} prestamos on ${embedded ? "PGlite" : "PostgreSQL"}`,
    "",
    `Machine: ${JSON.stringify(r.machine)}`,
    `Setup: ${JSON.stringify(r.setup)}`,
    "",
    `| floor | seconds |`,
    `| --- | ---: |`,
    `| raw INSERT … SELECT * copy of both tables | ${f.rawCopySeconds} |`,
    `| write floor (same rows, trivial values, same keys and FK) | ${f.writeFloorSeconds} |`,
    `| one-statement transform with the rules | ${f.oneStatementTransformSeconds} |`,
    "",
    `| batch size | workers | mean batch | run s | prestamos/s | pagos/s | run / transform floor | run / write floor | progress p95 ms | diff during run p95 ms | peak RSS MB |`,
    `| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |`,
    ...runs.map(
      (x) =>
        `| ${x.batchSize} | ${x.workers} | ${x.meanBatch} | ${x.seconds} | ${x.prestamosPerSecond} | ${x.pagosPerSecond} | ${x.ratioToOneStatementFloor} | ${x.ratioToWriteFloor} | ${x.progressP95Ms} | ${x.diffDuringRunP95Ms} | ${x.peakRssMb} |`,
    ),
    "",
    `Consistency: ${JSON.stringify(r.consistency)}`,
    `Application writes (4 connections, single-row updates of pagos): ${JSON.stringify(r.appWrites ?? "n/a on the embedded database (one connection)")}`,
    `Application writes for a whole run (4 connections, inserts/updates/deletes/moves), without and with the throttle: ${JSON.stringify(r.writerDuringRun ?? "not measured")}`,
    `Cut-over and revert with the application writing through the legacy names (4 connections): ${JSON.stringify(r.cutover ?? "not measured")}`,
    `The throttle's cost to a run with no writer (the standby's signals off): ${JSON.stringify(r.throttleCost ?? "not measured")}`,
    `The standby's largest byte lag during a run with a 64 MB threshold, beside one batch's WAL: ${JSON.stringify(r.standbyLag64Mb ?? "not measured")}`,
    `Legacy row-count triggers, single-row pago inserts from 4 connections: ${JSON.stringify(r.legacyCountCost ?? "n/a on the embedded database")}`,
    `The independent comparison after the runs: ${r.independentComparison ?? "no difference"}`,
    `Peak RSS: ${r.peakRssMb} MB; total ${r.totalSeconds} s`,
    "",
    ...issue18Rows(r),
  ];
  fs.writeFileSync(`${base}.md`, lines.join("\n") + "\n");
  console.log(lines.join("\n"));
}

/** The scale table: this scale beside the one given with --compare (a bench-results JSON). */
function issue18Rows(r: Record<string, unknown>): string[] {
  const other = cli.compare ? (JSON.parse(fs.readFileSync(cli.compare, "utf8")) as Record<string, unknown>) : null;
  const rowsOf = (x: Record<string, unknown>) => {
    const f = x.floors as Record<string, number>;
    const run =
      (x.runs as Record<string, number>[]).find((y) => String(y.batchSize) === "adaptive" && y.workers === Math.max(...workerCounts)) ??
      (x.runs as Record<string, number>[]).at(-1)!;
    const c = x.consistency as Record<string, number>;
    return {
      "write floor s": f.writeFloorSeconds,
      "console run s (defaults)": run.seconds,
      "run / write floor": run.ratioToWriteFloor,
      "progress p95 ms during the run": run.progressP95Ms,
      "full consistency check as a job s (asked over the API, run in the background)": c.seconds,
      "the consistency API's answer while the job runs, p95 / max ms": `${c.apiAnswerP95Ms ?? "—"} / ${c.apiAnswerMaxMs ?? "—"}`,
      "one prestamo's diff p95 ms": c.diffP95Ms,
      "the Overview's data during the run p95 ms": run.overviewDuringRunP95Ms ?? "—",
      "peak RSS MB": x.peakRssMb as number,
    } as Record<string, unknown>;
  };
  const mine = rowsOf(r);
  const theirs = other ? rowsOf(other) : null;
  const scaleOf = (x: Record<string, unknown>) => ((x.setup as Record<string, number>).scale ?? 0).toLocaleString("en");
  return [
    `| measure | ${theirs ? `${scaleOf(other!)} | ` : ""}${scaleOf(r)} |`,
    `| --- | ${theirs ? "---: | " : ""}---: |`,
    ...Object.keys(mine).map((k) => `| ${k} | ${theirs ? `${theirs[k]} | ` : ""}${mine[k]} |`),
  ];
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
