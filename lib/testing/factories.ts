/**
 * Small SQL factories of legacy rows for integration tests: a valid prestamo by default, dirty
 * by name — `insertPrestamo(db, { cliente_nombre: "  Ana  " }, [{ monto: "10.00" }])`.
 * Values go in as text exactly as given (white space preserved), cast by PostgreSQL to the column
 * type, so a test writes what the loans application would have stored.
 */
import { sql } from "drizzle-orm";
import type { Db, Exec } from "@/db/client";
import { BEFORE_ANY_LEGACY_ID } from "@/db/schema";
import { queryOne, queryRows } from "@/db/sql";
import { lockWriters, migrateWindow, syncPrestamos } from "@/lib/migration/write";

export interface PrestamoFields {
  cliente_nombre?: string | null;
  cliente_documento?: string | null;
  monto?: string | number | null;
  tasa_interes?: string | number | null;
  plazo_meses?: number | null;
  fecha_otorgamiento?: string | null;
  estado?: string | null;
  moneda?: string | null;
  updated_at?: string;
}

export interface PagoFields {
  monto?: string | number | null;
  fecha_pago?: string | null;
  metodo?: string | null;
  anulado?: boolean;
}

export const VALID_PRESTAMO: Required<Omit<PrestamoFields, "updated_at">> = {
  cliente_nombre: "Ana Torres",
  cliente_documento: "12345678",
  monto: "1000.00",
  tasa_interes: "36.500",
  plazo_meses: 12,
  fecha_otorgamiento: "2024-01-31",
  estado: "activo",
  moneda: "PEN",
};

export const VALID_PAGO: Required<PagoFields> = { monto: "100.00", fecha_pago: "2024-02-29", metodo: "efectivo", anulado: false };

const txt = (v: string | number | null | undefined) => (v === null || v === undefined ? null : String(v));

/** Inserts one legacy prestamo and its pagos; returns the ids. */
export async function insertPrestamo(db: Exec, fields: PrestamoFields = {}, pagos: PagoFields[] = []): Promise<{ id: number; pagoIds: number[] }> {
  const p = { ...VALID_PRESTAMO, ...fields };
  const row = await queryOne<{ id: number }>(
    db,
    sql`INSERT INTO prestamos (cliente_nombre, cliente_documento, monto, tasa_interes, plazo_meses, fecha_otorgamiento, estado, moneda, updated_at)
        VALUES (${txt(p.cliente_nombre)}, ${txt(p.cliente_documento)}, ${txt(p.monto)}::numeric, ${txt(p.tasa_interes)}::numeric,
                ${txt(p.plazo_meses)}::int, ${txt(p.fecha_otorgamiento)}, ${txt(p.estado)}, ${txt(p.moneda)},
                coalesce(${fields.updated_at ?? null}::timestamp, now()::timestamp(3)))
        RETURNING id`,
  );
  const id = Number(row!.id);
  const pagoIds: number[] = [];
  for (const g of pagos) pagoIds.push(await insertPago(db, id, g));
  return { id, pagoIds };
}

/** Inserts one legacy pago (prestamoId null or naming no prestamo: an orphan). */
export async function insertPago(db: Exec, prestamoId: number | null, fields: PagoFields = {}): Promise<number> {
  const g = { ...VALID_PAGO, ...fields };
  const row = await queryOne<{ id: number }>(
    db,
    sql`INSERT INTO pagos_prestamo (prestamo_id, monto, fecha_pago, metodo, anulado)
        VALUES (${prestamoId}::int, ${txt(g.monto)}::numeric, ${txt(g.fecha_pago)}, ${txt(g.metodo)}, ${g.anulado})
        RETURNING id`,
  );
  return Number(row!.id);
}

/** Inserts `count` valid prestamos with `pagosEach` pagos each in one statement (for volume tests). */
export async function insertManyValid(db: Exec, count: number, pagosEach = 2): Promise<void> {
  await db.execute(sql`
    WITH p AS (
      INSERT INTO prestamos (cliente_nombre, cliente_documento, monto, tasa_interes, plazo_meses, fecha_otorgamiento, estado, moneda)
      SELECT 'Cliente ' || i, lpad(i::text, 8, '0'), 1000 + (i % 500), 36.5, 12, '2024-01-31', 'activo', 'PEN'
      FROM generate_series(1, ${count}) i
      RETURNING id
    )
    INSERT INTO pagos_prestamo (prestamo_id, monto, fecha_pago, metodo, anulado)
    SELECT p.id, 50, '2024-02-15', 'efectivo', false FROM p CROSS JOIN generate_series(1, ${pagosEach})`);
}

/** Migrates every pending legacy prestamo as a run batch would (insert-only), in one transaction. */
export async function migrateAll(db: Db): Promise<{ migrated: number; failed: number }> {
  return db.transaction(async (tx) => {
    await lockWriters(tx, "shared");
    const r = await migrateWindow(tx, { after: BEFORE_ANY_LEGACY_ID, limit: 2_000_000, runId: 1, retry: false });
    return { migrated: r.migrated, failed: r.failed };
  });
}

/** Re-syncs the given prestamos as single / change capture would. */
export async function syncIds(db: Db, ids: number[]) {
  return db.transaction(async (tx) => {
    await lockWriters(tx, "exclusive");
    return syncPrestamos(tx, ids, { take: "all" });
  });
}

/** The new id of a legacy prestamo (for tampering in tests). */
export async function newIdOf(db: Exec, legacyId: number): Promise<number> {
  const rows = await queryRows<{ id: number }>(db, sql`SELECT id FROM prestamos_new WHERE legacy_id = ${legacyId}`);
  if (!rows[0]) throw new Error(`prestamo ${legacyId} has no new row`);
  return Number(rows[0].id);
}
