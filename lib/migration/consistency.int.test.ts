import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { queryOne } from "@/db/sql";
import { fmtCents } from "@/lib/format";
import { openTestDb, type TestDb } from "@/lib/testing/db";
import { insertPago, insertPrestamo, migrateAll, newIdOf, syncIds } from "@/lib/testing/factories";
import { getConsistency, getConsistencySummary } from "./consistency";
import { listMismatches } from "./mismatches";
import { getPrestamoDiff } from "./prestamo-diff";
import { PRESTAMO_COLUMNS } from "./rules";

let t: TestDb;
const ids: Record<string, number> = {};
const pagos: Record<string, number[]> = {};

beforeAll(async () => {
  t = await openTestDb();
  const db = t.db;
  const make = async (name: string, fields: Parameters<typeof insertPrestamo>[1], gs: Parameters<typeof insertPrestamo>[2] = []) => {
    const r = await insertPrestamo(db, fields, gs);
    ids[name] = r.id;
    pagos[name] = r.pagoIds;
  };
  // Dirty but valid rows: every one migrates.
  await make("ana", { cliente_nombre: "  Ana \t Torres  ", moneda: " s/. ", estado: "Vigente" }, [{ monto: "100.00" }, { monto: "50.50", anulado: true }]);
  await make("bob", { cliente_documento: "12.345-678 k", fecha_otorgamiento: " 31/1/2024 " }, [{ monto: 200 }, { monto: 300, metodo: "TEF" }]);
  await make("carla", { monto: "500.00", estado: "cancelado" }, [{ monto: "400.00" }]); // pagado with saldo > 0: warning
  await make("dora", { monto: "100.00", estado: "activo" }, [{ monto: "150.00" }]); // overpaid: two warnings
  await make("eva", {}, [{ monto: 10 }, { monto: 20 }, { monto: 30 }]);
  await make("fito", {}, [{ monto: 10 }, { monto: 20 }]);
  await make("gus", {}, [{ monto: 70 }]);
  await make("hugo", { cliente_nombre: "Hugo" }, [{ monto: 5 }]);
  await make("ines", {}, [{ monto: 5 }]);
  await make("juan", {}, [{ monto: 5 }]);
  await make("kiko", {}, []);
  // Invalid: never migrated.
  await make("bad", { monto: "0" });
  // Orphan legacy pagos.
  pagos.orphanNull = [await insertPago(db, null, { monto: 1 })];
  pagos.orphanDangling = [await insertPago(db, 999_999, { monto: 2 })];
  const r = await migrateAll(db);
  expect(r).toEqual({ migrated: 11, failed: 1 });
});

afterAll(async () => {
  await t?.dispose();
});

describe("consistency after a clean migration", () => {
  it("is 100 % with zero mismatches, warnings counted apart", async () => {
    const s = await getConsistencySummary(t.db);
    expect(s.migrated).toBe(11);
    expect(s.fieldMatch).toEqual({ matching: 11, mismatching: 0, matchingPct: 100 });
    expect(s.paymentTotals.accuracyPct).toBe(100);
    expect(s.paymentTotals.differenceCents).toBe("0");
    // live legacy pagos: 100 + 200 + 300 + 400 + 150 + 60 + 30 + 70 + 5 × 3 = 1325.00
    expect(s.paymentTotals.legacyTotalCents).toBe("132500");
    expect(s.paymentTotals.newTotalCents).toBe("132500");
    expect(s.paymentTotals.prestamosDiffering).toBe(0);
    expect(s.status.mismatching).toBe(0);
    expect(s.status.warnings).toEqual({ PAGADO_CON_SALDO: 1, SALDO_CERO_ACTIVO: 1, SOBREPAGO: 1 });
    expect(s.relationships).toEqual({
      orphanLegacyPagos: 2,
      orphanLegacyPagosNullPrestamo: 1,
      orphanLegacyPagosDangling: 1,
      missingPagos: 0,
      wrongPrestamoPagos: 0,
      orphanNewPrestamos: 0,
      orphanNewPagos: 0,
      missingNewPrestamos: 0,
      untrackedNewPrestamos: 0,
    });
    expect(s.nowFails).toBe(0);
    expect(s.byCategory.filter((c) => c.prestamos > 0 && !c.category.startsWith("warning:") && c.category !== "orphan_legacy_pago")).toEqual([]);
    expect(typeof s.checkedAt).toBe("string");
    expect(s.durationMs).toBeGreaterThanOrEqual(0);
    // Small chunks give the same answer.
    const small = await getConsistencySummary(t.db, { chunkSize: 2 });
    expect({ ...small, checkedAt: "", durationMs: 0 }).toEqual({ ...s, checkedAt: "", durationMs: 0 });
  });

  it("lists nothing but warnings and orphans", async () => {
    expect((await listMismatches(t.db, { category: "field", page: 1, limit: 50 })).items).toEqual([]);
    const w = await listMismatches(t.db, { category: "warning:SOBREPAGO", page: 1, limit: 50 });
    expect(w.items.map((i) => i.legacyId)).toEqual([ids.dora]);
    // The saldo in the console's one money format, not raw cents.
    const dora = await queryOne<{ estado: string; saldo_cents: string; moneda: string }>(
      t.db,
      sql`select estado, saldo_cents::text, moneda from prestamos_new where legacy_id = ${ids.dora}`,
    );
    expect(w.items[0].summary).toBe(`estado ${dora!.estado}, saldo ${fmtCents(dora!.saldo_cents, dora!.moneda)}`);
    const o = await listMismatches(t.db, { category: "orphan_legacy_pago", page: 1, limit: 1 });
    expect(o.items).toHaveLength(1);
    expect(o.items[0].pagoIds).toEqual(pagos.orphanNull);
    expect(o.hasMore).toBe(true);
    const o2 = await listMismatches(t.db, { category: "orphan_legacy_pago", page: 2, limit: 1 });
    expect(o2.items[0]).toMatchObject({ legacyId: 999_999, pagoIds: pagos.orphanDangling });
    expect(o2.hasMore).toBe(false);
  });

  it("diff of a clean prestamo agrees everywhere and shows the raw legacy value", async () => {
    const d = await getPrestamoDiff(t.db, ids.ana);
    expect(d.agree).toBe(true);
    expect(d.state).toBe("migrated");
    expect(d.stale).toBe(false);
    const nombre = d.lines.find((l) => l.column === "cliente_nombre")!;
    expect(nombre).toMatchObject({
      legacy: [{ field: "cliente_nombre", value: "  Ana \t Torres  " }],
      expected: "Ana Torres",
      actual: "Ana Torres",
      agree: true,
    });
    expect(d.lines.find((l) => l.column === "tasa_anual")).toMatchObject({ expected: "0.365000", actual: "0.365000" });
    expect(d.lines.find((l) => l.column === "fecha_vencimiento")).toMatchObject({ expected: "2025-01-31", agree: true });
    expect(d.lines.find((l) => l.column === "total_pagado_cents")).toMatchObject({ expected: 10000, actual: 10000 });
    expect(d.pagos.map((g) => [g.legacyPagoId, g.presence, g.agree])).toEqual([
      [pagos.ana[0], "both", true],
      [pagos.ana[1], "both", true],
    ]);
    expect(d.pagos[1].lines.find((l) => l.column === "anulado")).toMatchObject({ expected: true, actual: true, legacy: [{ value: "true" }] });
  });

  it("diff: every column in table order beside the legacy fields it is computed from", async () => {
    const d = await getPrestamoDiff(t.db, ids.ana);
    expect(d.lines.map((l) => l.column)).toEqual([...PRESTAMO_COLUMNS]);
    const from = (column: string) => d.lines.find((l) => l.column === column)!;
    const fields = (column: string) => from(column).legacy.map((s) => s.field);
    // the live pago only: ana's second pago is anulado
    const live = `pagos_prestamo[${pagos.ana[0]}]`;
    expect(fields("saldo_cents")).toEqual(["monto", `${live}.monto`]);
    expect(fields("total_pagado_cents")).toEqual([`${live}.monto`]);
    expect(fields("pagos_count")).toEqual([`${live}.anulado`]);
    expect(fields("ultimo_pago")).toEqual([`${live}.fecha_pago`]);
    expect(fields("fecha_vencimiento")).toEqual(["fecha_otorgamiento", "plazo_meses"]);
    expect(fields("tasa_anual")).toEqual(["tasa_interes"]);
    expect(from("legacy_updated_at")).toMatchObject({
      legacyField: "updated_at",
      legacy: [{ field: "updated_at", value: expect.stringMatching(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6}$/) }],
    });
    expect(from("saldo_cents").legacyField).toBe("monto − pagos");
    expect(from("moneda").legacy).toEqual([{ field: "moneda", value: " s/. " }]);
    expect(d.pagos[0].lines.map((l) => [l.column, l.legacyField])).toEqual([
      ["monto_cents", "monto"],
      ["fecha_pago", "fecha_pago"],
      ["metodo", "metodo"],
      ["anulado", "anulado"],
      ["legacy_created_at", "created_at"],
    ]);
    expect(d.pagos[0].lines[0].legacy).toEqual([{ field: `${live}.monto`, value: "100.00" }]);
  });
});

describe("tampering lands in its category", () => {
  beforeAll(async () => {
    const db = t.db;
    // 1. A new monto_cents changed.
    await db.execute(sql`UPDATE prestamos_new SET monto_cents = monto_cents + 1 WHERE legacy_id = ${ids.ana}`);
    // 2. A new pago moved to another prestamo.
    await db.execute(sql`UPDATE pagos_prestamo_new SET prestamo_id = ${await newIdOf(db, ids.fito)} WHERE legacy_id = ${pagos.eva[0]}`);
    // 3. A new pago deleted.
    await db.execute(sql`DELETE FROM pagos_prestamo_new WHERE legacy_id = ${pagos.gus[0]}`);
    // 4. A stray new pago whose legacy pago does not exist.
    await db.execute(sql`INSERT INTO pagos_prestamo_new (legacy_id, prestamo_id, monto_cents, fecha_pago, metodo, anulado)
                         VALUES (888888, ${await newIdOf(db, ids.kiko)}, 700, '2024-03-01', 'otro', false)`);
    // 5. A legacy row changed so that it differs (still valid): white space kept.
    await db.execute(sql`UPDATE prestamos SET cliente_nombre = ${"  Hugo  Perez "} WHERE id = ${ids.hugo}`);
    // 6. A legacy row changed so that it now fails.
    await db.execute(sql`UPDATE prestamos SET tasa_interes = 250 WHERE id = ${ids.ines}`);
    // 7. A legacy prestamo deleted (with its pago).
    await db.execute(sql`DELETE FROM pagos_prestamo WHERE prestamo_id = ${ids.juan}`);
    await db.execute(sql`DELETE FROM prestamos WHERE id = ${ids.juan}`);
  });

  it("summary moves as a reviewer expects", async () => {
    const s = await getConsistencySummary(t.db);
    expect(s.migrated).toBe(11);
    // ana (field), eva (missing pago), fito (wrong pago + totals), gus (missing), kiko (orphan new pago + totals),
    // hugo (field), ines (now fails), juan (gone)
    expect(s.fieldMatch).toEqual({ matching: 3, mismatching: 8, matchingPct: 27.27 });
    expect(s.nowFails).toBe(1);
    expect(s.relationships).toMatchObject({
      missingPagos: 2, // eva's moved pago, gus's deleted pago
      wrongPrestamoPagos: 1, // eva's pago under fito
      orphanNewPrestamos: 1, // juan
      orphanNewPagos: 2, // the stray 888888 and juan's pago (its legacy pago was deleted)
      missingNewPrestamos: 0,
      untrackedNewPrestamos: 0,
    });
    // legacy: 1325.00 − juan's deleted 5.00; new: 1325.00 − gus's deleted 70.00 + the stray 7.00 (juan's new pago still counts:
    // its new row is still marked migrated)
    expect(s.paymentTotals.legacyTotalCents).toBe("132000");
    expect(s.paymentTotals.newTotalCents).toBe(String(132500 - 7000 + 700));
    expect(s.paymentTotals.accuracyPct).toBeLessThan(100);
    expect(s.paymentTotals.prestamosDiffering).toBe(4); // eva, fito, gus, kiko (juan has no legacy row: orphan_new)
  });

  it("each tamper is listed with the right columns", async () => {
    const all = await listMismatches(t.db, { page: 1, limit: 200 });
    const by = (cat: string) => all.items.filter((i) => i.category === cat).map((i) => [i.legacyId, i.columns, i.pagoIds]);
    expect(by("field")).toEqual([
      [ids.ana, ["monto_cents"], []],
      [ids.hugo, ["cliente_nombre"], []],
    ]);
    expect(by("missing_pago")).toEqual([
      [ids.eva, [], [pagos.eva[0]]],
      [ids.gus, [], [pagos.gus[0]]],
    ]);
    expect(by("wrong_prestamo")).toEqual([[ids.fito, [], [pagos.eva[0]]]]);
    expect(by("orphan_new")).toEqual([
      [ids.juan, [], [pagos.juan[0]]],
      [ids.kiko, [], [888888]],
    ]);
    expect(by("now_fails")).toEqual([[ids.ines, ["tasa_interes"], []]]);
    expect(by("totals").map((r) => r[0])).toEqual([ids.eva, ids.fito, ids.gus, ids.kiko]);
    // the one-walk form (GET /consistency) gives the same page and summary
    const both = await getConsistency(t.db, { category: "orphan_new", page: 1, limit: 1, chunkSize: 3 });
    expect(both.mismatches).toEqual(await listMismatches(t.db, { category: "orphan_new", page: 1, limit: 1 }));
    expect(both.mismatches.hasMore).toBe(true);
    expect({ ...both.summary, checkedAt: "", durationMs: 0 }).toEqual({ ...(await getConsistencySummary(t.db)), checkedAt: "", durationMs: 0 });
    const p2of = await getConsistency(t.db, { category: "orphan_new", page: 2, limit: 1, chunkSize: 3 });
    expect(p2of.mismatches.items.map((i) => i.legacyId)).toEqual([ids.kiko]);
    expect(p2of.mismatches.hasMore).toBe(false);
    // paging over the same list
    const p1 = await listMismatches(t.db, { page: 1, limit: 3 });
    const p2 = await listMismatches(t.db, { page: 2, limit: 3 });
    expect(p1.hasMore).toBe(true);
    expect([...p1.items, ...p2.items]).toEqual(all.items.slice(0, 6));
  });

  it("a listing out of time says how far it looked, and going on from there finds the same items", async () => {
    const all = await listMismatches(t.db, { page: 1, limit: 200 });
    expect(all).toMatchObject({ from: null, stoppedAt: null });
    // No time at all: each request walks one chunk of 3 prestamos and stops.
    const seen: typeof all.items = [];
    const stops: number[] = [];
    let from: number | undefined;
    for (let i = 0; i < 20; i++) {
      const part = await listMismatches(t.db, { page: 1, limit: 200, from, chunkSize: 3, budgetMs: 0 });
      expect(part.from).toBe(from ?? null);
      for (const it of part.items) expect(it.legacyId!).toBeGreaterThan(from ?? -Infinity);
      seen.push(...part.items);
      if (part.stoppedAt === null) break;
      for (const it of part.items) expect(it.legacyId!).toBeLessThanOrEqual(part.stoppedAt);
      stops.push(part.stoppedAt);
      from = part.stoppedAt;
    }
    expect(stops.length).toBeGreaterThan(1);
    expect(seen).toEqual(all.items);
  });

  it("the diff of a tampered prestamo shows exactly the tampered field", async () => {
    const d = await getPrestamoDiff(t.db, ids.hugo);
    const bad = d.lines.filter((l) => !l.agree);
    expect(bad).toEqual([
      {
        column: "cliente_nombre",
        legacyField: "cliente_nombre",
        legacy: [{ field: "cliente_nombre", value: "  Hugo  Perez " }],
        expected: "Hugo Perez",
        actual: "Hugo",
        agree: false,
      },
    ]);
    expect(d.agree).toBe(false);
    const a = await getPrestamoDiff(t.db, ids.ana);
    expect(a.lines.filter((l) => !l.agree).map((l) => [l.column, l.expected, l.actual])).toEqual([["monto_cents", 100000, 100001]]);
  });

  it("diff: now-failing, gone from legacy, one-sided pagos, 404", async () => {
    const i = await getPrestamoDiff(t.db, ids.ines);
    expect(i.failingNow).toEqual([{ code: "INVALID_TASA", field: "tasa_interes", value: "250.000", pagoId: null }]);
    expect(i.agree).toBe(false);
    const j = await getPrestamoDiff(t.db, ids.juan);
    expect(j).toMatchObject({ legacyExists: false, newExists: true, state: "migrated" });
    expect(j.lines.find((l) => l.column === "cliente_nombre")).toMatchObject({ legacy: [], expected: null, actual: "Ana Torres", agree: false });
    expect(j.pagos).toMatchObject([{ legacyPagoId: pagos.juan[0], presence: "new_only", note: "legacy pago no longer exists" }]);
    const e = await getPrestamoDiff(t.db, ids.eva);
    expect(e.pagos.map((g) => [g.presence, g.note])).toEqual([
      ["legacy_only", `its new row is under prestamo ${ids.fito}`],
      ["both", null],
      ["both", null],
    ]);
    const f = await getPrestamoDiff(t.db, ids.fito);
    expect(f.pagos.find((g) => g.legacyPagoId === pagos.eva[0])).toMatchObject({ presence: "new_only", note: `legacy pago belongs to prestamo ${ids.eva}` });
    const bad = await getPrestamoDiff(t.db, ids.bad);
    expect(bad).toMatchObject({ state: "failed", newExists: false, legacyExists: true });
    expect(bad.recordedFailures).toMatchObject([{ code: "INVALID_MONTO", field: "monto", value: "0.00" }]);
    await expect(getPrestamoDiff(t.db, 77_777_777)).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("stale shows, and a re-sync brings a prestamo back to matching", async () => {
    await t.db.execute(sql`INSERT INTO capture_changes (prestamo_id) VALUES (${ids.hugo})`);
    expect((await getPrestamoDiff(t.db, ids.hugo)).stale).toBe(true);
    await syncIds(t.db, [ids.hugo, ids.ana, ids.ines, ids.juan, ids.eva, ids.fito, ids.gus]);
    await t.db.execute(sql`DELETE FROM pagos_prestamo_new WHERE legacy_id = 888888`);
    const s = await getConsistencySummary(t.db);
    // ines is now failed (not migrated), juan gone: 9 migrated, all matching
    expect(s.migrated).toBe(9);
    expect(s.fieldMatch.matchingPct).toBe(100);
    expect(s.paymentTotals.legacyTotalCents).toBe(s.paymentTotals.newTotalCents);
    const n = await queryOne<{ n: number }>(t.db, sql`SELECT count(*)::int AS n FROM prestamos_new`);
    expect(n?.n).toBe(9);
  });

  it("a stray new prestamo that is not migrated is untracked_new", async () => {
    await t.db.execute(sql`INSERT INTO prestamos_new (legacy_id, cliente_nombre, monto_cents, tasa_anual, plazo_meses, fecha_otorgamiento,
        fecha_vencimiento, estado, moneda, total_pagado_cents, pagos_count, saldo_cents, legacy_updated_at)
      SELECT ${ids.bad}, 'x', 1, 0.1, 1, '2024-01-01', '2024-02-01', 'activo', 'PEN', 0, 0, 1, now()`);
    const s = await getConsistencySummary(t.db);
    expect(s.relationships.untrackedNewPrestamos).toBe(1);
    expect(s.fieldMatch.matchingPct).toBe(100); // it is not a migrated prestamo
    const l = await listMismatches(t.db, { category: "untracked_new", page: 1, limit: 10 });
    expect(l.items).toMatchObject([{ legacyId: ids.bad, summary: "state failed" }]);
    await t.db.execute(sql`DELETE FROM prestamos_new WHERE legacy_id = ${ids.bad}`);
  });

  it("a new pago moved under a loan the walk reaches in another chunk is wrong_prestamo there, not an orphan", async () => {
    // bob and kiko lie chunks apart at 3 ids a chunk: kiko's chunk has not read bob's legacy pagos.
    const moved = sql`UPDATE pagos_prestamo_new SET prestamo_id = ${await newIdOf(t.db, ids.kiko)} WHERE legacy_id = ${pagos.bob[0]}`;
    await t.db.execute(moved);
    try {
      for (const chunkSize of [3, 5_000]) {
        const { summary, mismatches } = await getConsistency(t.db, { category: "wrong_prestamo", page: 1, limit: 10, chunkSize });
        expect(summary.relationships).toMatchObject({ wrongPrestamoPagos: 1, orphanNewPagos: 0, missingPagos: 1 });
        expect(mismatches.items).toMatchObject([
          { legacyId: ids.kiko, pagoIds: [pagos.bob[0]], summary: `pago ${pagos.bob[0]} belongs to prestamo ${ids.bob} in legacy` },
        ]);
      }
    } finally {
      await t.db.execute(sql`UPDATE pagos_prestamo_new SET prestamo_id = ${await newIdOf(t.db, ids.bob)} WHERE legacy_id = ${pagos.bob[0]}`);
    }
  });
});
