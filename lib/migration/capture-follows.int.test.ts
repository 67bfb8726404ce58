/**
 * What change capture follows and when it counts as on (MIGRATION-SPEC §4 "What capture follows",
 * "Capture is never silently off", "Every legacy id"), on both databases.
 */
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { queryOne, queryRows } from "@/db/sql";
import type { Actor } from "@/lib/audit";
import { openTestDb, testDriver, type TestDb } from "@/lib/testing/db";
import { insertPago, insertPrestamo } from "@/lib/testing/factories";
import { resetMigrationTables } from "@/lib/testing/reset";
import { expectZeroDiffs } from "@/lib/testing/zero-diffs";
import { drainAll, drainCapture, endCapture, isCaptureInstalled } from "./capture";
import { getConsistencySummary } from "./consistency";
import { getVerifyReport } from "./verify";
import { migrateSingle, rollbackAll, rollbackOne } from "./prestamo-actions";
import { getProgress } from "./progress";
import { startRun } from "./runs";
import { processBatch } from "./run-batches";
import { runToEnd } from "@/lib/testing/run-to-end";
import { wayBackMismatches } from "./cutover";
import { lockWriters, syncPrestamos } from "./write";

let t: TestDb;
const admin: Actor = { name: "admin@test.local", kind: "user", role: "admin" };
const W = "follows-worker";

beforeAll(async () => {
  t = await openTestDb();
});
afterAll(async () => t?.dispose());
beforeEach(() => resetMigrationTables(t.db, ["console_audit_log"]));

const stateOf = async (legacyId: number) =>
  (await queryOne<{ state: string }>(t.db, sql`select state from migration_state where legacy_id = ${legacyId}`))?.state ?? "pending";
const hasNewRow = async (legacyId: number) => Boolean(await queryOne(t.db, sql`select 1 from prestamos_new where legacy_id = ${legacyId}`));
/** The number of legacy prestamos with no state row, counted apart from the engine's counters. */
const realPending = async () =>
  (await queryOne<{ n: number }>(
    t.db,
    sql`select count(*)::int as n from prestamos l where not exists (select 1 from migration_state s where s.legacy_id = l.id)`,
  ))!.n;

async function runAll(opts: Parameters<typeof startRun>[1] = {}) {
  const run = await startRun(t.db, { batchSize: 100, errorThresholdPct: 50, ...opts }, admin, W);
  return runToEnd(t.db, run.id, W);
}

describe(`what capture follows on ${testDriver()}`, () => {
  it("a run halted at the end of the table: a loan the application inserts afterwards is still migrated", async () => {
    for (let i = 0; i < 6; i++) await insertPrestamo(t.db, {});
    for (let i = 0; i < 2; i++) await insertPrestamo(t.db, { monto: "0" });
    const ended = await runAll({ errorThresholdPct: 1 });
    expect(ended).toMatchObject({ status: "halted", processed: 8, failed: 2 });
    const loan = await insertPrestamo(t.db, { cliente_nombre: "Nuevo después del halt" }, [{ monto: "10" }]);
    await drainAll(t.db);
    expect(await stateOf(loan.id)).toBe("migrated");
    await expectZeroDiffs(t.db, "all");
    expect((await getProgress(t.db)).totals).toMatchObject({ total: 9, migrated: 7, failed: 2, pending: 0 });
  });

  it("a halted retry run: a new loan is still migrated", async () => {
    for (let i = 0; i < 3; i++) await insertPrestamo(t.db, {});
    const bad = await insertPrestamo(t.db, { estado: "raro" });
    expect(await runAll({ errorThresholdPct: 50 })).toMatchObject({ status: "finished", failed: 1 });
    const retried = await runAll({ retry: true, errorThresholdPct: 1 });
    expect(retried).toMatchObject({ status: "halted", processed: 1, failed: 1 });
    const loan = await insertPrestamo(t.db, {});
    await drainAll(t.db);
    expect(await stateOf(loan.id)).toBe("migrated");
    expect(await stateOf(bad.id)).toBe("failed");
    await expectZeroDiffs(t.db, "all");
  });

  it("a stopped run: a changed pending prestamo is migrated, a rolled back one is not followed", async () => {
    const ids: number[] = [];
    for (let i = 0; i < 5; i++) ids.push((await insertPrestamo(t.db, {})).id);
    const run = await startRun(t.db, { batchSize: 2, errorThresholdPct: 50, workers: 1 }, admin, W);
    expect((await processBatch(t.db, run.id, W)).kind).toBe("batch");
    await t.db.execute(sql`update migration_runs set stop_requested_by = 'test' where id = ${run.id}`);
    expect((await runToEnd(t.db, run.id, W))?.status).toBe("stopped");
    await rollbackOne(t.db, ids[0], admin);
    await t.db.execute(sql`update prestamos set monto = 77, updated_at = now() where id in (${ids[0]}, ${ids[4]})`);
    await drainAll(t.db);
    expect(await stateOf(ids[4])).toBe("migrated");
    expect(await stateOf(ids[0])).toBe("rolled_back");
    expect(await hasNewRow(ids[0])).toBe(false);
    expect(await stateOf(ids[2])).toBe("pending"); // unchanged and not walked: left to the next run
    await expectZeroDiffs(t.db, "migrated");
  });

  it("after a rollback of all, nothing pending is followed until the next start", async () => {
    const a = await insertPrestamo(t.db, {});
    await runAll();
    await rollbackAll(t.db, admin);
    await t.db.execute(sql`update prestamos set monto = 5, updated_at = now() where id = ${a.id}`);
    const late = await insertPrestamo(t.db, {});
    await drainAll(t.db);
    expect([await stateOf(a.id), await stateOf(late.id)]).toEqual(["pending", "pending"]);
    // The next start follows again, before its run has walked anything.
    const run = await startRun(t.db, { batchSize: 100, errorThresholdPct: 50 }, admin, W);
    const later = await insertPrestamo(t.db, {});
    await drainAll(t.db);
    expect(await stateOf(later.id)).toBe("migrated");
    await runToEnd(t.db, run.id, W);
    await expectZeroDiffs(t.db, "all");
  });

  it("a rolled back prestamo deleted from legacy loses its state: the totals add up and pending is exact", async () => {
    const ids: number[] = [];
    for (let i = 0; i < 4; i++) ids.push((await insertPrestamo(t.db, {}, [{ monto: "3" }])).id);
    await runAll();
    await rollbackOne(t.db, ids[1], admin);
    await t.db.execute(sql`delete from pagos_prestamo where prestamo_id = ${ids[1]}`);
    await t.db.execute(sql`delete from prestamos where id = ${ids[1]}`);
    // Before the sync: the deletion is queued, pending stays exact.
    const queued = await getProgress(t.db);
    expect(queued.totals).toMatchObject({ total: 3, migrated: 3, rolledBack: 1, pending: 0 });
    await drainAll(t.db);
    expect(await stateOf(ids[1])).toBe("pending");
    expect((await queryOne<{ n: number }>(t.db, sql`select count(*)::int as n from migration_state where legacy_id = ${ids[1]}`))!.n).toBe(0);
    const p = await getProgress(t.db);
    expect(p.totals).toMatchObject({ total: 3, migrated: 3, rolledBack: 0, pending: 0 });
    expect(p.totals.pending).toBe(await realPending());
    expect(p.totals.migrated + p.totals.failed + p.totals.rolledBack + p.totals.pending).toBe(p.totals.total);
  });
});

describe(`a start after a gap in capture on ${testDriver()}`, () => {
  it("after a cleanup, re-syncs every migrated prestamo changed meanwhile, visibly, before copying on", async () => {
    const ids: number[] = [];
    for (let i = 0; i < 12; i++) ids.push((await insertPrestamo(t.db, {}, [{ monto: "10" }, { monto: "20" }])).id);
    await runAll();
    await endCapture(t.db, admin);
    // The gap: an update, a deleted pago, a pago moved between prestamos, a deleted prestamo, a new loan.
    await t.db.execute(sql`update prestamos set monto = 4321, estado = 'vencido', updated_at = now() where id = ${ids[1]}`);
    await t.db.execute(sql`delete from pagos_prestamo where id = (select min(id) from pagos_prestamo where prestamo_id = ${ids[5]})`);
    await t.db.execute(sql`update pagos_prestamo set prestamo_id = ${ids[7]} where id = (select min(id) from pagos_prestamo where prestamo_id = ${ids[8]})`);
    await t.db.execute(sql`delete from pagos_prestamo where prestamo_id = ${ids[10]}`);
    await t.db.execute(sql`delete from prestamos where id = ${ids[10]}`);
    const loan = await insertPrestamo(t.db, {});
    const gapSummary = await getConsistencySummary(t.db);
    expect(gapSummary.fieldMatch.matching).toBeLessThan(gapSummary.migrated); // the gap is there to be seen

    const run = await startRun(t.db, { batchSize: 5, errorThresholdPct: 50, workers: 1 }, admin, W);
    const before = await getProgress(t.db);
    expect(before.phase).toBe("resync");
    expect(before.capture.resync).toMatchObject({ owed: true, checked: 0, rewritten: 0 });
    const first = await processBatch(t.db, run.id, W);
    expect(first).toMatchObject({ kind: "resync", checked: 5, done: false });
    expect((await getProgress(t.db)).capture.resync).toMatchObject({ owed: true, checked: 5, checkedTo: ids[4] });
    const ended = await runToEnd(t.db, run.id, W);
    expect(ended?.status).toBe("finished");
    const after = await getProgress(t.db);
    expect(after.capture.resync).toMatchObject({ owed: false, checked: 12, rewritten: 5 });
    expect(after.capture.resync.doneAt).not.toBeNull();
    expect(await stateOf(loan.id)).toBe("migrated");
    expect(await stateOf(ids[10])).toBe("pending");
    await expectZeroDiffs(t.db, "all");
    const summary = await getConsistencySummary(t.db);
    expect(summary.fieldMatch.matching).toBe(summary.migrated);
  });

  it("triggers found disabled count as off, and the start that enables them again re-syncs", async () => {
    const ids: number[] = [];
    for (let i = 0; i < 3; i++) ids.push((await insertPrestamo(t.db, {})).id);
    await runAll();
    await t.db.execute(sql`alter table prestamos disable trigger user`);
    expect(await isCaptureInstalled(t.db)).toBe(false);
    expect((await getProgress(t.db)).capture.enabled).toBe(false);
    expect((await getVerifyReport(t.db)).capture.enabled).toBe(false);
    await t.db.execute(sql`update prestamos set cliente_nombre = 'Cambiado sin captura', updated_at = now() where id = ${ids[2]}`);
    await runAll();
    expect(await isCaptureInstalled(t.db)).toBe(true);
    expect((await getProgress(t.db)).capture.resync).toMatchObject({ owed: false, checked: 3, rewritten: 1 });
    await expectZeroDiffs(t.db, "all");
  });

  it("writes made with session_replication_role = replica are captured (ENABLE ALWAYS)", async () => {
    const a = await insertPrestamo(t.db, {}, [{ monto: "1" }]);
    await runAll();
    await t.db.transaction(async (tx) => {
      await tx.execute(sql`set local session_replication_role = replica`);
      await tx.execute(sql`update prestamos set monto = 999, updated_at = now() where id = ${a.id}`);
      await tx.execute(sql`insert into pagos_prestamo (prestamo_id, monto, fecha_pago, metodo) values (${a.id}, 5, '2024-03-01', 'cash')`);
    });
    expect((await drainAll(t.db)) > 0).toBe(true);
    await expectZeroDiffs(t.db, "all");
    expect((await getVerifyReport(t.db)).capture.triggers.every((x) => x.enabled)).toBe(true);
  });

  it("the trigger functions run with a fixed search_path, whatever the session's", async () => {
    await insertPrestamo(t.db, {});
    await runAll();
    const fns = await queryRows<{ proname: string; config: string }>(
      t.db,
      sql`select proname, array_to_string(proconfig, ';') as config from pg_proc
          where proname in ('console_capture_prestamos_fn', 'console_capture_pagos_fn') and pronamespace = current_schema()::regnamespace order by proname`,
    );
    expect(fns.map((f) => f.proname)).toEqual(["console_capture_pagos_fn", "console_capture_prestamos_fn"]);
    for (const f of fns) expect(f.config).toMatch(/^search_path=pg_catalog, /);
  });
});

describe(`a pago that moves between loans on ${testDriver()}`, () => {
  // A sync reads the legacy rows as they are when its statement runs: the move can be committed
  // after the sync took its queue entries and before it reads. Syncing either loan alone must
  // then rewrite the other one too, in the same statement, or the new tables disagree with
  // themselves (a loan's totals counting a pago now under another) until the next batch.
  for (const synced of ["to", "from"] as const) {
    it(`a sync of only the loan it moved ${synced} leaves both loans right`, async () => {
      const from = await insertPrestamo(t.db, {}, [{ monto: "10" }, { monto: "1" }]);
      const to = await insertPrestamo(t.db, {}, [{ monto: "20" }]);
      expect((await runAll())?.status).toBe("finished");
      const moved = (await queryOne<{ id: number }>(t.db, sql`select min(id)::int as id from pagos_prestamo where prestamo_id = ${from.id}`))!.id;
      await t.db.execute(sql`update pagos_prestamo set prestamo_id = ${to.id} where id = ${moved}`);
      await t.db.transaction(async (tx) => {
        await lockWriters(tx, "exclusive");
        await syncPrestamos(tx, [synced === "to" ? to.id : from.id], { take: "tracked" });
      });
      await expectZeroDiffs(t.db, "all");
      expect((await wayBackMismatches(t.db)).count).toBe(0);
      const totals = await queryRows<{ legacy_id: number; total: string; n: number }>(
        t.db,
        sql`select legacy_id, total_pagado_cents::text as total, pagos_count::int as n from prestamos_new where legacy_id in (${from.id}, ${to.id}) order by legacy_id`,
      );
      expect(totals).toEqual([
        { legacy_id: from.id, total: "100", n: 1 },
        { legacy_id: to.id, total: "3000", n: 2 },
      ]);
    });
  }
});

describe(`what a sync writes on ${testDriver()}`, () => {
  it("rewrites the loan and the pago that changed, leaves its other pagos' rows as they were, and still counts them all", async () => {
    const loan = await insertPrestamo(t.db, {}, [{ monto: "10" }, { monto: "20" }, { monto: "30" }, { monto: "40" }]);
    expect((await runAll())?.status).toBe("finished");
    const versions = () =>
      queryRows<{ legacy_id: number; v: string }>(
        t.db,
        sql`select legacy_id, xmin::text as v from pagos_prestamo_new where legacy_id = any(${`{${loan.pagoIds.join(",")}}`}::int[]) order by legacy_id`,
      );
    const before = await versions();
    const changed = loan.pagoIds[1];
    await t.db.execute(sql`update pagos_prestamo set monto = 25 where id = ${changed}`);
    const synced = await drainCapture(t.db);
    expect(synced).toMatchObject({ entries: 1, prestamos: 1, pagos: 4 });
    const after = await versions();
    expect(after.filter((r, i) => r.v !== before[i].v).map((r) => r.legacy_id)).toEqual([changed]);
    expect(
      (await queryOne<{ total: string }>(t.db, sql`select total_pagado_cents::text as total from prestamos_new where legacy_id = ${loan.id}`))!.total,
    ).toBe("10500");
    await expectZeroDiffs(t.db, "all");
  });
});

describe(`every legacy id on ${testDriver()}`, () => {
  it("a run and the consistency check walk ids zero and below", async () => {
    await t.db.execute(sql`insert into prestamos (id, cliente_nombre, monto, tasa_interes, plazo_meses, fecha_otorgamiento, estado, moneda)
                           values (-2147483648, 'Mínimo', 10, 1, 1, '2024-01-01', 'activo', 'PEN'),
                                  (-5, 'Negativo', 20, 1, 1, '2024-01-01', 'activo', 'PEN'),
                                  (0, 'Cero', 30, 1, 1, '2024-01-01', 'activo', 'PEN')`);
    await insertPago(t.db, -5, { monto: "4" });
    const positive = await insertPrestamo(t.db, {});
    const ended = await runAll({ batchSize: 2 });
    expect(ended).toMatchObject({ status: "finished", processed: 4, migrated: 4 });
    expect(await Promise.all([-2147483648, -5, 0, positive.id].map(stateOf))).toEqual(["migrated", "migrated", "migrated", "migrated"]);
    await expectZeroDiffs(t.db, "all");
    expect((await getProgress(t.db)).totals).toMatchObject({ total: 4, pending: 0 });
    // The check sees them too: an altered new row of id -5 is a mismatch.
    await t.db.execute(sql`update prestamos_new set monto_cents = 1 where legacy_id = -5`);
    const summary = await getConsistencySummary(t.db);
    expect(summary).toMatchObject({ migrated: 4, fieldMatch: { matching: 3 } });
    await migrateSingle(t.db, -5, admin);
    expect((await getVerifyReport(t.db)).dryRun).toMatchObject({ checked: 4, valid: 4 });
  });
});
