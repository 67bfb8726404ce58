/**
 * `npx tsx lib/cli/heavy-reads.ts [--scale 50000] [--readers 20]` — what concurrent expensive reads
 * do to a run: the same run four times on a fresh PostgreSQL database (DATABASE_URL or
 * 127.0.0.1:5432) — alone; with `readers` reviewers asking the consistency, verify and
 * legacy-count reads as the API answers them, all at once every 2 s; the same readers without a
 * pause (cap on); and without a pause with the cap lifted — and for each the run's batch
 * durations, a sign-in's latency during the run, and how long Stop takes to answer. Prints the
 * figures as JSON lines and a table; asserts nothing.
 */
import { parseArgs } from "node:util";
import { openDb } from "@/db/client";
import { queryRows } from "@/db/sql";
import { systemActor } from "@/lib/audit";
import { authenticate } from "@/lib/auth/sign-in";
import { createUser } from "@/lib/auth/users";
import { setHeavyReadLimit, HEAVY_READS_DEFAULT } from "@/lib/http/heavy-reads";
import { readConsistency, readLegacyOverview, readVerify } from "@/lib/http/reads";
import { startJobRunner } from "@/lib/migration/jobs";
import { prepareDatabase } from "@/lib/migration/prepare";
import { rollbackAll } from "@/lib/migration/prestamo-actions";
import { getLatestRun, requestStop, startRun } from "@/lib/migration/runs";
import { startWorker } from "@/lib/migration/worker";
import { sql } from "drizzle-orm";
import { freshPgDatabase, generateBenchData } from "./bench-data";

const { values: cli } = parseArgs({
  options: { scale: { type: "string", default: "50000" }, readers: { type: "string", default: "20" } },
  strict: true,
});
const scale = Number(cli.scale);
const readers = Number(cli.readers);
const adminUrl = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const actor = { ...systemActor(), name: "heavy-reads" };
const pct = (xs: number[], p: number) => {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] * 10) / 10;
};

async function main() {
  const pg = await freshPgDatabase(adminUrl, `prestamos_heavy_${process.pid}`);
  // The console's own pool (10 connections, as in production): readers, sign-in and Stop share it.
  const h = await openDb({ url: pg.url, max: 10 });
  const rows: Record<string, unknown>[] = [];
  try {
    await prepareDatabase(h);
    await generateBenchData(h, { scale, dirtyPct: 1 }, actor);
    const password = "heavy-reads-password";
    const user = await createUser(h.db, { email: "heavy@bench.local", role: "admin", password }, actor);
    const runner = startJobRunner(h.db, { owner: "heavy-jobs", driver: "postgres", idleMs: 100 });

    // Reviewers with the pages open (every reader asks at the same moment, then again 2 s later:
    // 20 heavy reads at once, every 2 s), then the same readers with no pause (a script gone
    // wrong) under the cap and with the cap lifted.
    const phases = [
      { phase: "alone", readers: 0, pauseMs: 0, cap: HEAVY_READS_DEFAULT },
      { phase: `${readers} readers every 2 s, cap ${HEAVY_READS_DEFAULT}`, readers, pauseMs: 2000, cap: HEAVY_READS_DEFAULT },
      { phase: `${readers} readers without pause, cap ${HEAVY_READS_DEFAULT}`, readers, pauseMs: 0, cap: HEAVY_READS_DEFAULT },
      { phase: `${readers} readers without pause, no cap`, readers, pauseMs: 0, cap: 10_000 },
    ];
    for (const { phase, pauseMs, cap, ...p } of phases) {
      setHeavyReadLimit(cap);
      await rollbackAll(h.db, actor);
      const run = await startRun(h.db, { errorThresholdPct: 100, workers: 2, batchSize: 1000 }, actor, "heavy");
      const worker = startWorker(h.db, { workerId: "heavy", idleMs: 50, maxSlots: 2 });
      let active = true;
      const reads = { served: 0, refused: 0, failed: 0 };
      const failures = new Set<string>();
      const readerLoops = Array.from({ length: p.readers }, async (_, i) => {
        while (active) {
          const tick = Date.now();
          try {
            // A reviewer paging a rare category (the walk goes far), asking for fresh checks, opening the Overview.
            if (i % 3 === 0) await readConsistency(h.db, { category: "orphan_new", page: 1, limit: 50, fresh: { by: `reader-${i}` } });
            else if (i % 3 === 1) await readVerify(h.db, { by: `reader-${i}` });
            else await readLegacyOverview(h.db, { by: `reader-${i}` });
            reads.served++;
          } catch (err) {
            if ((err as { code?: string }).code === "UNAVAILABLE") reads.refused++;
            else {
              reads.failed++;
              const why = err instanceof Error ? `${err.message}${err.cause instanceof Error ? `: ${err.cause.message}` : ""}` : String(err);
              if (failures.size < 5) failures.add(why.slice(0, 200));
            }
            // A client honouring Retry-After would wait longer; a loop without a pause would starve this process's own I/O.
            if (!pauseMs) await new Promise((r) => setTimeout(r, 200));
          }
          if (pauseMs) await new Promise((r) => setTimeout(r, Math.max(0, pauseMs - (Date.now() - tick))));
        }
      });
      const runActive = async () => (await getLatestRun(h.db))?.active ?? false;
      // Sign-ins back to back, and beside them Stop once 60 % is done (on its own clock: a slow
      // sign-in must not make it miss the run).
      const signInMs: number[] = [];
      const signIns = (async () => {
        while (await runActive()) {
          const t0 = performance.now();
          await authenticate(h.db, { email: user.email, password }, "127.0.0.1");
          signInMs.push(performance.now() - t0);
          await new Promise((r) => setTimeout(r, 100));
        }
      })();
      let stopMs: number | null = null;
      for (;;) {
        const run1 = await getLatestRun(h.db);
        if (!run1?.active) break;
        if (stopMs === null && run1.processed >= scale * 0.6) {
          const s0 = performance.now();
          // The run may have ended meanwhile (a small scale): then there is no Stop to time.
          const stopped = await requestStop(h.db, actor).then(
            () => true,
            (err: { code?: string }) => (err.code === "CONFLICT" ? false : Promise.reject(err)),
          );
          if (stopped) stopMs = Math.round(performance.now() - s0);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      await signIns;
      active = false;
      await Promise.all(readerLoops);
      await worker.stop();
      const batches = await queryRows<{ d: number }>(
        h.db,
        sql`select duration_ms::float8 as d from migration_batches where run_id = ${run.id} and kind = 'run'`,
      );
      const ds = batches.map((b) => Number(b.d));
      const row = {
        phase,
        batches: ds.length,
        batchP50Ms: pct(ds, 50),
        batchP95Ms: pct(ds, 95),
        signInP50Ms: pct(signInMs, 50),
        signInP95Ms: pct(signInMs, 95),
        stopAnswerMs: stopMs,
        reads,
        failures: [...failures],
      };
      rows.push(row);
      console.log(JSON.stringify(row));
    }
    await runner.stop();
  } finally {
    await h.close();
    await pg.drop();
    await pg.end();
  }
  console.log(
    `\n| phase (${scale.toLocaleString("en")} prestamos, batches of 1,000, 2 workers, pool of 10) | batches | batch p50 / p95 ms | sign-in p50 / p95 ms | Stop answers in ms | reads served / refused 503 / failed |`,
  );
  console.log(`| --- | ---: | ---: | ---: | ---: | ---: |`);
  for (const r of rows as {
    phase: string;
    batches: number;
    batchP50Ms: number;
    batchP95Ms: number;
    signInP50Ms: number;
    signInP95Ms: number;
    stopAnswerMs: number;
    reads: { served: number; refused: number; failed: number };
  }[]) {
    console.log(
      `| ${r.phase} | ${r.batches} | ${r.batchP50Ms} / ${r.batchP95Ms} | ${r.signInP50Ms} / ${r.signInP95Ms} | ${r.stopAnswerMs ?? "—"} | ${r.reads.served} / ${r.reads.refused} / ${r.reads.failed} |`,
    );
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
