import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDb, type DbHandle } from "@/db/client";
import { queryOne } from "@/db/sql";
import { openTestDb, testDriver, type TestDb } from "@/lib/testing/db";
import { independentCompare } from "@/lib/testing/independent";
import { seedLegacy } from "@/lib/testing/legacy-seed";
import { drainCapture } from "./capture";
import { getLatestRun, startRun } from "./runs";
import { startWorker } from "./worker";

/**
 * The application keeps writing while a run is active: inserts, updates, deletes, and pagos moving
 * between prestamos, from its own connections (PostgreSQL) or interleaved on the one connection
 * (PGlite). After the writer stops and the backlog drains, the new tables equal the independent
 * expectation: zero diffs.
 */
let db: TestDb;
let app: DbHandle; // the application's own connections
beforeAll(async () => {
  db = await openTestDb();
  app = testDriver() === "postgres" ? await openDb({ url: db.url!, max: 4 }) : db;
});
afterAll(async () => {
  if (app !== db) await app.close();
  await db?.dispose();
});

/** Small deterministic PRNG so a failure can be replayed. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

async function applicationWrites(until: () => boolean, seed: number): Promise<number> {
  const r = rng(seed);
  const pick = async (table: "prestamos" | "pagos_prestamo") =>
    Number((await queryOne<{ id: number }>(app.db, sql.raw(`select id from ${table} order by random() limit 1`)))?.id ?? 1);
  let ops = 0;
  while (!until()) {
    const op = Math.floor(r() * 7);
    if (op === 0) {
      await app.db.execute(sql`insert into prestamos (cliente_nombre, monto, tasa_interes, plazo_meses, fecha_otorgamiento, estado, moneda)
                               values (${" Nuevo  " + ops}, ${100 + ops}, 12.5, 12, ' 1/2/2024 ', 'vigente', 'us$')`);
    } else if (op === 1) {
      await app.db.execute(sql`update prestamos set monto = monto + 1, updated_at = now() where id = ${await pick("prestamos")}`);
    } else if (op === 2) {
      await app.db.execute(sql`insert into pagos_prestamo (prestamo_id, monto, fecha_pago, metodo) values (${await pick("prestamos")}, 7.5, '2024-03-03', 'CASH')`);
    } else if (op === 3) {
      await app.db.execute(sql`update pagos_prestamo set prestamo_id = ${await pick("prestamos")} where id = ${await pick("pagos_prestamo")}`);
    } else if (op === 4) {
      await app.db.execute(sql`update pagos_prestamo set anulado = not anulado where id = ${await pick("pagos_prestamo")}`);
    } else if (op === 5) {
      await app.db.execute(sql`delete from pagos_prestamo where id = ${await pick("pagos_prestamo")}`);
    } else {
      // Delete a prestamo with its pagos, as the application would, in one transaction.
      const id = await pick("prestamos");
      await app.db.transaction(async (tx) => {
        await tx.execute(sql`delete from pagos_prestamo where prestamo_id = ${id}`);
        await tx.execute(sql`delete from prestamos where id = ${id}`);
      });
    }
    ops++;
    // PGlite answers without real I/O: yield to timers, or this loop starves the worker's.
    await new Promise((r) => setImmediate(r));
  }
  return ops;
}

describe(`concurrent application writes during a run (${testDriver()})`, () => {
  it("lose nothing: after the backlog drains, zero diffs against the independent expectation", async () => {
    await seedLegacy(db.db, 3000, 60);
    const run = await startRun(db.db, { batchSize: 60, errorThresholdPct: 50, workers: 2 }, { name: "admin@test.local", kind: "user" }, "console-a");
    const worker = startWorker(db.db, { workerId: "console-a", idleMs: 20, sliceMs: 300, maxSlots: testDriver() === "pglite" ? 1 : 2 });
    let runEnded = false;
    const writer = applicationWrites(() => runEnded, 42);
    for (let i = 0; i < 6000 && !runEnded; i++) {
      await new Promise((r) => setTimeout(r, 50));
      runEnded = !(await getLatestRun(db.db))?.active;
    }
    const ops = await writer;
    await worker.stop();
    for (let i = 0; i < 1000 && (await drainCapture(db.db)).entries > 0; i++);
    const ended = await getLatestRun(db.db);
    expect(ended?.id).toBe(run.id);
    expect(ended?.status).toBe("finished");
    expect(ops).toBeGreaterThan(20);
    const report = await independentCompare(db.db, "all");
    expect(report.columnDiffs).toEqual([]);
    expect(report.pagoDiffs).toEqual([]);
    expect(report.missing).toEqual([]);
    expect(report.unexpected).toEqual([]);
    expect(report.duplicates).toBe(0);
    console.log(`[${testDriver()}] ${ops} application writes during the run; ${report.counts.migrated} prestamos migrated, zero diffs`);
  }, 300_000);
});
