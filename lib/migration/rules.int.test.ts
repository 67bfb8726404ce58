import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { queryRows } from "@/db/sql";
import { openTestDb, type TestDb } from "@/lib/testing/db";
import { clean, documento, mapEstado, mapMetodo, mapMoneda, parseDate } from "./legacy-values";
import { transformPrestamo, type LegacyPago, type LegacyPrestamo } from "./rules";
import { lockWriters, migrateWindow } from "./write";

// Every form the spec names, plus NULL, empty, white space, edge dates, unknown codes.
const WS = ["", " ", "\t", "\n", "\r\n", " \t \n ", "\f", "\v", "\u00a0"];
const TEXTS: (string | null)[] = [
  null,
  ...WS,
  "Ana",
  "  Ana  ",
  "Ana   María\tPérez",
  "\tJuan\n\nPerez ",
  "a\u00a0b",
  " x ",
  "activo",
  "ACTIVO",
  " Vigente ",
  "al dia",
  "AL  DIA",
  "al\tdia",
  "al día",
  "mora",
  "En Mora",
  "en_mora",
  "MOROSO",
  "vencido",
  "pagado",
  "Cancelado",
  "LIQUIDADO",
  "castigado",
  "anulado",
  "activa",
  "pagada",
  "?",
  "ſ",
  "İ",
  "PEN",
  "pen",
  " s/ ",
  "S/.",
  "soles",
  "Soles",
  "USD",
  "us$",
  "US$",
  "dolares",
  "DÓLARES",
  "EUR",
  "S /",
  "efectivo",
  "CASH",
  "transferencia",
  "Transf",
  "TEF",
  "deposito",
  "depósito",
  "cheque",
  "tarjeta",
  "yape",
  "12.345.678-K",
  "ab-12 34",
  "---",
  "Ñandú 1",
  "x@y.z",
  // The letters of escape sequences (v, t, n, f, r) at the ends: trimmed only if an escape is wrong.
  "vusd",
  "usdv",
  "vcash",
  "cashv",
  "\vcash\v",
  "tcash",
  "cashn",
  "fusd",
  "rpen",
  "\u000bUSD\f",
  "ca sh",
  "us d",
  // Names every plain JS object answers for (a lookup `map[x]` finds Object's own members).
  "constructor",
  "CONSTRUCTOR",
  " Constructor ",
  "__proto__",
  "__PROTO__",
  "toString",
  "TOSTRING",
  "valueOf",
  "hasOwnProperty",
  "__defineGetter__",
  "isPrototypeOf",
];
const DATES: (string | null)[] = [
  null,
  "",
  " ",
  "2024-01-31",
  " 2024-01-31 ",
  "2024-1-31",
  "2024-02-29",
  "2023-02-29",
  "2100-12-31",
  "2101-01-01",
  "1900-01-01",
  "1899-12-31",
  "31/1/2024",
  "1/1/2024",
  "01/01/2024",
  "29/2/2024",
  "29/2/2023",
  "31/12/2100",
  "1/1/1900",
  "31/02/2021",
  "30/4/2024",
  "31/4/2024",
  "0/1/2024",
  "1/0/2024",
  "1/13/2024",
  "2024-13-01",
  "2024-00-10",
  "2024-01-00",
  "123/1/2024",
  "1/1/24",
  "2024/01/31",
  "31-01-2024",
  "\t15/6/2020\n",
  "2024-01-31T00:00",
  "２０２４-01-31",
  "2024-01-31 ",
  "1/1/2024x",
  "abc",
  "v2024-01-31",
  "2024-01-31v",
  "\v2024-01-31\v",
  "t1/1/2024",
  "1/1/2024n",
  "\f\r1/1/2024 \v",
  "2024-01- 31",
  "1 /1/2024",
  "1/1/2024\u00a0",
  "-1/1/2024",
  "+1/1/2024",
  "1/-1/2024",
  "2024-+1-01",
];

let db: TestDb;
beforeAll(async () => {
  db = await openTestDb();
});
afterAll(async () => db?.dispose());

async function sqlMap(fn: string, inputs: (string | null)[]): Promise<(string | null)[]> {
  const rows = await queryRows<{ i: number; out: string | null }>(
    db.db,
    sql`select ord::int as i, ${sql.raw(fn)}(value)::text as out
        from jsonb_array_elements_text(${JSON.stringify(inputs)}::jsonb) with ordinality as t(value, ord) order by ord`,
  );
  return rows.map((r) => r.out);
}

describe("each rule gives the same answer in TypeScript and in SQL", () => {
  it.each([
    ["console_clean", clean],
    ["console_parse_date", parseDate],
    ["console_map_estado", mapEstado],
    ["console_map_moneda", mapMoneda],
    ["console_map_metodo", mapMetodo],
    ["console_documento", documento],
  ] as const)("%s", async (fn, ts) => {
    const inputs = [...TEXTS, ...DATES];
    const fromSql = await sqlMap(fn, inputs);
    const fromTs = inputs.map((x) => ts(x));
    const disagreements = inputs.map((x, i) => ({ x, sql: fromSql[i], ts: fromTs[i] })).filter((d) => d.sql !== d.ts);
    expect(disagreements).toEqual([]);
  });

  it("knows the spec's edge cases", () => {
    expect(parseDate("29/2/2023")).toBeNull();
    expect(parseDate("29/2/2024")).toBe("2024-02-29");
    expect(parseDate("31/12/2100")).toBe("2100-12-31");
    expect(parseDate("31/02/2021")).toBeNull();
    expect(parseDate(" 2024-01-31\n")).toBe("2024-01-31");
    expect(clean(" \t Ana \n  María ")).toBe("Ana María");
    expect(mapMoneda(null)).toBe("PEN");
    expect(mapMoneda("  ")).toBe("PEN");
    expect(mapMoneda("EUR")).toBeNull();
    expect(mapEstado("AL DIA")).toBe("activo");
    expect(mapMetodo(null)).toBe("otro");
    expect(documento(" - . ")).toBeNull();
  });
});

const MONTOS = [null, "0.00", "-5.00", "0.01", "1000.50", "9999999999.99"];
const TASAS = [null, "-0.001", "0.000", "36.500", "200.000", "200.001", "999.999"];
const PLAZOS = [null, 0, 1, 12, 600, 601, -3];

describe("the whole transform: SQL batch against the TypeScript rules, row by row", () => {
  it("writes exactly what transformPrestamo computes, and records exactly its failures", async () => {
    // A grid of dirty prestamos, each with a few pagos, some of them broken.
    const n = 240;
    const prestamos: Omit<LegacyPrestamo, "id" | "updated_at">[] = [];
    for (let i = 0; i < n; i++) {
      prestamos.push({
        cliente_nombre: i % 4 === 0 ? TEXTS[i % TEXTS.length] : ["  Ana   María ", "\tJuan\nPerez", "Rosa"][i % 3],
        cliente_documento: TEXTS[(i * 7) % TEXTS.length],
        monto: i % 11 === 0 ? MONTOS[i % MONTOS.length] : "1500.00",
        tasa_interes: i % 13 === 0 ? TASAS[i % TASAS.length] : "36.500",
        plazo_meses: i % 17 === 0 ? PLAZOS[i % PLAZOS.length] : 1 + (i % 120),
        fecha_otorgamiento: i % 5 === 0 ? DATES[i % DATES.length] : ["31/1/2024", " 2023-05-31 ", "29/2/2024"][i % 3],
        estado: i % 7 === 0 ? TEXTS[(i * 3) % TEXTS.length] : [" Vigente", "MOROSO", "pagado", "castigado", "anulado"][i % 5],
        moneda: i % 9 === 0 ? TEXTS[(i * 5) % TEXTS.length] : [null, "S/.", "us$", "", "DOLARES"][i % 5],
      });
    }
    const inserted = await queryRows<{ id: number }>(
      db.db,
      sql`insert into prestamos (cliente_nombre, cliente_documento, monto, tasa_interes, plazo_meses, fecha_otorgamiento, estado, moneda)
          select x->>'cliente_nombre', left(x->>'cliente_documento', 30), (x->>'monto')::numeric, (x->>'tasa_interes')::numeric, (x->>'plazo_meses')::int,
                 left(x->>'fecha_otorgamiento', 20), left(x->>'estado', 20), left(x->>'moneda', 10)
          from jsonb_array_elements(${JSON.stringify(prestamos)}::jsonb) with ordinality t(x, ord) order by ord returning id`,
    );
    const pagos: Omit<LegacyPago, "id">[] = [];
    inserted.forEach(({ id }, i) => {
      for (let k = 0; k < i % 5; k++) {
        const broken = (i + k) % 23 === 0;
        pagos.push({
          prestamo_id: id,
          monto: broken && k % 2 === 0 ? MONTOS[(i + k) % 3] : `${100 + k}.25`,
          fecha_pago:
            broken && k % 2 === 1 ? DATES[(i + k) % DATES.length] : ["2024-01-31", " 2024-02-29 ", "5/3/2024", "31/12/2100", "\t1/1/1900"][(i + k) % 5],
          metodo: TEXTS[(i + k) % TEXTS.length],
          anulado: (i + k) % 4 === 0,
        });
      }
    });
    await db.db.execute(
      sql`insert into pagos_prestamo (prestamo_id, monto, fecha_pago, metodo, anulado)
          select (x->>'prestamo_id')::int, (x->>'monto')::numeric, left(x->>'fecha_pago', 20), left(x->>'metodo', 20), (x->>'anulado')::boolean
          from jsonb_array_elements(${JSON.stringify(pagos)}::jsonb) x`,
    );
    await db.db.transaction(async (tx) => {
      await lockWriters(tx, "shared");
      await migrateWindow(tx, { after: 0, limit: 10_000, runId: 1, retry: false });
    });

    const legacy = await queryRows<LegacyPrestamo>(
      db.db,
      sql`select id, cliente_nombre, cliente_documento, monto::text, tasa_interes::text, plazo_meses, fecha_otorgamiento, estado, moneda, updated_at::text, created_at::text from prestamos order by id`,
    );
    const legacyPagos = await queryRows<LegacyPago>(
      db.db,
      sql`select id, prestamo_id, monto::text, fecha_pago, metodo, anulado, created_at::text from pagos_prestamo order by id`,
    );
    const newRows = await queryRows<Record<string, unknown>>(
      db.db,
      sql`select *, tasa_anual::text as tasa_anual, legacy_updated_at::text as legacy_updated_at, legacy_created_at::text as legacy_created_at from prestamos_new order by legacy_id`,
    );
    const newPagos = await queryRows<Record<string, unknown>>(
      db.db,
      sql`select g.*, g.legacy_created_at::text as legacy_created_at, p.legacy_id as prestamo_legacy_id from pagos_prestamo_new g join prestamos_new p on p.id = g.prestamo_id order by g.legacy_id`,
    );
    const failures = await queryRows<{ legacy_id: number; code: string; field: string; value: string | null; pago_id: number | null }>(
      db.db,
      sql`select legacy_id, code, field, value, pago_id from migration_failures order by legacy_id, pago_id nulls first, code, field`,
    );

    const byPrestamo = new Map<number, LegacyPago[]>();
    for (const g of legacyPagos) byPrestamo.set(g.prestamo_id!, [...(byPrestamo.get(g.prestamo_id!) ?? []), g]);
    let okCount = 0;
    const expectedFailures: typeof failures = [];
    for (const p of legacy) {
      const t = transformPrestamo(p, byPrestamo.get(p.id) ?? []);
      const row = newRows.find((r) => r.legacy_id === p.id);
      if (!t.ok) {
        expect(row, `prestamo ${p.id} must not be migrated`).toBeUndefined();
        expectedFailures.push(...t.failures.map((f) => ({ legacy_id: p.id, code: f.code, field: f.field, value: f.value, pago_id: f.pagoId })));
        continue;
      }
      okCount++;
      expect(row, `prestamo ${p.id} must be migrated`).toBeDefined();
      for (const [col, value] of Object.entries(t.prestamo)) expect(row![col], `prestamo ${p.id} ${col}`).toEqual(value);
      const mine = newPagos.filter((g) => g.prestamo_legacy_id === p.id);
      expect(mine.map((g) => g.legacy_id)).toEqual(t.pagos.map((g) => g.legacyId));
      for (const g of t.pagos) {
        const got = mine.find((m) => m.legacy_id === g.legacyId)!;
        for (const [col, value] of Object.entries(g.values)) expect(got[col], `pago ${g.legacyId} ${col}`).toEqual(value);
      }
    }
    const sortKey = (f: (typeof failures)[number]) => `${f.legacy_id}|${f.pago_id ?? -1}|${f.code}|${f.field}`;
    expect(failures.map(sortKey).sort()).toEqual(expectedFailures.map(sortKey).sort());
    expect(failures.sort((a, b) => sortKey(a).localeCompare(sortKey(b)))).toEqual(expectedFailures.sort((a, b) => sortKey(a).localeCompare(sortKey(b))));
    // The grid must exercise both outcomes substantially.
    expect(okCount).toBeGreaterThan(40);
    expect(legacy.length - okCount).toBeGreaterThan(40);
  });
});
