import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTestDb, testDriver, type TestDb } from "@/lib/testing/db";
import { insertPago, insertPrestamo, migrateAll } from "@/lib/testing/factories";
import { listFailures } from "./failures";
import { installCapture } from "./capture";
import { getMetrics } from "./metrics";
import { dryRun, getVerifyReport } from "./verify";

let t: TestDb;
const id: Record<string, number> = {};
const pago: Record<string, number[]> = {};

beforeAll(async () => {
  t = await openTestDb();
  const make = async (name: string, f: Parameters<typeof insertPrestamo>[1], g: Parameters<typeof insertPrestamo>[2] = []) => {
    const r = await insertPrestamo(t.db, f, g);
    id[name] = r.id;
    pago[name] = r.pagoIds;
  };
  await make("ok1", { cliente_nombre: " Ok\tUno " }, []);
  await make("monto0", { monto: "0" });
  await make("montoNullTasa", { monto: null, tasa_interes: 300 });
  await make("fecha", { fecha_otorgamiento: "31/02/2021" });
  await make("estadoMoneda", { estado: "raro", moneda: "EUR" });
  await make("pago", {}, [{ fecha_pago: "ayer", monto: "-1" }, { monto: "10" }]);
  await make("clientePlazo", { cliente_nombre: " \t ", plazo_meses: 0 });
  await make("ok2", {}, [{ monto: "5" }, { monto: "6", anulado: true }]);
  await insertPago(t.db, null);
  await insertPago(t.db, 424242);
});
afterAll(async () => {
  await t?.dispose();
});

const EXPECTED_BY_CODE = {
  INVALID_CLIENTE: 1,
  INVALID_MONTO: 2,
  INVALID_TASA: 1,
  INVALID_PLAZO: 1,
  INVALID_FECHA: 1,
  UNKNOWN_ESTADO: 1,
  UNKNOWN_MONEDA: 1,
  INVALID_PAGO: 1,
};

describe(`verify on ${testDriver()}`, () => {
  it("dry run counts invalid prestamos by code, writing nothing", async () => {
    const d = await dryRun(t.db);
    expect(d).toMatchObject({ checked: 8, valid: 2, invalid: 6, byCode: EXPECTED_BY_CODE, failingRules: 10, pagosOfPrestamos: 4, pagosOfValid: 2, chunks: 1 });
    const small = await dryRun(t.db, { chunkSize: 3 });
    expect({ ...small, durationMs: 0, chunks: 0 }).toEqual({ ...d, durationMs: 0, chunks: 0 });
    expect(small.chunks).toBe(3);
    const written = await t.db.execute(sql`SELECT 1 FROM migration_state UNION ALL SELECT 1 FROM prestamos_new UNION ALL SELECT 1 FROM migration_failures`);
    expect(Array.isArray(written) ? written.length : (written as { rows: unknown[] }).rows.length).toBe(0);
  });

  it("reports legacy counts, states, new tables, capture, active run and database", async () => {
    const before = await getVerifyReport(t.db);
    expect(before.legacy).toEqual({ prestamos: 8, pagos: 6, orphanPagos: 2, orphanPagosNull: 1, orphanPagosDangling: 1 });
    expect(before.states).toEqual({ pending: 8, migrated: 0, failed: 0, rolledBack: 0 });
    expect(before.capture).toMatchObject({ enabled: false, backlog: 0, oldestCapturedAt: null, oldestAgeSeconds: null });
    expect(before.activeRun).toBeNull();
    expect(before.database.driver).toBe(testDriver());
    expect(before.database.version).toMatch(/PostgreSQL/);

    await migrateAll(t.db);
    await insertPrestamo(t.db, {}); // arrives after the run: pending
    await t.db.execute(sql`CREATE OR REPLACE FUNCTION verify_test_noop() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$`);
    await t.db.execute(sql`CREATE TRIGGER console_capture_prestamos AFTER INSERT ON prestamos FOR EACH ROW EXECUTE FUNCTION verify_test_noop()`);
    await t.db.execute(sql`INSERT INTO capture_changes (prestamo_id, captured_at) VALUES (${id.ok1}, now() - interval '90 seconds'), (${id.ok2}, now())`);
    await t.db.execute(sql`INSERT INTO migration_runs (status, batch_size, error_threshold_pct, started_by, checkpoint, processed, migrated, failed, pagos)
                           VALUES ('running', 500, 1, 'admin@example.com', ${id.ok2}, 8, 2, 6, 2)`);
    const half = await getVerifyReport(t.db);
    expect(half.capture.enabled).toBe(false); // only one of the two triggers
    await t.db.execute(sql`CREATE TRIGGER console_capture_pagos AFTER INSERT ON pagos_prestamo FOR EACH ROW EXECUTE FUNCTION verify_test_noop()`);

    const r = await getVerifyReport(t.db, { chunkSize: 4 });
    expect(r.legacy.prestamos).toBe(9);
    expect(r.dryRun).toMatchObject({ checked: 9, valid: 3, invalid: 6, byCode: EXPECTED_BY_CODE });
    expect(r.states).toEqual({ pending: 1, migrated: 2, failed: 6, rolledBack: 0 });
    expect(r.newTables).toEqual({ prestamos: 2, pagos: 2 });
    // Triggers of the capture triggers' names that call something else are not capture (§4).
    expect(r.capture.enabled).toBe(false);
    expect(r.capture.triggers.map((x) => [x.table, x.present, x.enabled])).toEqual([
      ["prestamos", true, false],
      ["pagos_prestamo", true, false],
    ]);
    await t.db.transaction((tx) => installCapture(tx, "verify-test"));
    const installed = await getVerifyReport(t.db);
    expect(installed.capture.enabled).toBe(true);
    expect(installed.capture.triggers.map((x) => [x.table, x.present, x.enabled])).toEqual([
      ["prestamos", true, true],
      ["pagos_prestamo", true, true],
    ]);
    await t.db.execute(sql`ALTER TABLE pagos_prestamo DISABLE TRIGGER USER`);
    expect((await getVerifyReport(t.db)).capture.triggers.map((x) => x.enabled)).toEqual([true, false]);
    await t.db.execute(sql`ALTER TABLE pagos_prestamo ENABLE TRIGGER USER`); // enabled, but not ALWAYS: a replica session would skip it
    expect((await getVerifyReport(t.db)).capture.enabled).toBe(false);
    expect(r.capture.backlog).toBe(2);
    expect(r.capture.oldestAgeSeconds).toBeGreaterThanOrEqual(89);
    expect(r.activeRun).toMatchObject({ status: "running", checkpoint: id.ok2, processed: 8, failed: 6, batchSize: 500, errorThresholdPct: 1 });
    expect(JSON.parse(JSON.stringify(r))).toEqual(r); // JSON-safe
  });
});

describe(`failures on ${testDriver()}`, () => {
  it("pages failed prestamos with their rules", async () => {
    const p1 = await listFailures(t.db, { page: 1, limit: 2 });
    expect(p1.total).toBe(6);
    expect(p1.totalFailed).toBe(6);
    expect(p1.hasMore).toBe(true);
    expect(p1.items.map((i) => i.legacyId)).toEqual([id.monto0, id.montoNullTasa]);
    expect(p1.items[1]).toMatchObject({
      codes: ["INVALID_MONTO", "INVALID_TASA"],
      rules: [
        { code: "INVALID_MONTO", field: "monto", value: null, pagoId: null },
        { code: "INVALID_TASA", field: "tasa_interes", value: "300.000", pagoId: null },
      ],
    });
    const p3 = await listFailures(t.db, { page: 3, limit: 2 });
    expect(p3.items.map((i) => i.legacyId)).toEqual([id.pago, id.clientePlazo]);
    expect(p3.hasMore).toBe(false);
    expect(p3.items[0].rules).toEqual([
      { code: "INVALID_PAGO", field: "fecha_pago", value: "ayer", pagoId: pago.pago[0] },
      { code: "INVALID_PAGO", field: "monto", value: "-1.00", pagoId: pago.pago[0] },
    ]);
    expect(Object.fromEntries(Object.entries(p1.countsByCode).map(([c, v]) => [c, v.prestamos]))).toEqual(EXPECTED_BY_CODE);
    expect(p1.countsByCode.INVALID_PAGO.rules).toBe(2);
  });

  it("filters by code and by legacy id", async () => {
    const m = await listFailures(t.db, { code: "INVALID_MONTO", page: 1, limit: 50 });
    expect(m.items.map((i) => i.legacyId)).toEqual([id.monto0, id.montoNullTasa]);
    expect(m.total).toBe(2);
    expect(m.items[1].rules).toHaveLength(2); // every rule of the prestamo, not only the filtered code
    const e = await listFailures(t.db, { code: "UNKNOWN_MONEDA", page: 2, limit: 1 });
    expect(e.items).toEqual([]);
    const one = await listFailures(t.db, { legacyId: id.fecha, page: 1, limit: 50 });
    expect(one.items).toMatchObject([{ legacyId: id.fecha, rules: [{ code: "INVALID_FECHA", value: "31/02/2021" }] }]);
    expect((await listFailures(t.db, { legacyId: id.ok1, page: 1, limit: 50 })).items).toEqual([]);
  });
});

describe(`metrics on ${testDriver()}`, () => {
  it("gives the batch series, throughput, error rate and system figures", async () => {
    const run = await t.db.execute(sql`SELECT id FROM migration_runs WHERE status = 'running'`);
    const runId = Number((Array.isArray(run) ? run : (run as { rows: { id: number }[] }).rows)[0].id);
    await t.db.execute(sql`INSERT INTO migration_batches (run_id, kind, started_at, finished_at, duration_ms, from_id, to_id, prestamos, pagos, failures) VALUES
      (${runId}, 'run', now() - interval '10 minutes', now() - interval '10 minutes', 120.5, 1, 4, 4, 3, 3),
      (${runId}, 'run', now() - interval '5 seconds', now() - interval '5 seconds', 80, 5, 8, 4, 1, 3),
      (NULL, 'sync', now() - interval '2 seconds', now() - interval '2 seconds', 10, NULL, NULL, 2, 4, 0)`);
    const m = await getMetrics(t.db, { limit: 50 });
    expect(m.run).toMatchObject({ id: runId, status: "running", processed: 8, pagos: 2 });
    expect(m.batches.map((b) => [b.kind, b.prestamos, b.failures, b.errorRatePct])).toEqual([
      ["run", 4, 3, 75],
      ["run", 4, 3, 75],
    ]);
    expect(m.errorRatePct).toBe(75);
    expect(m.throughput.last30s).toEqual({ prestamosPerSec: 0.2, pagosPerSec: 0.17, batches: 2 });
    expect(m.throughput.overall!.elapsedSec).toBeGreaterThanOrEqual(0);
    const limited = await getMetrics(t.db, { runId, limit: 1 });
    expect(limited.batches.map((b) => b.toId)).toEqual([8]);
    expect(m.system.memory.rssBytes).toBeGreaterThan(0);
    expect(m.system.dbConnections).toBeGreaterThanOrEqual(1);
    expect(m.system.newTablesBytes.total).toBeGreaterThan(0);
    expect(m.system.cpuPct).toBeGreaterThanOrEqual(0);
    await new Promise((r) => setTimeout(r, 30));
    const again = await getMetrics(t.db, { limit: 5 });
    expect(again.system.cpuWindowMs).toBeLessThan(10_000);
    expect(again.system.eventLoopLagMs.max).toBeGreaterThanOrEqual(0);
    expect(JSON.parse(JSON.stringify(again))).toEqual(again);
    await expect(getMetrics(t.db, { runId: 999, limit: 5 })).rejects.toMatchObject({ code: "NOT_FOUND" });
  });
});
