/**
 * several instances on one database: worker processes running the real startWorker
 * (lib/testing/worker-child.ts) race for one run. One run at a time; the run's committed batches
 * never overlap (migration_batches ranges tile 1..N); SIGKILL of the holder lets another take
 * over at once when the holder's pid is visibly dead on this host, and only after the lease
 * expires when it is not (a holder "on another host": the expiry is forced in the database
 * instead of waiting LEASE_SECONDS); the change-capture queue is drained once per entry by three
 * instances at once.
 *
 * PGlite allows one process per data folder (db/client.ts refuses a second): its equivalent is
 * that refusal, and the hand-over once the holder is gone.
 */
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { sql } from "drizzle-orm";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { queryOne, queryRows } from "@/db/sql";
import { openTestDb, testDriver, type TestDb } from "@/lib/testing/db";
import { expectZeroDiffs } from "@/lib/testing/zero-diffs";
import { seedLegacy } from "@/lib/testing/legacy-seed";
import { runChild, runRangeProblems } from "@/lib/testing/chaos";
import { openDb } from "@/db/client";
import { prepareDatabase } from "./prepare";
import fs from "node:fs";
import { holdTransaction } from "@/lib/testing/lock-wait";
import { captureBacklog } from "./capture";
import { claimActiveRun, getLatestRun, LEASE_SECONDS, startRun, THIS_HOST } from "./runs";
import { startWorker, type WorkerHandle } from "./worker";
import os from "node:os";

const ROWS = 3000;
const CHILD = path.join(process.cwd(), "lib", "testing", "worker-child.ts");
let t: TestDb;
let probe: postgres.Sql; // a session of the test's own, to hold locks and read pg_stat_activity

interface Instance {
  id: string;
  /** Its sessions' application_name. */
  appName: string;
  kill(): void;
  alive(): boolean;
  /** Resolves once the process has exited (its sessions' transactions are over). */
  exited: Promise<void>;
  /** SIGTERM: the worker finishes what it is doing, then the process exits. */
  stop(): Promise<void>;
}

const children: ChildProcess[] = [];
const inProcess: WorkerHandle[] = [];

let spawned = 0;
function spawnInstance(workerId: string | undefined, drainLimit = 1000): Promise<Instance> {
  const appName = `instances-test-child-${++spawned}`;
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ["--import", "tsx", CHILD], {
      env: { ...process.env, DATABASE_URL: t.url!, WORKER_ID: workerId ?? "", IDLE_MS: "50", DRAIN_LIMIT: String(drainLimit), APP_NAME: appName },
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.push(p);
    let exited = false;
    const exitedP = new Promise<void>((r) => p.on("exit", () => ((exited = true), r())));
    p.on("error", reject);
    let buf = "";
    p.stdout.on("data", (d) => {
      buf += String(d);
      const m = /^worker (\S+)$/m.exec(buf);
      if (m)
        resolve({
          id: m[1],
          appName,
          kill: () => p.kill("SIGKILL"),
          alive: () => !exited,
          exited: exitedP,
          stop: () => (p.kill("SIGTERM"), exitedP),
        });
    });
  });
}

function inProcessInstance(workerId: string, drainLimit = 1000): Instance {
  const w = startWorker(t.db, { workerId, idleMs: 50, drainLimit });
  inProcess.push(w);
  let stopped = false;
  return {
    id: w.workerId,
    appName: "",
    exited: Promise.resolve(),
    stop: () => ((stopped = true), w.stop()),
    // In one process a "kill" is the worker stopping dead between two statements: its lease stays.
    kill: () => {
      stopped = true;
      void w.stop();
    },
    alive: () => !stopped,
  };
}

async function until(what: string, cond: () => Promise<boolean>, ms = 120_000): Promise<number> {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
  return Date.now() - t0;
}

/**
 * Holds an EXCLUSIVE lock on migration_runs (plain reads go on, every lease claim queues) until each
 * of `instances` has a session queued on its lease claim, then releases it: each of them has run
 * a claim since the call, seen by pg_stat_activity rather than guessed from elapsed time.
 */
async function untilEachQueuesOnAClaim(instances: Instance[], leaseOwner: string): Promise<void> {
  const names = instances.map((i) => i.appName);
  const hold = holdTransaction(probe, (tx) => tx`lock table migration_runs in exclusive mode`);
  await hold.ready;
  try {
    await until(
      "each instance to queue on its lease claim",
      async () => {
        // An instance that took the lease would drive batches instead of queuing again: say so.
        const [run] = await probe`select lease_owner from migration_runs order by id desc limit 1`;
        if (run.lease_owner !== leaseOwner) throw new Error(`the lease went from ${leaseOwner} to ${run.lease_owner} before it expired`);
        const rows = await probe`select distinct application_name as name from pg_stat_activity
                               where datname = current_database() and wait_event_type = 'Lock'
                                 and application_name = any(${names}) and query like '%update migration_runs r set%lease_owner%'`;
        return rows.length === names.length;
      },
      20_000,
    );
  } finally {
    hold.release();
    await hold.done;
  }
}

beforeAll(async () => {
  if (testDriver() !== "postgres") return;
  t = await openTestDb();
  probe = postgres(t.url!, { max: 2, onnotice: () => {} });
  await seedLegacy(t.db, ROWS, 50);
}, 120_000);

afterAll(async () => {
  for (const c of children) c.kill("SIGKILL");
  await probe?.end();
  await Promise.all(inProcess.map((w) => w.stop()));
  await t?.dispose();
});

const pg = testDriver() === "postgres";
const here = THIS_HOST;

describe(`several instances on one database (${testDriver()})`, () => {
  // PGlite: one process per data folder is the embedded database's rule (db/client.ts). The
  // embedded equivalent of "several instances" is a second process refused while one holds it.
  if (!pg) {
    it("an embedded folder refuses a second console process while one holds it, and hands over once it is gone", async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "prestamos-instances-"));
      try {
        const first = await openDb({ dataDir: dir });
        await prepareDatabase(first);
        await expect(runChild({ PGLITE_DATA_DIR: dir }, null)).rejects.toThrow(/in use by process/);
        await first.close();
        const second = await runChild({ PGLITE_DATA_DIR: dir }, null);
        expect(second.lines.at(-1)).toBe("no-run"); // opened it, found nothing to drive
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
        fs.rmSync(`${dir}.lock`, { force: true });
      }
    }, 120_000);
    return;
  }
  it("one run at a time, batches never overlap, the holder's death hands the run over (at once when its pid is visibly dead, after the lease otherwise), zero diffs", async () => {
    // Two instances of this host and two "of another host" (their death is invisible to the pid check).
    const ids = [undefined, undefined, "otherhost:1:a", "otherhost:2:b"];
    const instances: Instance[] = pg
      ? await Promise.all(ids.map((id) => spawnInstance(id)))
      : ids.map((id, i) => inProcessInstance(id ?? `${here}:${process.pid}:w${i}`));
    const run = await startRun(t.db, { batchSize: ROWS / 60, errorThresholdPct: 50 }, { name: "instances", kind: "system" }, `${here}:999999:gone`);
    const byId = new Map(instances.map((i) => [i.id, i]));
    const paths = { pidDead: 0, leaseExpired: 0 };
    const takeoverMs: number[] = [];

    // Three kills of whoever holds the run: with two of each kind, both paths are taken.
    for (let k = 0; k < 3; k++) {
      let holder: Instance | undefined;
      let ended = false;
      await until("a holder that has done a few batches", async () => {
        const r = await getLatestRun(t.db);
        ended = !r!.active;
        holder = r?.leaseOwner ? byId.get(r.leaseOwner) : undefined;
        return ended || (Boolean(holder?.alive()) && r!.batches >= 2 + 4 * k);
      });
      if (ended) break; // the run outran the kills (a loaded machine): the assertions below still hold
      const owner = holder!.id;
      const foreign = owner.startsWith("otherhost:") || !pg;
      holder!.kill();
      if (foreign) {
        // Nobody may take a lease that has not expired from a holder that might still be alive:
        // once the holder is gone, every other live instance tries to claim twice (the first
        // claim queued may have been on its way already, the second surely began after it) and
        // so does a probe of the test's own; none of them gets it.
        await holder!.exited;
        const others = instances.filter((i) => i !== holder && i.alive());
        await untilEachQueuesOnAClaim(others, owner);
        await untilEachQueuesOnAClaim(others, owner);
        expect(await claimActiveRun(t.db, "otherhost:9:probe")).toBeNull();
        expect((await getLatestRun(t.db))!.leaseOwner).toBe(owner);
        await t.db.execute(sql`update migration_runs set lease_expires_at = now() - interval '1 second' where id = ${run.id}`);
        paths.leaseExpired++;
      } else paths.pidDead++;
      takeoverMs.push(
        await until(
          "another instance to take the run over",
          async () => {
            const r = await getLatestRun(t.db);
            return r!.leaseOwner !== owner && r!.leaseOwner !== null && r!.batches > 0;
          },
          10_000,
        ),
      );
      expect(Math.max(...takeoverMs)).toBeLessThan(LEASE_SECONDS * 1000);
    }
    if (pg) {
      expect(paths.pidDead).toBeGreaterThanOrEqual(1);
      expect(paths.leaseExpired).toBeGreaterThanOrEqual(1);
    }
    await until("the run to finish", async () => (await getLatestRun(t.db))!.status === "finished");
    const final = (await getLatestRun(t.db))!;
    expect(final).toMatchObject({ status: "finished", processed: ROWS, checkpoint: ROWS });
    expect(final.resumes).toBeGreaterThanOrEqual(1 + takeoverMs.length); // the first takeover from the dead starter + one per kill
    expect(takeoverMs.length).toBeGreaterThanOrEqual(pg ? 3 : 1);
    expect(await runRangeProblems(t.db, run.id)).toEqual([]);
    const runs = await queryOne<{ n: number }>(t.db, sql`select count(*)::int as n from migration_runs`);
    expect(runs!.n).toBe(1);
    const states = await queryOne<{ n: number; d: number }>(t.db, sql`select count(*)::int as n, count(distinct legacy_id)::int as d from migration_state`);
    expect(states).toEqual({ n: ROWS, d: ROWS });
    console.log(
      `[instances ${testDriver()}] takeovers after a kill: ${takeoverMs.map((m) => `${m} ms`).join(", ")} (pid-dead ${paths.pidDead}, lease-expired ${paths.leaseExpired})`,
    );

    // Change capture drained by three live instances at once, 25 entries per sync transaction.
    for (const i of instances) if (i.alive()) i.kill();
    const drainers = pg
      ? await Promise.all([0, 1, 2].map(() => spawnInstance(undefined, 25)))
      : [0, 1, 2].map((i) => inProcessInstance(`${here}:${process.pid}:d${i}`, 25));
    const since = (await queryOne<{ m: number }>(t.db, sql`select coalesce(max(id), 0)::int as m from migration_batches`))!.m;
    // One entry per prestamo: each of 1,200 migrated prestamos changes once.
    const changed = await queryRows<{ id: number }>(
      t.db,
      sql`update prestamos set cliente_nombre = cliente_nombre || ' x' where id in (select legacy_id from migration_state where state = 'migrated' order by legacy_id limit 1200) returning id`,
    );
    const syncedSince = async () =>
      (await queryOne<{ n: number }>(t.db, sql`select coalesce(sum(prestamos), 0)::int as n from migration_batches where kind = 'sync' and id > ${since}`))!.n;
    await until("the backlog to drain", async () => (await captureBacklog(t.db)).entries === 0 && (await syncedSince()) >= changed.length, 60_000);
    // Stop the drainers and wait for their processes to exit: any sync still in flight has then
    // committed or rolled back, so a duplicate would be counted below.
    await Promise.all(drainers.map((d) => d.stop()));
    const syncs = await queryOne<{ batches: number; prestamos: number; workers: number }>(
      t.db,
      sql`select count(*)::int as batches, coalesce(sum(prestamos), 0)::int as prestamos from migration_batches where kind = 'sync' and id > ${since}`,
    );
    console.log(`[instances ${testDriver()}] ${changed.length} queue entries drained in ${syncs!.batches} sync transactions by ${drainers.length} instances`);
    expect(syncs!.prestamos).toBe(changed.length); // every entry synced exactly once
    expect(syncs!.batches).toBeGreaterThanOrEqual(Math.ceil(changed.length / 25));

    await expectZeroDiffs(t.db);
  }, 300_000);
});
