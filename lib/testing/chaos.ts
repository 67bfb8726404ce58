/**
 * The SIGKILL chaos loop shared by lib/migration/crash.int.test.ts (small, in CI) and
 * `npm run chaos` (lib/cli/chaos.ts, large, by hand): a child process drives the active run
 * (lib/testing/run-child.ts, the engine's own claim + batch functions) and is killed with SIGKILL
 * at varied points, then another resumes; after the last kill one child finishes the run.
 *
 * Kill points, in rotation: right after a batch committed (between batches); a few ms after a
 * commit (inside the next batch's transaction); at a random moment after spawn (while the child
 * opens its database, claims the lease or runs its first batch), never later than shortly after
 * its first commit, so every kill costs at most ~2 batches and many kills fit in a small table.
 */
import { spawn } from "node:child_process";
import path from "node:path";
import { sql } from "drizzle-orm";
import type { Db, Exec } from "@/db/client";
import { BEFORE_ANY_LEGACY_ID } from "@/db/schema";
import { queryOne, queryRows } from "@/db/sql";
import { getLatestRun, startRun, THIS_HOST, type RunDTO } from "@/lib/migration/runs";
import { independentCompare, type IndependentReport } from "./independent";
import { seedLegacy } from "./legacy-seed";

const CHILD = path.join(process.cwd(), "lib", "testing", "run-child.ts");

export interface ChildOutcome {
  lines: string[];
  killed: boolean;
  /** Batches this child committed (lines it printed). */
  batches: number;
  ms: number;
}

export type KillAt = { afterBatches: number; delayMs: number; orAfterMs?: number } | null;

export interface WarmChild {
  /** Lets the child open the database and drive the run; `killAt` decides when to SIGKILL it (null: let it finish). */
  start(killAt: KillAt): Promise<ChildOutcome>;
  /** Ends a child that was never started. */
  discard(): void;
}

/**
 * Spawns run-child.ts ahead of time: Node and the tsx loader start (the slow part, ~1-2 s) while
 * the previous child still drives the run; it opens the database only when started.
 */
export function spawnChild(env: Record<string, string>): WarmChild {
  // node itself with the tsx loader: the tsx CLI would put a second process between us and the one we kill.
  const p = spawn(process.execPath, ["--import", "tsx", CHILD], { env: { ...process.env, ...env, CHILD_WAIT_GO: "1" }, stdio: ["pipe", "pipe", "pipe"] });
  const lines: string[] = [];
  let stderr = "";
  let onLine: (() => void) | undefined;
  p.stderr.on("data", (d) => (stderr += String(d)));
  p.stdout.on("data", (d) => {
    for (const line of String(d).split("\n").filter(Boolean)) {
      lines.push(line);
      onLine?.();
    }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    p.on("error", reject);
    p.on("exit", (code, signal) => resolve({ code, signal }));
  });
  return {
    discard: () => {
      p.kill("SIGKILL");
    },
    start: async (killAt) => {
      const t0 = performance.now();
      let killing = false;
      let timer: NodeJS.Timeout | undefined;
      const kill = (delay: number) => {
        if (killing) return;
        killing = true;
        if (timer) clearTimeout(timer);
        setTimeout(() => p.kill("SIGKILL"), delay);
      };
      if (killAt?.orAfterMs !== undefined) timer = setTimeout(() => kill(0), killAt.orAfterMs);
      onLine = () => {
        if (killAt && lines.filter((l) => l.startsWith("batch")).length >= killAt.afterBatches) kill(killAt.delayMs);
      };
      p.stdin.end("go\n");
      const { code, signal } = await exited;
      if (timer) clearTimeout(timer);
      const out = { lines, killed: signal === "SIGKILL", batches: lines.filter((l) => l.startsWith("batch")).length, ms: performance.now() - t0 };
      if (signal === "SIGKILL" || code === 0) return out;
      throw new Error(`child exited ${code}: ${stderr.slice(-2000)}`);
    },
  };
}

/** Spawns and starts one child at once. */
export function runChild(env: Record<string, string>, killAt: KillAt): Promise<ChildOutcome> {
  return spawnChild(env).start(killAt);
}

/** Seeds `rows` legacy prestamos (every 40th broken) and starts a run owned by a dead worker of this host. */
export async function prepareChaosRun(db: Db, rows: number, batchSize: number): Promise<RunDTO> {
  await seedLegacy(db, rows, 40);
  // The run belongs to a worker that is gone: the first child takes it over at once.
  return startRun(db, { batchSize, errorThresholdPct: 50 }, { name: "chaos@test.local", kind: "user" }, `${THIS_HOST}:999999:gone`);
}

export interface ChaosReport {
  kills: number;
  /** Kills of a child that had committed at least one batch (a run in progress, not a start-up). */
  killsMidRun: number;
  children: number;
  lastLine: string | undefined;
  childMs: number[];
}

/**
 * Up to `kills` SIGKILLs, then one child that runs to the end. Stops killing early when the run
 * ended (the table was too small for the number of kills): the caller asserts the count.
 */
export async function killLoop(
  env: Record<string, string>,
  kills: number,
  opts: { randomStartupMs?: number; log?: (s: string) => void } = {},
): Promise<ChaosReport> {
  const report: ChaosReport = { kills: 0, killsMidRun: 0, children: 0, lastLine: undefined, childMs: [] };
  // An embedded folder takes seconds to open (a kill there tests the folder); PostgreSQL opens in ms.
  const startupMs = opts.randomStartupMs ?? (env.PGLITE_DATA_DIR ? 3000 : 150);
  let next = spawnChild(env);
  for (let i = 0; i < kills; i++) {
    const mode = i % 3;
    const current = next;
    next = spawnChild(env);
    const out = await current.start(
      mode === 0
        ? { afterBatches: 1, delayMs: 0 }
        : mode === 1
          ? { afterBatches: 1, delayMs: 2 + Math.floor(Math.random() * 40) }
          : { afterBatches: 1, delayMs: Math.floor(Math.random() * 20), orAfterMs: Math.floor(Math.random() * startupMs) },
    );
    report.children++;
    report.childMs.push(out.ms);
    if (out.killed) {
      report.kills++;
      if (out.batches > 0) report.killsMidRun++;
    }
    opts.log?.(`child ${report.children}: ${out.killed ? "SIGKILL" : "exited"} after ${out.batches} batch(es), ${Math.round(out.ms)} ms`);
    if (out.lines.some((l) => l.startsWith("ended") || l === "no-run")) break;
  }
  const last = await next.start(null);
  report.children++;
  report.childMs.push(last.ms);
  report.lastLine = last.lines.at(-1);
  opts.log?.(`last child: ${report.lastLine}`);
  return report;
}

export interface RunAudit {
  run: RunDTO | null;
  states: { n: number; distinct_ids: number };
  legacyRows: number;
  batchRows: number;
  /** Run batches whose id range overlaps another's or leaves a gap after the previous one. */
  rangeProblems: string[];
  report: IndependentReport;
}

/** What must hold after the last restart: finished, every prestamo once, ranges contiguous, zero diffs. */
export async function auditRun(db: Db): Promise<RunAudit> {
  const run = await getLatestRun(db);
  const states = (await queryOne<{ n: number; distinct_ids: number }>(
    db,
    sql`select count(*)::int as n, count(distinct legacy_id)::int as distinct_ids from migration_state`,
  ))!;
  const legacy = await queryOne<{ n: number }>(db, sql`select count(*)::int as n from prestamos`);
  const batchRows = await queryOne<{ rows: number }>(db, sql`select coalesce(sum(prestamos), 0)::int as rows from migration_batches where kind = 'run'`);
  return {
    run,
    states: { n: Number(states.n), distinct_ids: Number(states.distinct_ids) },
    legacyRows: Number(legacy?.n ?? 0),
    batchRows: Number(batchRows?.rows ?? 0),
    rangeProblems: await runRangeProblems(db, run?.id ?? 0),
    report: await independentCompare(db, "all"),
  };
}

/**
 * The run's committed batches, in order, must tile every id up to the checkpoint: each starts right after the
 * previous one ended (an overlap is a prestamo taken twice, a gap one skipped).
 */
export async function runRangeProblems(db: Exec, runId: number): Promise<string[]> {
  const rows = await queryRows<{ from_id: number; to_id: number }>(
    db,
    sql`select from_id, to_id from migration_batches where kind = 'run' and run_id = ${runId} order by from_id, to_id`,
  );
  const problems: string[] = [];
  let prevTo = BEFORE_ANY_LEGACY_ID;
  for (const r of rows) {
    const from = Number(r.from_id);
    const to = Number(r.to_id);
    if (from <= prevTo) problems.push(`batch ${from}..${to} overlaps the previous one ending at ${prevTo}`);
    else if (from !== prevTo + 1) problems.push(`gap between ${prevTo} and ${from}`);
    prevTo = Math.max(prevTo, to);
  }
  return problems;
}
