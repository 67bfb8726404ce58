import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTestDb, testDriver, type TestDb } from "@/lib/testing/db";
import { getLegacyCounts } from "./legacy-counts";

let t: TestDb;
beforeAll(async () => {
  t = await openTestDb();
});
afterAll(async () => {
  await t?.dispose();
});

describe(`getLegacyCounts on ${testDriver()}`, () => {
  it("is all zeros on empty legacy tables, with a JSON-safe read time", async () => {
    const counts = await getLegacyCounts(t.db);
    expect({ ...counts, readAt: undefined }).toStrictEqual({
      prestamos: 0,
      pagos: 0,
      orphanPagos: 0,
      orphanPagosNull: 0,
      orphanPagosDangling: 0,
      readAt: undefined,
    });
    expect(counts.readAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(Math.abs(Date.parse(counts.readAt) - Date.now())).toBeLessThan(60_000);
    expect(JSON.parse(JSON.stringify(counts))).toStrictEqual(counts);
  });

  it("counts prestamos, pagos, and orphans of both kinds (NULL prestamo_id, and a prestamo_id naming no prestamo)", async () => {
    await t.db.execute(sql`insert into prestamos (id, cliente_nombre) values (1, 'a'), (2, 'b'), (3, 'c')`);
    await t.db.execute(sql`insert into pagos_prestamo (prestamo_id, monto, anulado) values
      (1, 10, false), (1, 20, true), (2, 5, false),  -- three with a prestamo (an anulado one is still a pago)
      (null, 1, false),                            -- orphan: no prestamo_id
      (999, 2, false), (999, 3, false), (-4, 1, false) -- orphans: no such prestamo`);
    expect({ ...(await getLegacyCounts(t.db)), readAt: "x" }).toStrictEqual({
      prestamos: 3,
      pagos: 7,
      orphanPagos: 4,
      orphanPagosNull: 1,
      orphanPagosDangling: 3,
      readAt: "x",
    });
  });

  it("sees a pago become an orphan when its prestamo is deleted", async () => {
    await t.db.execute(sql`delete from prestamos where id = 2`);
    const counts = await getLegacyCounts(t.db);
    expect([counts.prestamos, counts.pagos, counts.orphanPagos, counts.orphanPagosDangling]).toEqual([2, 7, 5, 4]);
  });
});
