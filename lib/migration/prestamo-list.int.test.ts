import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, makeToken } from "@/lib/testing/auth";
import { installAppDb } from "@/lib/testing/app-db";
import { openTestDb, type TestDb } from "@/lib/testing/db";
import { insertPrestamo, migrateAll } from "@/lib/testing/factories";
import { fingerprint } from "@/lib/testing/fingerprint";
import { resetMigrationTables } from "@/lib/testing/reset";
import * as prestamos from "@/app/api/prestamos/route";
import { queryOne } from "@/db/sql";
import { PRESTAMO_COUNT_CAP, type PrestamoListItem, type PrestamoListPage } from "./prestamo-list";

let db: TestDb;
let forget: () => void;
let reviewer: string;
let ids: { ana: number; rosa: number; broken: number; percent: number; plain: number[] };

beforeAll(async () => {
  db = await openTestDb();
  forget = installAppDb(db);
  reviewer = await makeToken(db.db, "reviewer");
  await resetMigrationTables(db.db);
  const ana = (await insertPrestamo(db.db, { cliente_nombre: "Ana Torres", cliente_documento: "12.345.678-K" }, [{}, {}])).id;
  const rosa = (await insertPrestamo(db.db, { cliente_nombre: "ROSA QUISPE", cliente_documento: "20-555-9" })).id;
  const broken = (await insertPrestamo(db.db, { cliente_nombre: "Luis Broken", monto: "0" })).id;
  const percent = (await insertPrestamo(db.db, { cliente_nombre: "100% Cliente_A", cliente_documento: null })).id;
  const plain: number[] = [];
  for (let i = 0; i < 5; i++) plain.push((await insertPrestamo(db.db, { cliente_nombre: `Cliente ${i}`, cliente_documento: `9900${i}` })).id);
  await migrateAll(db.db);
  // One migrated prestamo changed since: stale. And one never taken: pending.
  await db.db.execute(sql`insert into capture_changes (prestamo_id) values (${rosa})`);
  const pending = (await insertPrestamo(db.db, { cliente_nombre: "Pendiente Nuevo" })).id;
  plain.push(pending);
  ids = { ana, rosa, broken, percent, plain };
});
afterAll(async () => {
  forget?.();
  await db?.dispose();
});

const list = async (qs: string) => {
  const r = await call(prestamos.GET, { path: `/api/prestamos${qs ? `?${qs}` : ""}`, token: reviewer });
  return r as { status: number; json: PrestamoListPage & { error?: { code: string } } };
};
const idsOf = (items: PrestamoListItem[]) => items.map((i) => i.id);

describe("GET /api/prestamos", () => {
  it("lists every prestamo in id order with its state, pagos and codes, and the total", async () => {
    const r = await list("");
    expect(r.status).toBe(200);
    expect(r.json.total).toBe(10);
    expect(idsOf(r.json.items)).toEqual([...idsOf(r.json.items)].sort((a, b) => a - b));
    const byId = new Map(r.json.items.map((i) => [i.id, i]));
    expect(byId.get(ids.ana)).toMatchObject({ clienteNombre: "Ana Torres", clienteDocumento: "12.345.678-K", state: "migrated", pagos: 2, codes: [] });
    expect(byId.get(ids.broken)).toMatchObject({ state: "failed", codes: ["INVALID_MONTO"] });
    expect(byId.get(ids.rosa)).toMatchObject({ state: "migrated", stale: true });
    expect(byId.get(ids.plain.at(-1)!)).toMatchObject({ state: "pending", stateUpdatedAt: null });
    expect(r.json.nextAfter).toBeNull();
    expect(r.json.prevBefore).toBeNull();
  });

  it("pages forwards and back with the same total on every page", async () => {
    const first = await list("limit=4");
    expect(first.json.items).toHaveLength(4);
    expect(first.json.total).toBe(10);
    expect(first.json.prevBefore).toBeNull();
    const second = await list(`limit=4&after=${first.json.nextAfter}`);
    expect(second.json.total).toBe(10);
    expect(second.json.items[0].id).toBeGreaterThan(first.json.items[3].id);
    const back = await list(`limit=4&before=${second.json.prevBefore}`);
    expect(idsOf(back.json.items)).toEqual(idsOf(first.json.items));
    expect(back.json.prevBefore).toBeNull();
    const last = await list(`limit=4&after=${second.json.nextAfter}`);
    expect(last.json.items).toHaveLength(2);
    expect(last.json.nextAfter).toBeNull();
  });

  it("searches a legacy id, part of a name or of a documento, case-insensitively, and counts the matches", async () => {
    const byId = await list(`q=${ids.rosa}`);
    expect(idsOf(byId.json.items)).toContain(ids.rosa);
    expect(byId.json.total).toBe(byId.json.items.length);
    const byName = await list("q=rosa%20qu");
    expect(idsOf(byName.json.items)).toEqual([ids.rosa]);
    expect(byName.json.total).toBe(1);
    const byDocumento = await list("q=345.678-k");
    expect(idsOf(byDocumento.json.items)).toEqual([ids.ana]);
    const cliente = await list("q=cliente");
    expect(cliente.json.total).toBe(6);
    // LIKE wildcards in the search are literal characters.
    expect(idsOf((await list("q=%25")).json.items)).toEqual([ids.percent]);
    expect(idsOf((await list("q=_")).json.items)).toEqual([ids.percent]);
    expect((await list("q=nobody%20here")).json).toMatchObject({ items: [], total: 0, nextAfter: null });
  });

  it("combines the search with the state and failure-code filters", async () => {
    expect(idsOf((await list("state=stale")).json.items)).toEqual([ids.rosa]);
    expect(idsOf((await list("state=failed&code=INVALID_MONTO")).json.items)).toEqual([ids.broken]);
    const pendingClientes = await list("state=pending&q=nuevo");
    expect(pendingClientes.json.total).toBe(1);
    expect((await list("state=failed&q=ana")).json.total).toBe(0);
  });

  it("totals every prestamo and each state from the kept counts, equal to counting the rows", async () => {
    const exact = await queryOne<{ all: number; pending: number; migrated: number; failed: number }>(
      db.db,
      sql`select count(*)::int as all, count(*) filter (where s.legacy_id is null)::int as pending,
                 count(*) filter (where s.state = 'migrated')::int as migrated, count(*) filter (where s.state = 'failed')::int as failed
          from prestamos p left join migration_state s on s.legacy_id = p.id`,
    );
    expect(exact).toEqual({ all: 10, pending: 1, migrated: 8, failed: 1 });
    expect((await list("")).json).toMatchObject({ total: exact!.all, totalIsLowerBound: false });
    for (const state of ["pending", "migrated", "failed"] as const) {
      expect((await list(`state=${state}`)).json, state).toMatchObject({ total: exact![state], totalIsLowerBound: false });
    }
    // The kept counts, not the rows: a kept count moved by hand shows in the total at once.
    await db.db.execute(sql`insert into legacy_row_counts (tbl, delta) values ('prestamos', 5)`);
    try {
      expect((await list("")).json.total).toBe(15);
      expect((await list("state=pending")).json.total).toBe(6);
    } finally {
      await db.db.execute(sql`insert into legacy_row_counts (tbl, delta) values ('prestamos', -5)`);
    }
  });

  it("counts a search only up to the cap, and says the total is a lower bound", async () => {
    const before = await queryOne<{ n: number }>(db.db, sql`select max(id)::int as n from prestamos`);
    await db.db.execute(
      sql`insert into prestamos (cliente_nombre, monto, tasa_interes, plazo_meses, fecha_otorgamiento, estado)
          select 'Masivo ' || i, 100, 10, 12, '2024-01-01', 'vigente' from generate_series(1, ${PRESTAMO_COUNT_CAP + 5}) i`,
    );
    try {
      expect((await list("q=masivo&limit=5")).json).toMatchObject({ total: PRESTAMO_COUNT_CAP, totalIsLowerBound: true });
      // "Masivo 1000" and "Masivo 10000" to "Masivo 10005".
      expect((await list("q=masivo%201000&limit=5")).json).toMatchObject({ total: 7, totalIsLowerBound: false });
    } finally {
      await db.db.execute(sql`delete from prestamos where id > ${before!.n}`);
    }
  });

  it("answers a bad query with a 400 JSON envelope and changes nothing", async () => {
    const before = await fingerprint(db.db);
    for (const qs of ["state=done", "code=NOPE", "after=1e3", "before=x", "limit=0", "limit=201", `q=${"x".repeat(201)}`]) {
      const r = await call(prestamos.GET, { path: `/api/prestamos?${qs}`, token: reviewer });
      expect(r.status, qs).toBe(400);
      expect(r.headers.get("content-type")).toContain("application/json");
      expect(r.json.error.code, qs).toBe("VALIDATION_ERROR");
    }
    expect(await fingerprint(db.db)).toEqual(before);
  });

  it("refuses a caller without a session or token", async () => {
    const r = await call(prestamos.GET, { path: "/api/prestamos" });
    expect(r.status).toBe(401);
  });
});
