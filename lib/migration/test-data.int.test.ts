import { sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { queryOne, queryRows } from "@/db/sql";
import type { Actor } from "@/lib/audit";
import { AppError } from "@/lib/errors";
import { openTestDb, testDriver, type TestDb } from "@/lib/testing/db";
import { resetMigrationTables } from "@/lib/testing/reset";
import { insertPago, insertPrestamo, migrateAll, syncIds } from "@/lib/testing/factories";
import { asciiLower, asciiUpper, clean, mapMetodo, parseDate } from "./legacy-values";
import { type LegacyPago, FAILURE_CODES, transformPrestamo } from "./rules";
import { listFailures } from "./failures";
import { startRun } from "./runs";
import { runToEnd } from "@/lib/testing/run-to-end";
import { designedFailures, evaluateTestData, readPagosOf, readTestPrestamos } from "@/lib/testing/test-data";
import { createTestData, deleteTestData, listTestData, seedDemoData } from "./test-data";
import { brokenTarget, orphanTarget } from "./test-data-plan";

// The spellings MIGRATION-SPEC §3 maps, copied from the spec (not from rules.ts): the generator
// must produce every one of them.
const SPEC_ESTADOS = [
  "activo",
  "vigente",
  "al dia",
  "mora",
  "en mora",
  "en_mora",
  "moroso",
  "vencido",
  "pagado",
  "cancelado",
  "liquidado",
  "castigado",
  "anulado",
];
const SPEC_MONEDAS = ["", "PEN", "S/", "S/.", "SOLES", "USD", "US$", "DOLARES"];
const SPEC_METODOS = ["efectivo", "cash", "transferencia", "transf", "tef", "deposito", "cheque"];

let t: TestDb;
const admin: Actor = { name: "admin@test.local", kind: "user", role: "admin" };

const reset = () => resetMigrationTables(t.db, ["test_data_rows", "test_data_sets", "console_audit_log"]);

/** A set's values in generation order, without ids or timestamps (pagos by their prestamo's position). */
async function valuesOf(setId: number) {
  const prestamos = await readTestPrestamos(t.db, setId, 0, 1_000_000);
  const pagos = await readPagosOf(
    t.db,
    prestamos.map((p) => p.id),
  );
  return prestamos.map((p, i) => {
    const { id: _id, updated_at: _u, ...values } = p;
    return { n: i + 1, ...values, pagos: (pagos.get(p.id) ?? []).map(({ id: _gid, prestamo_id: _pid, ...g }) => g) };
  });
}

/** Every raw legacy prestamo of a set and its pagos. */
async function rawOf(setId: number) {
  const prestamos = await readTestPrestamos(t.db, setId, 0, 1_000_000);
  const pagosBy = await readPagosOf(
    t.db,
    prestamos.map((p) => p.id),
  );
  return { prestamos, pagosBy };
}

beforeAll(async () => {
  t = await openTestDb();
});
afterAll(async () => t?.dispose());
beforeEach(reset);

describe(`test data generator on ${testDriver()}`, () => {
  it("makes count prestamos with 0..12 pagos, dirtyPct % broken across every failure code, and the claims are the rules' verdict row by row", async () => {
    const opts = { count: 1000, dirtyPct: 10, seed: 42 };
    const made = await createTestData(t.db, opts, admin);
    expect(made.prestamos).toBe(1000);
    expect(made.brokenPrestamos).toBe(brokenTarget(1000, 10));
    expect(made.brokenPrestamos).toBe(100);
    expect(made.orphans).toBe(orphanTarget(1000));
    expect(made.set).toMatchObject({ seed: 42, count: 1000, dirtyPct: 10, createdBy: admin.name });
    expect(JSON.parse(JSON.stringify(made))).toStrictEqual(made); // JSON-safe DTO

    // The rules (transformPrestamo over the rows as read back) agree with every claim.
    const verdict = await evaluateTestData(t.db, made.set.id);
    expect(verdict.prestamos).toBe(1000);
    expect(verdict.failed).toBe(made.brokenPrestamos);
    expect(verdict.broken).toStrictEqual(made.broken);
    for (const code of FAILURE_CODES) expect(made.broken[code], code).toBeGreaterThan(0);
    expect(verdict.orphans.nullPrestamo + verdict.orphans.dangling).toBe(made.orphans);
    expect(verdict.orphans.nullPrestamo).toBeGreaterThan(0);
    expect(verdict.orphans.dangling).toBeGreaterThan(0);

    // Row by row: the n-th prestamo fails with exactly the codes it was designed to fail with.
    const designed = await designedFailures(t.db, opts);
    const failedBy = new Map(verdict.failures.map((f) => [f.legacyId, f.codes]));
    const { prestamos, pagosBy } = await rawOf(made.set.id);
    expect(prestamos).toHaveLength(1000);
    prestamos.forEach((p, i) => expect(failedBy.get(p.id) ?? [], `prestamo n=${i + 1}`).toStrictEqual(designed[i]));
    expect(designed.filter((d) => d.length > 1).length).toBeGreaterThan(0); // some fail on two rules

    // 0..12 pagos each, ~6 on average; every created row tracked.
    const counts = prestamos.map((p) => pagosBy.get(p.id)?.length ?? 0);
    expect(Math.min(...counts)).toBe(0);
    expect(Math.max(...counts)).toBe(12);
    expect(made.pagos / made.prestamos).toBeGreaterThan(5.5);
    expect(made.pagos / made.prestamos).toBeLessThan(6.5);
    const tracked = await queryOne<{ p: number; g: number }>(
      t.db,
      sql`select count(*) filter (where kind = 'prestamo')::int as p, count(*) filter (where kind = 'pago')::int as g from test_data_rows where set_id = ${made.set.id}`,
    );
    const legacy = await queryOne<{ p: number; g: number }>(
      t.db,
      sql`select (select count(*) from prestamos)::int as p, (select count(*) from pagos_prestamo)::int as g`,
    );
    expect(tracked).toStrictEqual({ p: 1000, g: made.pagos + made.orphans });
    expect(legacy).toStrictEqual(tracked);
    const orphanIds = await queryRows<{ prestamo_id: number | null }>(
      t.db,
      sql`select g.prestamo_id from pagos_prestamo g where g.prestamo_id is null or not exists (select 1 from prestamos p where p.id = g.prestamo_id)`,
    );
    expect(orphanIds).toHaveLength(made.orphans);
    for (const o of orphanIds) if (o.prestamo_id !== null) expect(Number(o.prestamo_id)).toBeLessThan(0);

    // The set row carries the summary; the audit row committed with it.
    const list = await listTestData(t.db);
    expect(list.sets).toHaveLength(1);
    expect(list.sets[0]).toMatchObject({ id: made.set.id, tracked: { prestamos: 1000, pagos: made.pagos + made.orphans }, migratedPrestamos: 0 });
    expect(list.sets[0].summary).toMatchObject({ prestamos: 1000, pagos: made.pagos, brokenPrestamos: 100, broken: made.broken });
    const audit = await queryRows(t.db, sql`select actor, action, outcome, target from console_audit_log order by id`);
    expect([...audit]).toStrictEqual([{ actor: admin.name, action: "testdata.create", outcome: "ok", target: `test_data_set:${made.set.id}` }]);
  });

  it("holds every accepted dirty form and every broken form, and the business warnings appear", async () => {
    const made = await createTestData(t.db, { count: 2000, dirtyPct: 10, seed: 5 }, admin);
    const { prestamos, pagosBy } = await rawOf(made.set.id);
    const passing = prestamos.filter((p) => transformPrestamo(p, pagosBy.get(p.id) ?? []).ok);
    const passingPagos = passing.flatMap((p) => pagosBy.get(p.id) ?? []);
    const some = (what: string, list: unknown[], pred: (x: never) => boolean) =>
      expect(
        list.some((x) => pred(x as never)),
        what,
      ).toBe(true);
    type P = (typeof prestamos)[number];
    type G = LegacyPago;

    // Names: leading / trailing / inner runs of spaces, tabs and newlines, case — all passing.
    some("leading white space", passing, (p: P) => /^[ \t\r\n]/.test(p.cliente_nombre!));
    some("trailing white space", passing, (p: P) => /[ \t\r\n]$/.test(p.cliente_nombre!));
    some("inner run of spaces", passing, (p: P) => /\S {2,}\S/.test(p.cliente_nombre!));
    some("tab", passing, (p: P) => p.cliente_nombre!.includes("\t"));
    some("newline", passing, (p: P) => p.cliente_nombre!.includes("\n"));
    some("upper-case name", passing, (p: P) => /^[^a-z]*[A-Z]{3}/.test(p.cliente_nombre!.trim()));
    // Documentos: dots, dashes, spaces, lower case, NULL, empty, punctuation only.
    for (const [what, re] of [
      ["dots", /\./],
      ["dashes", /-/],
      ["spaces", / /],
      ["lower case", /[a-z]/],
    ] as const) {
      some(`documento with ${what}`, passing, (p: P) => p.cliente_documento !== null && re.test(p.cliente_documento));
    }
    some("documento NULL", passing, (p: P) => p.cliente_documento === null);
    some("documento empty", passing, (p: P) => p.cliente_documento === "");
    some(
      "documento punctuation only",
      passing,
      (p: P) => p.cliente_documento !== null && p.cliente_documento !== "" && /^[^0-9A-Za-z]+$/.test(p.cliente_documento),
    );
    // Dates: both forms, 1- and 2-digit parts, white space around, leap days, the year limits.
    const fechas = passing.map((p) => p.fecha_otorgamiento!).concat(passingPagos.map((g) => g.fecha_pago!));
    for (const [what, re] of [
      ["YYYY-MM-DD", /^\d{4}-\d{2}-\d{2}$/],
      ["D/M/YYYY", /^\d\/\d\/\d{4}$/],
      ["DD/MM/YYYY", /^\d{2}\/\d{2}\/\d{4}$/],
      ["D/MM/YYYY", /^\d\/\d{2}\/\d{4}$/],
      ["DD/M/YYYY", /^\d{2}\/\d\/\d{4}$/],
    ] as const) {
      some(`fecha ${what}`, fechas, (f: string) => re.test(f));
      some(`fecha ${what} with white space`, fechas, (f: string) => f !== clean(f) && re.test(clean(f)!));
    }
    some("leap day 29/2/2024", fechas, (f: string) => clean(f) === "29/2/2024");
    some("leap day 2000", fechas, (f: string) => parseDate(f) === "2000-02-29");
    some("year 1900", fechas, (f: string) => parseDate(f)?.startsWith("1900-") ?? false);
    some("year 2100", fechas, (f: string) => parseDate(f)?.startsWith("2100-") ?? false);
    // Estado: every synonym, in mixed case and with white space.
    for (const key of SPEC_ESTADOS) {
      some(`estado ${key}`, passing, (p: P) => asciiLower(clean(p.estado)!) === key);
      some(`estado ${key} not as is`, passing, (p: P) => p.estado !== key && asciiLower(clean(p.estado)!) === key);
    }
    some("estado with white space", passing, (p: P) => p.estado !== clean(p.estado));
    some("estado mixed case", passing, (p: P) => /[a-z]/.test(p.estado!) && /[A-Z]/.test(p.estado!));
    // Moneda: every form, NULL and empty included, 'S/.' and 'us$'.
    some("moneda NULL", passing, (p: P) => p.moneda === null);
    some("moneda empty", passing, (p: P) => p.moneda === "");
    some("moneda S/.", passing, (p: P) => p.moneda === "S/.");
    some("moneda us$", passing, (p: P) => clean(p.moneda) === "us$");
    for (const key of SPEC_MONEDAS) some(`moneda ${key}`, passing, (p: P) => p.moneda !== null && asciiUpper(clean(p.moneda)!) === key);
    // Metodo: every synonym, NULL, unknown ones (→ otro).
    for (const key of SPEC_METODOS) some(`metodo ${key}`, passingPagos, (g: G) => g.metodo !== null && asciiLower(clean(g.metodo)!) === key);
    some("metodo NULL", passingPagos, (g: G) => g.metodo === null);
    some("metodo unknown → otro", passingPagos, (g: G) => !!clean(g.metodo) && mapMetodo(g.metodo) === "otro");
    // Voided pagos, some of them odd-looking but valid.
    some("voided pago", passingPagos, (g: G) => g.anulado);
    some("voided pago that looks wrong", passingPagos, (g: G) => g.anulado && g.monto === "0.01" && clean(g.metodo) === "ANULADO");
    // Warnings of §5 over the passing prestamos.
    const verdict = await evaluateTestData(t.db, made.set.id);
    expect(verdict.warnings.SOBREPAGO).toBeGreaterThan(0);
    expect(verdict.warnings.PAGADO_CON_SALDO).toBeGreaterThan(0);
    expect(verdict.warnings.SALDO_CERO_ACTIVO).toBeGreaterThan(0);

    // Broken on purpose: the forms the spec names.
    const failing = prestamos.filter((p) => !transformPrestamo(p, pagosBy.get(p.id) ?? []).ok);
    const has = (field: keyof P, value: unknown) => failing.some((p) => p[field] === value);
    for (const v of [null, "", "   "]) expect(has("cliente_nombre", v), `cliente ${JSON.stringify(v)}`).toBe(true);
    for (const v of [null, "0.00"]) expect(has("monto", v), `monto ${v}`).toBe(true);
    expect(failing.some((p) => p.monto !== null && Number(p.monto) < 0)).toBe(true);
    expect(has("tasa_interes", null)).toBe(true);
    expect(failing.some((p) => p.tasa_interes !== null && Number(p.tasa_interes) < 0)).toBe(true);
    expect(failing.some((p) => p.tasa_interes !== null && Number(p.tasa_interes) > 200)).toBe(true);
    for (const v of [null, 0]) expect(has("plazo_meses", v), `plazo ${v}`).toBe(true);
    expect(failing.some((p) => p.plazo_meses !== null && p.plazo_meses > 600)).toBe(true);
    for (const v of [null, "", "31/02/2021", "29/2/2023", "1899-12-31", "2101-01-01", "N/A"]) expect(has("fecha_otorgamiento", v), `fecha ${v}`).toBe(true);
    expect(has("estado", null)).toBe(true);
    expect(failing.some((p) => p.moneda !== null && !SPEC_MONEDAS.includes(asciiUpper(clean(p.moneda)!)))).toBe(true);
    const badPagos = failing
      .flatMap((p) => pagosBy.get(p.id) ?? [])
      .filter((g) => g.monto === null || Number(g.monto) <= 0 || parseDate(g.fecha_pago) === null);
    expect(badPagos.some((g) => g.monto === null || Number(g.monto) <= 0)).toBe(true);
    expect(badPagos.some((g) => parseDate(g.fecha_pago) === null)).toBe(true);
    expect(badPagos.some((g) => g.anulado)).toBe(true);
    expect(badPagos.some((g) => !g.anulado)).toBe(true);
  });

  it("is deterministic for a seed: same seed → same values, another seed → other values", async () => {
    const a = await createTestData(t.db, { count: 300, dirtyPct: 20, seed: 7 }, admin);
    const b = await createTestData(t.db, { count: 300, dirtyPct: 20, seed: 7 }, admin);
    const c = await createTestData(t.db, { count: 300, dirtyPct: 20, seed: 8 }, admin);
    const [va, vb, vc] = [await valuesOf(a.set.id), await valuesOf(b.set.id), await valuesOf(c.set.id)];
    expect(vb).toStrictEqual(va);
    expect(b.broken).toStrictEqual(a.broken);
    expect(b.pagos).toBe(a.pagos);
    expect(vc).not.toStrictEqual(va);
    const differing = va.filter((row, i) => JSON.stringify(row) !== JSON.stringify(vc[i])).length;
    expect(differing).toBeGreaterThan(250);
    expect(await designedFailures(t.db, { count: 300, dirtyPct: 20, seed: 8 })).not.toStrictEqual(
      await designedFailures(t.db, { count: 300, dirtyPct: 20, seed: 7 }),
    );
  });

  it("gives the same values on PGlite and on PostgreSQL (a fingerprint of seed 42)", async () => {
    const made = await createTestData(t.db, { count: 200, dirtyPct: 25, seed: 42 }, admin);
    const row = await queryOne<{ h: string }>(
      t.db,
      sql`select md5(string_agg(concat_ws('|', p.cliente_nombre, p.cliente_documento, p.monto, p.tasa_interes, p.plazo_meses, p.fecha_otorgamiento, p.estado, p.moneda,
                   (select string_agg(concat_ws(',', g.monto, g.fecha_pago, g.metodo, g.anulado), ';' order by g.id) from pagos_prestamo g where g.prestamo_id = p.id)), E'\n' order by p.id)) as h
          from test_data_rows r join prestamos p on p.id = r.legacy_id where r.kind = 'prestamo' and r.set_id = ${made.set.id}`,
    );
    expect(row?.h).toBe(FINGERPRINT_SEED_42);
  });

  it("dirtyPct 0 and 100, count 1", async () => {
    const none = await createTestData(t.db, { count: 50, dirtyPct: 0, seed: 1 }, admin);
    expect((await evaluateTestData(t.db, none.set.id)).failed).toBe(0);
    expect(none.brokenPrestamos).toBe(0);
    const all = await createTestData(t.db, { count: 50, dirtyPct: 100, seed: 1 }, admin);
    const v = await evaluateTestData(t.db, all.set.id);
    expect(v.failed).toBe(50);
    expect(v.broken).toStrictEqual(all.broken);
    const one = await createTestData(t.db, { count: 1, seed: -2147483648 }, admin);
    expect(one).toMatchObject({ prestamos: 1, orphans: 2, brokenPrestamos: 0 });
  });

  it("refuses out-of-range inputs with VALIDATION_ERROR and writes nothing", async () => {
    for (const bad of [{ count: 0 }, { count: 1_000_001 }, { count: 1.5 }, { dirtyPct: -1 }, { dirtyPct: 100.1 }, { seed: 2 ** 31 }, { seed: 0.5 }]) {
      const err = await createTestData(t.db, bad, admin).catch((e: unknown) => e);
      expect(err, JSON.stringify(bad)).toBeInstanceOf(AppError);
      expect((err as AppError).code).toBe("VALIDATION_ERROR");
    }
    expect(await queryOne(t.db, sql`select (select count(*) from prestamos)::int as p, (select count(*) from test_data_sets)::int as s`)).toStrictEqual({
      p: 0,
      s: 0,
    });
  });
});

describe(`deleting test data on ${testDriver()}`, () => {
  // Plain arrays: postgres.js returns its own Result array class.
  const rows = async (q: ReturnType<typeof sql>) => Array.from(await queryRows(t.db, q));
  const snapshot = async () => ({
    prestamos: await rows(sql`select * from prestamos order by id`),
    pagos: await rows(sql`select * from pagos_prestamo order by id`),
    prestamosNew: await rows(sql`select * from prestamos_new order by id`),
    pagosNew: await rows(sql`select * from pagos_prestamo_new order by id`),
    state: await rows(sql`select * from migration_state order by legacy_id`),
    failures: await rows(sql`select * from migration_failures order by id`),
  });

  it("removes exactly the tracked rows with their new rows and records, nothing else; idempotent; audited", async () => {
    // The application's own rows, before and after the test set (ids on both sides of it).
    const before1 = await insertPrestamo(t.db, { cliente_nombre: " Real  One " }, [{ monto: "10.00" }, { monto: "20.00", anulado: true }]);
    const realBad = await insertPrestamo(t.db, { monto: null }, [{}]);
    await insertPago(t.db, null, { monto: "5.00" });
    await insertPago(t.db, -5, { monto: "6.00" });
    const made = await createTestData(t.db, { count: 300, dirtyPct: 10, seed: 3 }, admin);
    const after1 = await insertPrestamo(t.db, { estado: " VIGENTE " }, [{ metodo: "cash" }]);
    const real = [before1.id, realBad.id, after1.id];

    // Migrate everything (test and real): new rows, states, failures on both sides.
    await migrateAll(t.db);
    await syncIds(t.db, real);
    const testIds = (await queryRows<{ id: number }>(t.db, sql`select legacy_id as id from test_data_rows where kind = 'prestamo'`)).map((r) => Number(r.id));
    const realOnly = async () => {
      const s = await snapshot();
      const isTestPrestamo = new Set(testIds);
      const testPagos = new Set(
        (await queryRows<{ id: number }>(t.db, sql`select legacy_id as id from test_data_rows where kind = 'pago'`)).map((r) => Number(r.id)),
      );
      return {
        prestamos: s.prestamos.filter((r) => !isTestPrestamo.has(Number(r.id))),
        pagos: s.pagos.filter((r) => !testPagos.has(Number(r.id))),
        prestamosNew: s.prestamosNew.filter((r) => !isTestPrestamo.has(Number(r.legacy_id))),
        pagosNew: s.pagosNew.filter((r) => !testPagos.has(Number(r.legacy_id))),
        state: s.state.filter((r) => !isTestPrestamo.has(Number(r.legacy_id))),
        failures: s.failures.filter((r) => !isTestPrestamo.has(Number(r.legacy_id))),
      };
    };
    const kept = await realOnly();
    expect(kept.prestamos).toHaveLength(3);
    expect(kept.pagos).toHaveLength(6);
    expect(kept.prestamosNew).toHaveLength(2);
    expect(kept.failures.length).toBeGreaterThan(0);
    const counts = await queryOne<{ n: number; s: number; f: number }>(
      t.db,
      sql`select (select count(*) from prestamos_new)::int as n, (select count(*) from migration_state)::int as s, (select count(*) from migration_failures)::int as f`,
    );
    expect(counts!.n).toBeGreaterThan(250);

    const removed = await deleteTestData(t.db, admin);
    expect(removed).toMatchObject({ sets: [made.set.id], prestamos: 300, pagos: made.pagos + made.orphans, trackingRows: 300 + made.pagos + made.orphans });
    expect(removed.newPrestamos).toBe(counts!.n - 2);
    expect(removed.states).toBe(counts!.s - 3);
    expect(removed.failures).toBe(counts!.f - kept.failures.length);

    const after = await snapshot();
    expect(after).toStrictEqual(kept);
    expect(await queryOne(t.db, sql`select (select count(*) from test_data_rows)::int as r, (select count(*) from test_data_sets)::int as s`)).toStrictEqual({
      r: 0,
      s: 0,
    });
    expect((await listTestData(t.db)).sets).toEqual([]);

    const again = await deleteTestData(t.db, admin);
    expect(again).toStrictEqual({ sets: [], prestamos: 0, pagos: 0, newPrestamos: 0, newPagos: 0, states: 0, failures: 0, trackingRows: 0 });
    expect(await snapshot()).toStrictEqual(kept);

    const audit = await queryRows(t.db, sql`select actor, action, outcome from console_audit_log order by id`);
    expect([...audit]).toStrictEqual([
      { actor: admin.name, action: "testdata.create", outcome: "ok" },
      { actor: admin.name, action: "testdata.delete", outcome: "ok" },
      { actor: admin.name, action: "testdata.delete", outcome: "ok" },
    ]);
  });

  it("removes every set at once, and the ids a later application insert gets never collide", async () => {
    await createTestData(t.db, { count: 40, seed: 1 }, admin);
    await createTestData(t.db, { count: 60, seed: 2 }, admin);
    const real = await insertPrestamo(t.db, {}, [{}]);
    const removed = await deleteTestData(t.db, admin);
    expect(removed.sets).toHaveLength(2);
    expect(removed.prestamos).toBe(100);
    expect(Array.from(await queryRows(t.db, sql`select id from prestamos`))).toStrictEqual([{ id: real.id }]);
    expect(await queryOne(t.db, sql`select count(*)::int as n from pagos_prestamo`)).toStrictEqual({ n: 1 });
  });
});

describe(`demo data on ${testDriver()}`, () => {
  it("seeds the demo set on empty legacy tables as system, once; never when legacy rows exist", async () => {
    const first = await seedDemoData(t.db);
    expect(first).toMatchObject({ prestamos: 3000, brokenPrestamos: 24, set: { seed: 2026, createdBy: "system" } });
    expect(await seedDemoData(t.db)).toBeNull();
    expect(await queryOne(t.db, sql`select count(*)::int as n from test_data_sets`)).toStrictEqual({ n: 1 });

    await reset();
    await insertPago(t.db, null, {});
    expect(await seedDemoData(t.db)).toBeNull();
    expect(await queryOne(t.db, sql`select count(*)::int as n from prestamos`)).toStrictEqual({ n: 0 });
  });

  it("a run with the engine's defaults on fresh demo data finishes, with every failure code there to inspect", async () => {
    const seeded = await seedDemoData(t.db);
    const run = await startRun(t.db, {}, admin, "demo:1:x");
    const ended = await runToEnd(t.db, run.id, "demo:1:x");
    expect(ended).toMatchObject({ status: "finished" });
    const failures = await listFailures(t.db, { page: 1, limit: 1 });
    expect(failures.totalFailed).toBe(seeded!.brokenPrestamos);
    // At least twice each, so that filtering by a code shows more than one example.
    for (const code of FAILURE_CODES) expect(failures.countsByCode[code].prestamos, code).toBeGreaterThanOrEqual(2);
  });
});

/** md5 of the values of { count: 200, dirtyPct: 25, seed: 42 }: the same on both databases. Changes whenever the generator does. */
const FINGERPRINT_SEED_42 = "9fa73c42a894134268e6a77f8a97197b";
