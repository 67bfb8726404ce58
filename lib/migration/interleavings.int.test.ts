/**
 * A randomized interleaving of everything that writes, on one database: the application's writes
 * (with the spec's dirty spellings), starts, stops, cleanups, single migrations, rollbacks of one
 * and of all, batches, syncs, and kills (a worker's session terminated inside its batch on
 * PostgreSQL; on both, its lease lost and the run taken over by another instance). Three loops
 * (application, admin, worker) run at once. Each loop draws its steps from its own seeded PRNG:
 * the sequence of steps is reproducible (INTERLEAVE_SEED), their timing against each other on
 * PostgreSQL is not. Bounded: INTERLEAVE_MS of random steps, then the end state must hold — a
 * last start with retry, the queue drained, zero diffs by the independent comparison, and state
 * counts equal to real counts.
 */
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from "vitest";
import { openDb } from "@/db/client";
import { queryOne, queryRows } from "@/db/sql";
import type { Actor } from "@/lib/audit";
import { AppError, pgErrorCode, rootMessage } from "@/lib/errors";
import { openTestDb, testDriver, type TestDb } from "@/lib/testing/db";
import { seedLegacy } from "@/lib/testing/legacy-seed";
import { expectZeroDiffs } from "@/lib/testing/zero-diffs";
import { drainAll, drainCapture, endCapture, isCaptureInstalled } from "./capture";
import { migrateSingle, rollbackAll, rollbackOne } from "./prestamo-actions";
import { getProgress } from "./progress";
import { claimActiveRun, getActiveRun, requestStop, startRun } from "./runs";
import { processBatch } from "./run-batches";
import { WRITERS_LOCK_KEY } from "./write";
import { runToEnd } from "@/lib/testing/run-to-end";

const SEED = Number(process.env.INTERLEAVE_SEED ?? 20261201);
const DURATION_MS = Number(process.env.INTERLEAVE_MS ?? 20_000);
const admin: Actor = { name: "admin@test.local", kind: "user", role: "admin" };

/** mulberry32: a small PRNG whose sequence a seed fixes. */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 2 ** 32;
  };
}

// The spec's spellings, valid and not, as literals (§3).
const ESTADOS = ["vencido", "mora", " En Mora ", "liquidado", "cancelado", "Al Dia", "vigente", "castigado", "anulado", "moroso", "raro"];
const MONEDAS = ["S/", "S/.", "DOLARES", "us$", "soles", null, "", "EUR"];
const METODOS = ["transf", "deposito", "CASH", "tef", "cheque", "yape", null];
const FECHAS = ["2024-01-31", " 1/2/2024 ", "29/02/2024", "31/02/2021", "2024-13-01"];

let t: TestDb;

beforeAll(async () => {
  t = await openTestDb();
  await seedLegacy(t.db, 300, 15);
});
afterAll(async () => t?.dispose());

/** Errors a step may meet by design: a refusal (409/404/503), a lock wait bounded by a timeout, a session killed on purpose. */
function expected(err: unknown): boolean {
  if (err instanceof AppError) return ["CONFLICT", "NOT_FOUND", "UNAVAILABLE"].includes(err.code);
  const code = pgErrorCode(err);
  if (code === "55P03" || code === "57P01") return true; // lock_timeout; terminated by the kill step
  return /terminat|connection|ECONNRESET|CONNECTION_(ENDED|CLOSED|DESTROYED)/i.test(rootMessage(err));
}

describe(`randomized interleavings on ${testDriver()}`, () => {
  it(`seed ${SEED}: every write path at once, then zero diffs and exact state counts`, { timeout: DURATION_MS + 120_000 }, async () => {
    const db = t.db;
    const until = Date.now() + DURATION_MS;
    const counts: Record<string, number> = {};
    const unexpected: string[] = [];
    // A run that never ends fails by the timeout alone: say where it stood and what its sessions waited on.
    let phase = "random steps";
    onTestFailed(async () => {
      // Its own connection: the pool may be what is stuck.
      const probe = t.url ? await openDb({ url: t.url, max: 1, applicationName: "interleavings-probe" }) : null;
      const sessions = await queryRows(
        probe?.db ?? db,
        sql`select pid, application_name as app, state, wait_event_type as wait, wait_event as on, (now() - xact_start)::text as xact, left(query, 160) as query
            from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`,
      )
        .catch((err: unknown) => rootMessage(err))
        .finally(() => probe?.close());
      console.error(JSON.stringify({ seed: SEED, phase, steps: counts, sessions }, null, 1));
    });
    const step = async (name: string, f: () => Promise<unknown>) => {
      try {
        await f();
        counts[name] = (counts[name] ?? 0) + 1;
      } catch (err) {
        if (expected(err)) counts[`${name}:refused`] = (counts[`${name}:refused`] ?? 0) + 1;
        else unexpected.push(`${name}: ${rootMessage(err)}`);
      }
      await new Promise((r) => setImmediate(r)); // PGlite answers without I/O: let the other loops in
    };
    const maxId = async (table: string) => Number((await queryOne<{ m: number }>(db, sql.raw(`select coalesce(max(id), 1)::int as m from ${table}`)))?.m ?? 1);
    let worker = `inst-0:${process.pid}`;
    let instances = 0;

    const application = async () => {
      const r = prng(SEED);
      const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)];
      while (Date.now() < until) {
        const op = Math.floor(r() * 8);
        const p = 1 + Math.floor(r() * (await maxId("prestamos")));
        const g = 1 + Math.floor(r() * (await maxId("pagos_prestamo")));
        if (op === 0)
          await step("app.insert", () =>
            db.execute(sql`insert into prestamos (cliente_nombre, monto, tasa_interes, plazo_meses, fecha_otorgamiento, estado, moneda)
                           values (${"  Cliente\t" + p}, ${r() < 0.1 ? 0 : 50 + p}, 24.5, ${1 + (p % 36)}, ${pick(FECHAS)}, ${pick(ESTADOS)}, ${pick(MONEDAS)})`),
          );
        else if (op === 1)
          await step("app.update", () =>
            db.execute(sql`update prestamos set estado = ${pick(ESTADOS)}, moneda = ${pick(MONEDAS)}, monto = monto + 1, updated_at = now() where id = ${p}`),
          );
        else if (op === 2)
          await step("app.pago", () =>
            db.execute(
              sql`insert into pagos_prestamo (prestamo_id, monto, fecha_pago, metodo) values (${p}, ${r() < 0.05 ? -1 : 9.25}, ${pick(FECHAS)}, ${pick(METODOS)})`,
            ),
          );
        else if (op === 3) await step("app.move_pago", () => db.execute(sql`update pagos_prestamo set prestamo_id = ${p} where id = ${g}`));
        else if (op === 4)
          await step("app.void_pago", () => db.execute(sql`update pagos_prestamo set anulado = not anulado, metodo = ${pick(METODOS)} where id = ${g}`));
        else if (op === 5) await step("app.delete_pago", () => db.execute(sql`delete from pagos_prestamo where id = ${g}`));
        else if (op === 6)
          await step("app.delete", () =>
            db.transaction(async (tx) => {
              await tx.execute(sql`delete from pagos_prestamo where prestamo_id = ${p}`);
              await tx.execute(sql`delete from prestamos where id = ${p}`);
            }),
          );
        else
          await step("app.replica_update", () =>
            db.transaction(async (tx) => {
              await tx.execute(sql`set local session_replication_role = replica`);
              await tx.execute(sql`update prestamos set cliente_nombre = ${" Réplica  " + p}, updated_at = now() where id = ${p}`);
            }),
          );
      }
    };

    const adminLoop = async () => {
      const r = prng(SEED + 1);
      while (Date.now() < until) {
        const op = Math.floor(r() * 10);
        const p = 1 + Math.floor(r() * (await maxId("prestamos")));
        if (op <= 2)
          await step("start", () =>
            startRun(db, { batchSize: 20 + Math.floor(r() * 60), errorThresholdPct: r() < 0.3 ? 1 : 100, retry: r() < 0.3, workers: 1 }, admin, worker),
          );
        else if (op === 3) await step("stop", () => requestStop(db, admin));
        else if (op === 4) await step("cleanup", () => endCapture(db, admin));
        else if (op === 5) await step("single", () => migrateSingle(db, p, admin));
        else if (op <= 7) await step("rollback_one", () => rollbackOne(db, p, admin));
        else if (op === 8 && r() < 0.3) await step("rollback_all", () => rollbackAll(db, admin));
        else await step("disable_triggers", () => db.execute(sql`alter table pagos_prestamo disable trigger user`));
        await new Promise((res) => setTimeout(res, 20 + Math.floor(r() * 80)));
      }
    };

    // On PostgreSQL the worker has connections of its own, named: a kill aimed at its batch can
    // only ever end a worker's session (a connection the batch just returned to a shared pool
    // could be serving the application's next read by the time the kill lands).
    const workerHandle = t.url ? await openDb({ url: t.url, max: 2, applicationName: "interleavings-worker" }) : null;
    const wdb = workerHandle?.db ?? db;
    const workerLoop = async () => {
      const r = prng(SEED + 2);
      while (Date.now() < until) {
        const op = Math.floor(r() * 10);
        // A kill may land on the batch's connection just after the batch returned it: the next read finds it ended.
        const run = await getActiveRun(wdb).catch((err: unknown) => {
          if (!expected(err)) throw err;
          return null;
        });
        if (op <= 5 && run) {
          await step("claim", () => claimActiveRun(wdb, worker));
          const batch = processBatch(wdb, run.id, `${worker}#0`);
          if (op === 5 && testDriver() === "postgres") {
            // Kill: terminate the session holding the writers' lock, inside its batch (if it gets there first).
            await step("kill_session", () =>
              wdb.execute(
                sql`select pg_terminate_backend(l.pid) from pg_locks l join pg_stat_activity a on a.pid = l.pid
                    where l.locktype = 'advisory' and l.objid = ${WRITERS_LOCK_KEY} and l.granted and l.pid <> pg_backend_pid()
                      and a.datname = current_database() and a.application_name = 'interleavings-worker'`,
              ),
            );
          }
          await step("batch", () => batch);
        } else if (op <= 7) {
          await step("sync", () => drainCapture(wdb, 50));
        } else if (run) {
          // The instance driving the run dies: its lease runs out and another instance takes the run over.
          await step("takeover", async () => {
            await db.execute(sql`update migration_runs set lease_expires_at = now() - interval '1 second' where id = ${run.id}`);
            worker = `inst-${++instances}:${process.pid}`;
            await claimActiveRun(wdb, worker);
          });
        }
      }
    };

    await Promise.all([application(), adminLoop(), workerLoop()]).finally(() => workerHandle?.close());
    expect(unexpected).toEqual([]);

    // The end: the application has stopped; an admin starts a last run that retries everything.
    phase = "the random run's end";
    const active = await getActiveRun(db);
    if (active) {
      await requestStop(db, admin);
      await db.execute(sql`update migration_runs set lease_expires_at = now() - interval '1 second' where id = ${active.id}`);
      worker = `inst-final:${process.pid}`;
      await claimActiveRun(db, worker);
      await runToEnd(db, active.id, `${worker}#0`);
    }
    phase = "the last run";
    const last = await startRun(db, { batchSize: 500, errorThresholdPct: 100, retry: true, workers: 1 }, admin, worker);
    expect((await runToEnd(db, last.id, `${worker}#0`))?.status).toBe("finished");
    phase = "the last drain and the comparison";
    await drainAll(db);
    expect(await isCaptureInstalled(db)).toBe(true);
    await expectZeroDiffs(db, "all"); // with the state counts against real counts
    const real = (
      await queryRows<{ state: string; n: number }>(
        db,
        sql`select coalesce(state, 'pending') as state, count(*)::int as n
                                                                          from prestamos l left join migration_state s on s.legacy_id = l.id group by 1`,
      )
    ).reduce<Record<string, number>>((acc, x) => ({ ...acc, [x.state]: Number(x.n) }), {});
    const totals = (await getProgress(db)).totals;
    expect({ migrated: totals.migrated, failed: totals.failed, rolledBack: totals.rolledBack, pending: totals.pending }).toEqual({
      migrated: real.migrated ?? 0,
      failed: real.failed ?? 0,
      rolledBack: real.rolled_back ?? 0,
      pending: real.pending ?? 0,
    });
    expect(totals.pending).toBe(0);
    console.log(JSON.stringify({ seed: SEED, driver: testDriver(), steps: counts, totals }));
  });
});
