/**
 * The independent comparison judged against the spec's own words: on the test-data generator's
 * dirty output (every spelling the spec maps, not only the seed's few), and on each synonym of
 * MIGRATION-SPEC §3 written here as a literal, so neither side can agree with the other through a
 * shared wrong table.
 */
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { queryRows } from "@/db/sql";
import type { Actor } from "@/lib/audit";
import { openTestDb, testDriver, type TestDb } from "@/lib/testing/db";
import { insertPrestamo, migrateAll } from "@/lib/testing/factories";
import { independentCompare } from "@/lib/testing/independent";
import { resetMigrationTables } from "@/lib/testing/reset";
import { expectZeroDiffs } from "@/lib/testing/zero-diffs";
import { startRun } from "./runs";
import { runToEnd } from "@/lib/testing/run-to-end";
import { createTestData } from "./test-data";

let t: TestDb;
const admin: Actor = { name: "admin@test.local", kind: "user", role: "admin" };

beforeAll(async () => {
  t = await openTestDb();
});
afterAll(async () => t?.dispose());
beforeEach(() => resetMigrationTables(t.db, ["test_data_rows", "test_data_sets", "console_audit_log"]));

// MIGRATION-SPEC §3, copied from the spec: legacy spelling → value in the new tables.
const ESTADOS: [string, string][] = [
  ["activo", "activo"],
  ["vigente", "activo"],
  ["al dia", "activo"],
  ["mora", "en_mora"],
  ["en mora", "en_mora"],
  ["en_mora", "en_mora"],
  ["moroso", "en_mora"],
  ["vencido", "en_mora"],
  ["pagado", "pagado"],
  ["cancelado", "pagado"],
  ["liquidado", "pagado"],
  ["castigado", "castigado"],
  ["anulado", "anulado"],
];
const MONEDAS: [string | null, string][] = [
  [null, "PEN"],
  ["", "PEN"],
  ["PEN", "PEN"],
  ["S/", "PEN"],
  ["S/.", "PEN"],
  ["SOLES", "PEN"],
  ["USD", "USD"],
  ["US$", "USD"],
  ["DOLARES", "USD"],
];
const METODOS: [string | null, string][] = [
  ["efectivo", "efectivo"],
  ["cash", "efectivo"],
  ["transferencia", "transferencia"],
  ["transf", "transferencia"],
  ["tef", "transferencia"],
  ["deposito", "deposito"],
  ["cheque", "cheque"],
  ["tarjeta", "otro"],
  [null, "otro"],
];
/** What the application may have stored around a spelling: case and white space the spec's clean() removes. */
const dirty = (s: string, i: number) => [s, ` ${s.toUpperCase()} `, `\t${s.charAt(0).toUpperCase()}${s.slice(1).replace(/ /g, "  ")}\n`][i % 3];

/** lower(clean(x)) written here, apart from rules.ts: to list which spellings a data set holds. */
const cleanLower = (s: string) =>
  s
    .replace(/[ \t\n\r\f\v]+/g, " ")
    .trim()
    .toLowerCase();

describe(`the independent comparison on generated dirty data on ${testDriver()}`, () => {
  it("a run over the generator's output ends at zero diffs, and that output holds every spelling the spec maps", async () => {
    const made = await createTestData(t.db, { count: 800, dirtyPct: 10, seed: 13 }, admin);
    const run = await startRun(t.db, { batchSize: 200, errorThresholdPct: 50 }, admin, "independent-worker");
    expect(await runToEnd(t.db, run.id, "independent-worker")).toMatchObject({ status: "finished", processed: 800 });
    const report = await expectZeroDiffs(t.db, "all");
    expect(report.counts.legacyValid).toBe(report.counts.migrated);
    expect(report.counts.migrated).toBe(800 - made.set.summary!.brokenPrestamos);

    const seen = async (q: ReturnType<typeof sql>) =>
      new Set((await queryRows<{ v: string | null }>(t.db, q)).map((r) => (r.v === null ? null : cleanLower(r.v))));
    const estados = await seen(sql`select distinct estado as v from prestamos`);
    const monedas = await seen(sql`select distinct moneda as v from prestamos`);
    const metodos = await seen(sql`select distinct metodo as v from pagos_prestamo`);
    for (const [spelling] of ESTADOS) expect(estados, spelling).toContain(spelling);
    for (const [spelling] of MONEDAS) if (spelling) expect(monedas, spelling).toContain(spelling.toLowerCase());
    for (const [spelling] of METODOS) if (spelling && spelling !== "tarjeta") expect(metodos, spelling).toContain(spelling);
  });
});

describe(`the spec's synonyms, as literals, on ${testDriver()}`, () => {
  it("each spelling lands as the spec's value, and the independent comparison agrees with it", async () => {
    const want: { id: number; estado: string; moneda: string; metodo: string }[] = [];
    const n = Math.max(ESTADOS.length, MONEDAS.length, METODOS.length) * 3;
    for (let i = 0; i < n; i++) {
      const [estado, estadoNew] = ESTADOS[i % ESTADOS.length];
      const [moneda, monedaNew] = MONEDAS[i % MONEDAS.length];
      const [metodo, metodoNew] = METODOS[i % METODOS.length];
      const { id } = await insertPrestamo(t.db, { estado: dirty(estado, i), moneda: moneda === null ? null : dirty(moneda, i + 1) }, [
        { metodo: metodo === null ? null : dirty(metodo, i + 2), monto: "1.00" },
      ]);
      want.push({ id, estado: estadoNew, moneda: monedaNew, metodo: metodoNew });
    }
    expect(await migrateAll(t.db)).toEqual({ migrated: n, failed: 0 });
    const got = await queryRows<{ id: number; estado: string; moneda: string; metodo: string }>(
      t.db,
      sql`select p.legacy_id as id, p.estado, p.moneda, g.metodo from prestamos_new p join pagos_prestamo_new g on g.prestamo_id = p.id order by p.legacy_id`,
    );
    expect(got.map((r) => ({ ...r, id: Number(r.id) }))).toEqual(want);
    await expectZeroDiffs(t.db, "all");
  });

  it("spellings the spec does not list fail on both sides", async () => {
    const bad = [
      await insertPrestamo(t.db, { estado: "al día" }), // accented: not the spec's `al dia`
      await insertPrestamo(t.db, { estado: "en-mora" }),
      await insertPrestamo(t.db, { estado: null }),
      await insertPrestamo(t.db, { moneda: "S/ ." }),
      await insertPrestamo(t.db, { moneda: "EUR" }),
      await insertPrestamo(t.db, { moneda: "DÓLARES" }),
    ];
    const ok = await insertPrestamo(t.db, { estado: "VENCIDO", moneda: "s/." });
    expect(await migrateAll(t.db)).toEqual({ migrated: 1, failed: bad.length });
    const report = await expectZeroDiffs(t.db, "all");
    expect(report.counts).toEqual({ legacyValid: 1, migrated: 1 });
    expect((await queryRows<{ id: number }>(t.db, sql`select legacy_id as id from prestamos_new`)).map((r) => Number(r.id))).toEqual([ok.id]);
  });

  it("a synonym's new value altered is a diff the independent comparison reports", async () => {
    const a = await insertPrestamo(t.db, { estado: "liquidado", moneda: "DOLARES" }, [{ metodo: "tef" }]);
    await migrateAll(t.db);
    await expectZeroDiffs(t.db, "all");
    await t.db.execute(sql`update prestamos_new set estado = 'activo', moneda = 'PEN' where legacy_id = ${a.id}`);
    await t.db.execute(sql`update pagos_prestamo_new set metodo = 'otro'`);
    const report = await independentCompare(t.db, "all");
    expect(report.columnDiffs.map((d) => [d.legacyId, d.column, d.expected, d.actual])).toEqual([
      [a.id, "estado", "pagado", "activo"],
      [a.id, "moneda", "USD", "PEN"],
    ]);
    expect(report.pagoDiffs).toHaveLength(1);
  });
});
