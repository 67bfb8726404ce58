import path from "node:path";
import { sql } from "drizzle-orm";
import type { DbHandle } from "./client";
import { queryOne } from "./sql";

/** ../shared/legacy-schema.sql, verbatim: used only when the legacy tables are absent. */
export const LEGACY_SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS prestamos (
  id                 serial PRIMARY KEY,
  cliente_nombre     varchar(200),
  cliente_documento  varchar(30),
  monto              numeric(12,2),
  tasa_interes       numeric(6,3),
  plazo_meses        integer,
  fecha_otorgamiento varchar(20),
  estado             varchar(20),
  moneda             varchar(10),
  created_at         timestamp NOT NULL DEFAULT now(),
  updated_at         timestamp NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS pagos_prestamo (
  id          serial PRIMARY KEY,
  prestamo_id integer,
  monto       numeric(12,2),
  fecha_pago  varchar(20),
  metodo      varchar(20),
  anulado     boolean NOT NULL DEFAULT false,
  created_at  timestamp NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS pagos_prestamo_prestamo_id_idx ON pagos_prestamo (prestamo_id);
`;

export const MIGRATIONS_FOLDER = path.join(process.cwd(), "drizzle");

/** Creates the legacy tables when a trial database has none; never touches existing ones. */
export async function ensureLegacyTables(handle: DbHandle): Promise<boolean> {
  const row = await queryOne<{ n: number }>(
    handle.db,
    sql`select count(*)::int as n from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = current_schema() and c.relname in ('prestamos','pagos_prestamo') and c.relkind = 'r'`,
  );
  if ((row?.n ?? 0) === 2) return false;
  if ((row?.n ?? 0) === 1) {
    throw new Error("Only one of the legacy tables prestamos / pagos_prestamo exists: refusing to guess, create the other by hand.");
  }
  for (const statement of LEGACY_SCHEMA_SQL.split(";")
    .map((s) => s.trim())
    .filter(Boolean)) {
    await handle.db.execute(sql.raw(statement));
  }
  return true;
}

/** Applies the drizzle-kit migrations in drizzle/ with the driver's own migrator. */
export async function applyMigrations(handle: DbHandle, migrationsFolder = MIGRATIONS_FOLDER): Promise<void> {
  if (handle.driver === "pglite") {
    const { migrate } = await import("drizzle-orm/pglite/migrator");
    await migrate(handle.db as never, { migrationsFolder });
  } else {
    const { migrate } = await import("drizzle-orm/postgres-js/migrator");
    await migrate(handle.db as never, { migrationsFolder });
  }
}

/** Count of drizzle migrations recorded in the database against those in the folder. */
export async function migrationStatus(handle: DbHandle): Promise<{ applied: number }> {
  try {
    const row = await queryOne<{ n: number }>(handle.db, sql`select count(*)::int as n from drizzle.__drizzle_migrations`);
    return { applied: row?.n ?? 0 };
  } catch {
    return { applied: 0 };
  }
}
