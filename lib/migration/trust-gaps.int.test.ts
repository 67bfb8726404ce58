/**
 * Paths that had no test at all: what capture does with a rolled back prestamo, what consistency
 * sees when the new tables are altered directly, the rate and ETA progress shows, and single on a
 * migrated prestamo whose legacy row changed since.
 */
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { queryOne, queryRows } from "@/db/sql";
import type { Actor } from "@/lib/audit";
import { openTestDb, testDriver, type TestDb } from "@/lib/testing/db";
import { insertPrestamo } from "@/lib/testing/factories";
import { resetMigrationTables } from "@/lib/testing/reset";
import { expectZeroDiffs } from "@/lib/testing/zero-diffs";
import { drainAll, endCapture } from "./capture";
import { getConsistencySummary } from "./consistency";
import { listMismatches } from "./mismatches";
import { migrateSingle, rollbackOne } from "./prestamo-actions";
import { getProgress } from "./progress";
import { startRun } from "./runs";
import { processBatch } from "./run-batches";
import { runToEnd } from "@/lib/testing/run-to-end";

let t: TestDb;
const admin: Actor = { name: "admin@test.local", kind: "user", role: "admin" };
const W = "gaps-worker";

beforeAll(async () => {
  t = await openTestDb();
});
afterAll(async () => t?.dispose());
beforeEach(() => resetMigrationTables(t.db, ["console_audit_log"]));

const stateOf = async (legacyId: number) =>
  (await queryOne<{ state: string }>(t.db, sql`select state from migration_state where legacy_id = ${legacyId}`))?.state ?? "pending";
const newRowCount = async (legacyId: number) =>
  (await queryOne<{ n: number }>(t.db, sql`select count(*)::int as n from prestamos_new where legacy_id = ${legacyId}`))!.n;

async function runAll() {
  const run = await startRun(t.db, { batchSize: 100, errorThresholdPct: 50 }, admin, W);
  return runToEnd(t.db, run.id, W);
}

describe(`a rolled back prestamo on ${testDriver()}`, () => {
  it("its legacy changes are not followed: it stays rolled back with no new row", async () => {
    const kept = await insertPrestamo(t.db, {}, [{ monto: "10" }]);
    const back = await insertPrestamo(t.db, {}, [{ monto: "20" }]);
    expect(await runAll()).toMatchObject({ status: "finished" });
    await rollbackOne(t.db, back.id, admin);
    // Capture is on (the run installed it): the application changes the prestamo and adds a pago.
    await t.db.execute(sql`update prestamos set cliente_nombre = 'Cambiado tras rollback', updated_at = now() where id = ${back.id}`);
    await t.db.execute(sql`insert into pagos_prestamo (prestamo_id, monto, fecha_pago, metodo) values (${back.id}, 5, '2024-03-01', 'efectivo')`);
    expect(await drainAll(t.db)).toBeGreaterThan(0);
    expect(await stateOf(back.id)).toBe("rolled_back");
    expect(await newRowCount(back.id)).toBe(0);
    expect(await stateOf(kept.id)).toBe("migrated");
    expect((await getProgress(t.db)).totals).toMatchObject({ total: 2, migrated: 1, rolledBack: 1, pending: 0 });
    await expectZeroDiffs(t.db, "migrated");
  });
});

describe(`consistency catches direct edits of the new tables on ${testDriver()}`, () => {
  const cases: { name: string; column: string; tamper: (legacyId: number) => ReturnType<typeof sql> }[] = [
    {
      name: "new pago's amount",
      column: "pagos.monto_cents",
      tamper: (id) =>
        sql`update pagos_prestamo_new set monto_cents = monto_cents + 1 where id = (select min(g.id) from pagos_prestamo_new g join prestamos_new p on p.id = g.prestamo_id where p.legacy_id = ${id})`,
    },
    {
      name: "new pago's date",
      column: "pagos.fecha_pago",
      tamper: (id) =>
        sql`update pagos_prestamo_new set fecha_pago = fecha_pago + 1 where id = (select min(g.id) from pagos_prestamo_new g join prestamos_new p on p.id = g.prestamo_id where p.legacy_id = ${id})`,
    },
    {
      name: "fecha_vencimiento",
      column: "fecha_vencimiento",
      tamper: (id) => sql`update prestamos_new set fecha_vencimiento = fecha_vencimiento + 1 where legacy_id = ${id}`,
    },
    { name: "pagos_count", column: "pagos_count", tamper: (id) => sql`update prestamos_new set pagos_count = pagos_count + 1 where legacy_id = ${id}` },
    { name: "ultimo_pago", column: "ultimo_pago", tamper: (id) => sql`update prestamos_new set ultimo_pago = ultimo_pago - 1 where legacy_id = ${id}` },
    {
      name: "total_pagado_cents",
      column: "total_pagado_cents",
      tamper: (id) => sql`update prestamos_new set total_pagado_cents = total_pagado_cents + 100 where legacy_id = ${id}`,
    },
    { name: "saldo_cents", column: "saldo_cents", tamper: (id) => sql`update prestamos_new set saldo_cents = saldo_cents - 100 where legacy_id = ${id}` },
  ];

  for (const c of cases) {
    it(`an altered ${c.name} is a mismatch naming that column`, async () => {
      const a = await insertPrestamo(t.db, {}, [
        { monto: "10", fecha_pago: "2024-02-10" },
        { monto: "20", fecha_pago: "2024-03-10" },
      ]);
      const b = await insertPrestamo(t.db, {}, [{ monto: "30" }]);
      await runAll();
      expect((await getConsistencySummary(t.db)).fieldMatch).toEqual({ matching: 2, mismatching: 0, matchingPct: 100 });
      await t.db.execute(c.tamper(a.id));
      const s = await getConsistencySummary(t.db);
      expect(s.fieldMatch).toEqual({ matching: 1, mismatching: 1, matchingPct: 50 });
      const items = (await listMismatches(t.db, { page: 1, limit: 50 })).items;
      expect(items.map((i) => i.legacyId)).not.toContain(b.id);
      expect(items.filter((i) => i.legacyId === a.id).flatMap((i) => i.columns)).toContain(c.column);
    });
  }
});

describe(`progress rate and ETA on ${testDriver()}`, () => {
  it("after batches are recorded the rate is positive and the ETA is remaining / rate; none once no run is active", async () => {
    for (let i = 0; i < 23; i++) await insertPrestamo(t.db, {});
    const run = await startRun(t.db, { batchSize: 5, errorThresholdPct: 50, workers: 1 }, admin, W);
    const idle = await getProgress(t.db);
    expect(idle.rate.prestamosPerSecond).toBe(0); // nothing recorded yet
    expect(idle.etaSeconds).toBeNull();
    expect(await processBatch(t.db, run.id, W)).toMatchObject({ kind: "batch" });
    // Pin the one batch's times so the rate is known whatever the machine's speed: it started before
    // the 30 s window (the rate's span is the window) and finished inside it: 5 prestamos / 30 s.
    const moved = await queryRows<{ prestamos: number }>(
      t.db,
      sql`update migration_batches set started_at = now() - interval '40 seconds', finished_at = now() - interval '1 second' where run_id = ${run.id} and kind = 'run' returning prestamos`,
    );
    expect(moved.map((b) => Number(b.prestamos))).toEqual([5]);
    const p = await getProgress(t.db);
    expect(p.totals.remaining).toBe(18);
    expect(p.rate.windowSeconds).toBe(30);
    expect(p.rate.prestamosPerSecond).toBe(0.2); // 5 / 30 s, one decimal
    expect(p.etaSeconds).toBe(108); // 18 remaining / (5 / 30 s)
    await runToEnd(t.db, run.id, W);
    const done = await getProgress(t.db);
    expect(done.state).toBe("finished");
    expect(done.rate.prestamosPerSecond).toBe(0);
    expect(done.etaSeconds).toBeNull();
  });
});

describe(`single on a migrated prestamo that changed since on ${testDriver()}`, () => {
  it("rewrites the new row from the current legacy values", async () => {
    const a = await insertPrestamo(t.db, { cliente_nombre: "Ana Torres", monto: "1000.00", estado: "activo" }, [{ monto: "100" }]);
    await runAll();
    // Changed after a cleanup, so capture does not bring it over: single must.
    await endCapture(t.db, admin);
    await t.db.execute(
      sql`update prestamos set cliente_nombre = '  Ana  María ', monto = 2500.50, estado = 'en mora', moneda = 'US$', updated_at = now() where id = ${a.id}`,
    );
    await t.db.execute(sql`insert into pagos_prestamo (prestamo_id, monto, fecha_pago, metodo) values (${a.id}, 40, '2024-05-05', 'transf')`);
    expect((await getConsistencySummary(t.db)).fieldMatch.mismatching).toBe(1); // the change is there to be seen
    const out = await migrateSingle(t.db, a.id, admin);
    expect(out).toMatchObject({ legacyId: a.id, state: "migrated", outcome: "migrated", pagos: 2, failures: [] });
    const row = await queryOne<{
      cliente_nombre: string;
      monto_cents: string;
      estado: string;
      moneda: string;
      total_pagado_cents: string;
      pagos_count: number;
      ultimo_pago: string;
    }>(
      t.db,
      sql`select cliente_nombre, monto_cents::text, estado, moneda, total_pagado_cents::text, pagos_count, ultimo_pago::text from prestamos_new where legacy_id = ${a.id}`,
    );
    expect(row).toEqual({
      cliente_nombre: "Ana María",
      monto_cents: "250050",
      estado: "en_mora",
      moneda: "USD",
      total_pagado_cents: "14000",
      pagos_count: 2,
      ultimo_pago: "2024-05-05",
    });
    expect(await newRowCount(a.id)).toBe(1);
    await expectZeroDiffs(t.db, "all");
    expect((await getConsistencySummary(t.db)).fieldMatch).toEqual({ matching: 1, mismatching: 0, matchingPct: 100 });
  });
});
