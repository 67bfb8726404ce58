import { sql } from "drizzle-orm";
import { afterEach, describe, expect, it } from "vitest";
import { queryOne, queryRows } from "@/db/sql";
import { migrationStatus } from "@/db/migrate";
import { prepareDatabase } from "@/lib/migration/prepare";
import { openEmptyDb } from "@/lib/testing/app-db";
import { openTestDb, testDriver, type TestDb } from "@/lib/testing/db";
import { principalFromBearer } from "@/lib/auth/principal";
import { authenticate } from "@/lib/auth/sign-in";
import { createToken } from "@/lib/auth/tokens";
import { bootDatabase } from "./boot";
import { parseEnv } from "./env";

/** What start-up does to a database: idempotent, and the legacy tables are the application's. */
const open: TestDb[] = [];
afterEach(async () => {
  for (const t of open.splice(0)) await t.dispose();
});
const track = (t: TestDb) => (open.push(t), t);

async function legacyShape(t: TestDb) {
  const columns = await queryRows(
    t.db,
    sql`select table_name, column_name, data_type, coalesce(character_maximum_length, -1) as len, is_nullable, coalesce(column_default, '') as def
        from information_schema.columns where table_schema = current_schema() and table_name in ('prestamos','pagos_prestamo')
        order by table_name, ordinal_position`,
  );
  const indexes = await queryRows(
    t.db,
    sql`select indexname, indexdef from pg_indexes where schemaname = current_schema() and tablename in ('prestamos','pagos_prestamo') order by indexname`,
  );
  const constraints = await queryRows(
    t.db,
    sql`select conrelid::regclass::text as tbl, conname, pg_get_constraintdef(oid) as def from pg_constraint
        where conrelid in ('prestamos'::regclass, 'pagos_prestamo'::regclass) order by 1, 2`,
  );
  return { columns, indexes, constraints };
}

describe(`start-up on ${testDriver()}`, () => {
  it("prepareDatabase is idempotent: twice on a migrated database changes nothing and keeps the rows", async () => {
    const t = track(await openTestDb());
    await t.db.execute(sql`insert into prestamos (id, cliente_nombre) values (700001, 'keep me')`);
    const before = await migrationStatus(t);
    const shape = await legacyShape(t);
    expect(before.applied).toBeGreaterThan(0);

    expect(await prepareDatabase(t)).toStrictEqual({ createdLegacyTables: false });
    expect(await prepareDatabase(t)).toStrictEqual({ createdLegacyTables: false });

    expect(await migrationStatus(t)).toStrictEqual(before);
    expect(await legacyShape(t)).toStrictEqual(shape);
    expect(await queryOne(t.db, sql`select cliente_nombre from prestamos where id = 700001`)).toStrictEqual({ cliente_nombre: "keep me" });
  });

  it("creates the legacy tables on a brand-new database, once", async () => {
    const t = track(await openEmptyDb());
    expect(await prepareDatabase(t)).toStrictEqual({ createdLegacyTables: true });
    const shape = await legacyShape(t);
    expect(shape.columns.map((c) => `${c.table_name}.${c.column_name}`)).toEqual([
      "pagos_prestamo.id",
      "pagos_prestamo.prestamo_id",
      "pagos_prestamo.monto",
      "pagos_prestamo.fecha_pago",
      "pagos_prestamo.metodo",
      "pagos_prestamo.anulado",
      "pagos_prestamo.created_at",
      "prestamos.id",
      "prestamos.cliente_nombre",
      "prestamos.cliente_documento",
      "prestamos.monto",
      "prestamos.tasa_interes",
      "prestamos.plazo_meses",
      "prestamos.fecha_otorgamiento",
      "prestamos.estado",
      "prestamos.moneda",
      "prestamos.created_at",
      "prestamos.updated_at",
    ]);
    expect(await prepareDatabase(t)).toStrictEqual({ createdLegacyTables: false });
    expect(await legacyShape(t)).toStrictEqual(shape);
  });

  it("never alters legacy tables that are already there, even of another shape", async () => {
    const t = track(await openEmptyDb());
    // The application's own tables: an extra column, a wider varchar, no pagos index, rows.
    await t.db.execute(sql`create table prestamos (id serial primary key, cliente_nombre varchar(500), sucursal text, monto numeric(14,2),
      tasa_interes numeric(6,3), plazo_meses integer, fecha_otorgamiento varchar(20), estado varchar(20), moneda varchar(10), cliente_documento varchar(30),
      created_at timestamp not null default now(), updated_at timestamp not null default now())`);
    await t.db.execute(sql`create table pagos_prestamo (id serial primary key, prestamo_id integer, monto numeric(12,2), fecha_pago varchar(20),
      metodo varchar(20), anulado boolean not null default false, created_at timestamp not null default now(), canal text)`);
    await t.db.execute(sql`insert into prestamos (cliente_nombre, sucursal) values ('Rosa', 'Lima')`);
    const shape = await legacyShape(t);

    expect(await prepareDatabase(t)).toStrictEqual({ createdLegacyTables: false });
    expect(await legacyShape(t)).toStrictEqual(shape);
    expect(shape.indexes.map((i) => i.indexname)).not.toContain("pagos_prestamo_prestamo_id_idx");
    expect(await queryOne(t.db, sql`select cliente_nombre, sucursal from prestamos`)).toStrictEqual({ cliente_nombre: "Rosa", sucursal: "Lima" });
  });

  it("refuses to guess when only one legacy table exists", async () => {
    const t = track(await openEmptyDb());
    await t.db.execute(sql`create table prestamos (id serial primary key)`);
    await expect(prepareDatabase(t)).rejects.toThrow(/Only one of the legacy tables/);
    expect(await queryOne(t.db, sql`select to_regclass('pagos_prestamo') is null as absent`)).toStrictEqual({ absent: true });
  });

  it("bootDatabase twice: same migrations, demo users seeded once in embedded mode", async () => {
    const t = track(await openTestDb());
    const env = parseEnv({ DEMO_DATA: "off" });
    const first = await bootDatabase(t, env);
    const second = await bootDatabase(t, env);
    expect(second.migrationsApplied).toBe(first.migrationsApplied);
    expect(first.createdLegacyTables).toBe(false);
    expect(first.admin).toBe("none");
    expect(first.demoUsers.sort()).toEqual(["admin@demo.local", "reviewer@demo.local"]);
    expect(second.demoUsers).toEqual([]);
    const users = await queryRows(t.db, sql`select email, role from console_users order by email`);
    expect([...users]).toStrictEqual([
      { email: "admin@demo.local", role: "admin" },
      { email: "reviewer@demo.local", role: "reviewer" },
    ]);
  });

  it("an embedded folder that began as the demo and later got ADMIN_EMAIL: the demo users are disabled, their sessions and tokens end", async () => {
    const t = track(await openTestDb());
    await bootDatabase(t, parseEnv({ DEMO_DATA: "off" }));
    const demoAdmin = await queryOne<{ id: number }>(t.db, sql`select id from console_users where email = 'admin@demo.local'`);
    const token = await createToken(t.db, { name: "demo script", role: "admin", createdBy: "admin@demo.local", createdByUserId: demoAdmin!.id });
    expect((await authenticate(t.db, { email: "admin@demo.local", password: "demo-admin-pass" }, null)).ok).toBe(true);

    const env = parseEnv({ ADMIN_EMAIL: "owner@example.com", ADMIN_PASSWORD: "the owner's long password" });
    await bootDatabase(t, env);
    const rows = await queryRows<{ email: string; disabled: boolean }>(t.db, sql`select email, disabled from console_users order by email`);
    expect([...rows]).toStrictEqual([
      { email: "admin@demo.local", disabled: true },
      { email: "owner@example.com", disabled: false },
      { email: "reviewer@demo.local", disabled: true },
    ]);
    expect(await authenticate(t.db, { email: "admin@demo.local", password: "demo-admin-pass" }, null)).toMatchObject({ ok: false, error: "AccountDisabled" });
    await expect(principalFromBearer(t.db, token.token)).rejects.toMatchObject({ code: "UNAUTHENTICATED" });
    // Idempotent: a second start changes nothing more.
    const audits = await queryOne<{ n: number }>(t.db, sql`select count(*)::int as n from console_audit_log`);
    await bootDatabase(t, env);
    expect(await queryOne<{ n: number }>(t.db, sql`select count(*)::int as n from console_audit_log`)).toStrictEqual(audits);
  }, 300_000); // several scrypt hashes at OWASP's cost

  it("bootDatabase with ADMIN_EMAIL/ADMIN_PASSWORD creates that admin and no demo users", async () => {
    const t = track(await openTestDb());
    const env = parseEnv({ DATABASE_URL: "postgres://u@127.0.0.1:5432/x", ADMIN_EMAIL: "Boss@Example.com", ADMIN_PASSWORD: "a-long-enough-password" });
    const summary = await bootDatabase(t, env);
    expect(summary.admin).toBe("from-env");
    expect(summary.demoUsers).toEqual([]);
    expect(summary.demoData).toBe(false);
    await bootDatabase(t, env);
    const users = await queryRows(t.db, sql`select email, role, disabled from console_users order by email`);
    expect([...users]).toStrictEqual([{ email: "boss@example.com", role: "admin", disabled: false }]);
  });

  it("bootDatabase seeds demo legacy data once in embedded demo mode, never with DATABASE_URL", async () => {
    const t = track(await openTestDb());
    const onPostgres = await bootDatabase(t, parseEnv({ DATABASE_URL: "postgres://u@127.0.0.1:5432/x", DEMO_DATA: "on" }));
    expect(onPostgres.demoData).toBe(false);
    expect(await queryOne(t.db, sql`select count(*)::int as n from prestamos`)).toStrictEqual({ n: 0 });

    const first = await bootDatabase(t, parseEnv({}));
    expect(first.demoData).toBe(true);
    const counted = await queryOne<{ n: number }>(t.db, sql`select count(*)::int as n from prestamos`);
    expect(counted?.n).toBeGreaterThan(0);
    const second = await bootDatabase(t, parseEnv({}));
    expect(second.demoData).toBe(false);
    expect(await queryOne(t.db, sql`select count(*)::int as n from prestamos`)).toStrictEqual(counted);
  });
});
