import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isoTime, queryOne, queryRows } from "@/db/sql";
import { openTestDb, testDriver, type TestDb } from "@/lib/testing/db";

/**
 * Both drivers give the same JS values for the same query through queryRows. This file runs once
 * per driver against the same literal expectations, so both runs pass only if the drivers agree.
 */
let t: TestDb;
beforeAll(async () => {
  t = await openTestDb();
});
afterAll(async () => {
  await t?.dispose();
});

describe(`queryRows on ${testDriver()}`, () => {
  it("returns int2/int4/int8 as numbers, numeric as exact strings, bool as boolean, null as null", async () => {
    const row = await queryOne(
      t.db,
      sql`select 7::int2 as i2, (-2147483648)::int4 as i4, 9007199254740991::int8 as i8, count(*) as cnt,
                 12.50::numeric(12,2) as n, 123456789012.345678::numeric as big, -0.001::numeric(6,3) as neg,
                 1.5::float8 as f8, true as t, false as f, null::int8 as nul
          from generate_series(1, 3)`,
    );
    expect(row).toStrictEqual({
      i2: 7,
      i4: -2147483648,
      i8: 9007199254740991,
      cnt: 3,
      n: "12.50",
      big: "123456789012.345678",
      neg: "-0.001",
      f8: 1.5,
      t: true,
      f: false,
      nul: null,
    });
  });

  it("returns date and timestamp as the server's text, and timestamptz normalises through isoTime", async () => {
    const row = await queryOne<Record<string, unknown>>(
      t.db,
      sql`select '2024-02-29'::date as d, '2024-02-29 13:14:15.123'::timestamp as ts, '2024-02-29 00:00:00'::timestamp as ts0,
                 '2024-02-29 13:14:15.123+00'::timestamptz as tstz`,
    );
    expect({ d: row?.d, ts: row?.ts, ts0: row?.ts0 }).toStrictEqual({ d: "2024-02-29", ts: "2024-02-29 13:14:15.123", ts0: "2024-02-29 00:00:00" });
    expect(typeof row?.tstz).toBe("string");
    expect(isoTime(row?.tstz)).toBe("2024-02-29T13:14:15.123Z");
  });

  it("returns jsonb parsed, with the same nesting and types", async () => {
    const row = await queryOne(
      t.db,
      sql`select '{"a":[1,"x",null,true],"b":{"c":1.25}}'::jsonb as obj, '[1,2]'::jsonb as arr, '"s"'::jsonb as str, '3'::jsonb as num`,
    );
    expect(row).toStrictEqual({ obj: { a: [1, "x", null, true], b: { c: 1.25 } }, arr: [1, 2], str: "s", num: 3 });
  });

  it("reads the legacy tables' own types the same way (varchar, numeric(12,2), boolean, serial)", async () => {
    await t.db.execute(sql`insert into prestamos (id, cliente_nombre, monto, fecha_otorgamiento) values (900001, ' Ana ', 1500.5, '01/02/2024')`);
    await t.db.execute(sql`insert into pagos_prestamo (prestamo_id, monto, anulado) values (900001, 10, true), (900001, null, false)`);
    const rows = await queryRows(
      t.db,
      sql`select p.id, p.cliente_nombre, p.monto, p.fecha_otorgamiento, pg.monto as pago, pg.anulado, sum(pg.monto) over () as total
          from prestamos p join pagos_prestamo pg on pg.prestamo_id = p.id where p.id = 900001 order by pg.id`,
    );
    // Spread: postgres.js returns its Result (an Array subclass with count/command), PGlite a plain array.
    expect([...rows]).toStrictEqual([
      { id: 900001, cliente_nombre: " Ana ", monto: "1500.50", fecha_otorgamiento: "01/02/2024", pago: "10.00", anulado: true, total: "10.00" },
      { id: 900001, cliente_nombre: " Ana ", monto: "1500.50", fecha_otorgamiento: "01/02/2024", pago: null, anulado: false, total: "10.00" },
    ]);
  });

  it("accepts both driver shapes: an empty result is an empty array", async () => {
    const rows = await queryRows(t.db, sql`select 1 as x where false`);
    expect(Array.isArray(rows)).toBe(true);
    expect([...rows]).toStrictEqual([]);
  });
});
