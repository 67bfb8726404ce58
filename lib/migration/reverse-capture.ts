/**
 * Reverse capture (MIGRATION-SPEC §9): after the cut-over the new tables are the source of truth
 * and the legacy tables, renamed to the archive, are the way back. Row triggers on the new tables
 * append every prestamo they change to `reverse_changes` (a prestamo by its legacy id, a pago's
 * prestamo by its new id, resolved when applied); the console applies
 * those prestamos to the archive in the legacy shape (set-based, the mapping derived from the
 * rules table) and deletes exactly the entries it applied, in the same transaction. Like the
 * forward queue: no watermark, an entry committed late is simply taken by the next drain.
 */
import { sql } from "drizzle-orm";
import type { Db, Exec } from "@/db/client";
import { queryRows } from "@/db/sql";
import { LEGACY_PAGO_FIELDS, LEGACY_PRESTAMO_FIELDS, legacyPagoShape, legacyPrestamoShape } from "./sql-builder";
import { intArrayLiteral, lockWriters } from "./write";

export const ARCHIVE = { prestamos: "prestamos_legacy", pagos: "pagos_prestamo_legacy" } as const;
export const REVERSE_TRIGGERS = { prestamos: "console_reverse_prestamos", pagos: "console_reverse_pagos" } as const;

/** The trigger functions and triggers, ENABLE ALWAYS: a write in replica mode is captured too. */
export function reverseCaptureDdl(schema: string): string[] {
  const q = `${schema}.reverse_changes`;
  return [
    `CREATE OR REPLACE FUNCTION ${schema}.console_reverse_prestamos_fn() RETURNS trigger
     LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, ${schema} AS $$
     BEGIN
       IF TG_OP <> 'DELETE' THEN INSERT INTO ${q} (prestamo_id) VALUES (NEW.legacy_id); END IF;
       IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND NEW.legacy_id IS DISTINCT FROM OLD.legacy_id) THEN
         INSERT INTO ${q} (prestamo_id) VALUES (OLD.legacy_id);
       END IF;
       RETURN NULL;
     END $$`,
    // A pago names its prestamo by its new id: both the prestamo it joins and the one it leaves
    // changed. Recorded as it is (the drain resolves it to the legacy id), so the application's
    // write pays no lookup. (A pago removed by the cascade of its prestamo: the prestamo's own
    // trigger recorded it.)
    `CREATE OR REPLACE FUNCTION ${schema}.console_reverse_pagos_fn() RETURNS trigger
     LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, ${schema} AS $$
     BEGIN
       IF TG_OP <> 'DELETE' THEN INSERT INTO ${q} (new_prestamo_id) VALUES (NEW.prestamo_id); END IF;
       IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND OLD.prestamo_id IS DISTINCT FROM NEW.prestamo_id) THEN
         INSERT INTO ${q} (new_prestamo_id) VALUES (OLD.prestamo_id);
       END IF;
       RETURN NULL;
     END $$`,
    `CREATE TRIGGER ${REVERSE_TRIGGERS.prestamos} AFTER INSERT OR UPDATE OR DELETE ON ${schema}.prestamos_new
     FOR EACH ROW EXECUTE FUNCTION ${schema}.console_reverse_prestamos_fn()`,
    `CREATE TRIGGER ${REVERSE_TRIGGERS.pagos} AFTER INSERT OR UPDATE OR DELETE ON ${schema}.pagos_prestamo_new
     FOR EACH ROW EXECUTE FUNCTION ${schema}.console_reverse_pagos_fn()`,
    `ALTER TABLE ${schema}.prestamos_new ENABLE ALWAYS TRIGGER ${REVERSE_TRIGGERS.prestamos}`,
    `ALTER TABLE ${schema}.pagos_prestamo_new ENABLE ALWAYS TRIGGER ${REVERSE_TRIGGERS.pagos}`,
  ];
}

export const dropReverseCaptureDdl = (schema: string) => [
  `DROP TRIGGER IF EXISTS ${REVERSE_TRIGGERS.prestamos} ON ${schema}.prestamos_new`,
  `DROP TRIGGER IF EXISTS ${REVERSE_TRIGGERS.pagos} ON ${schema}.pagos_prestamo_new`,
];

const upsert = (table: string, fields: readonly string[], select: string) =>
  `INSERT INTO ${table} (${fields.join(", ")}) ${select}
   ON CONFLICT (id) DO UPDATE SET ${fields
     .filter((f) => f !== "id")
     .map((f) => `${f} = excluded.${f}`)
     .join(", ")}`;

const APPLY_SQL = (ids: string) => [
  // Gone from the new tables: gone from the archive (a pago of a deleted prestamo went with it, by
  // the new tables' cascade).
  `DELETE FROM ${ARCHIVE.prestamos} a WHERE a.id = ANY('${ids}'::int[])
     AND NOT EXISTS (SELECT 1 FROM prestamos_new n WHERE n.legacy_id = a.id)`,
  `DELETE FROM ${ARCHIVE.pagos} a WHERE a.prestamo_id = ANY('${ids}'::int[])
     AND NOT EXISTS (SELECT 1 FROM pagos_prestamo_new n WHERE n.legacy_id = a.id)`,
  upsert(ARCHIVE.prestamos, LEGACY_PRESTAMO_FIELDS, `SELECT ${legacyPrestamoShape("n")} FROM prestamos_new n WHERE n.legacy_id = ANY('${ids}'::int[])`),
  upsert(
    ARCHIVE.pagos,
    LEGACY_PAGO_FIELDS,
    `SELECT ${legacyPagoShape("n", "p")} FROM pagos_prestamo_new n JOIN prestamos_new p ON p.id = n.prestamo_id WHERE p.legacy_id = ANY('${ids}'::int[])`,
  ),
  // Progress and the gates count prestamos by their state: a loan the application added after the
  // cut-over is migrated (it has its new row), one it deleted is nobody's.
  `INSERT INTO migration_state (legacy_id, state, run_id, updated_at)
   SELECT n.legacy_id, 'migrated', NULL, now() FROM prestamos_new n WHERE n.legacy_id = ANY('${ids}'::int[])
   ON CONFLICT (legacy_id) DO UPDATE SET state = 'migrated', updated_at = now() WHERE migration_state.state <> 'migrated'`,
  `DELETE FROM migration_state s WHERE s.legacy_id = ANY('${ids}'::int[])
     AND NOT EXISTS (SELECT 1 FROM prestamos_new n WHERE n.legacy_id = s.legacy_id)`,
];

/** Applies the given prestamos (legacy ids) from the new tables to the archive, inside the caller's transaction. */
export async function applyToArchive(tx: Exec, ids: readonly number[]): Promise<void> {
  if (ids.length === 0) return;
  const literal = intArrayLiteral(ids);
  for (const statement of APPLY_SQL(literal)) await tx.execute(sql.raw(statement));
}

/** Takes up to `limit` entries (all with no limit) and applies their prestamos, inside the caller's transaction. */
export async function takeAndApply(tx: Exec, limit?: number): Promise<{ entries: number; prestamos: number }> {
  // The entries a pago's trigger made name the new prestamo: its legacy id now (a prestamo deleted
  // since was recorded by its own trigger, by its legacy id). A key lookup per entry: a join would
  // let the planner, blind to the queue's size, hash all of prestamos_new while the writes are held.
  // (The queue's guard lets only a console that resolves them delete such entries: see the migration.)
  await tx.execute(sql`select set_config('console.reverse_resolves_new_ids', 'on', true)`);
  const taken = await queryRows<{ prestamo_id: number | null }>(
    tx,
    sql`with taken as (
          delete from reverse_changes
          ${limit === undefined ? sql`` : sql`where ctid = any(array(select ctid from reverse_changes limit ${limit} for update skip locked))`}
          returning prestamo_id, new_prestamo_id)
        select coalesce(t.prestamo_id, (select p.legacy_id from prestamos_new p where p.id = t.new_prestamo_id)) as prestamo_id from taken t`,
  );
  const ids = [...new Set(taken.filter((r) => r.prestamo_id !== null).map((r) => Number(r.prestamo_id)))].sort((a, b) => a - b);
  await applyToArchive(tx, ids);
  return { entries: taken.length, prestamos: ids.length };
}

/** One drain of the reverse queue in its own transaction (the background worker calls it). */
export async function drainReverse(db: Db, limit = 2000): Promise<{ entries: number; prestamos: number }> {
  // Cheap when there is nothing to do (every idle tick before and after a cut-over).
  const any = await queryRows(db, sql`select 1 from reverse_changes limit 1`);
  if (any.length === 0) return { entries: 0, prestamos: 0 };
  return db.transaction(async (tx) => {
    await lockWriters(tx, "exclusive");
    return takeAndApply(tx, limit);
  });
}

export async function reverseBacklog(db: Exec): Promise<number> {
  const rows = await queryRows<{ n: number }>(db, sql`select count(*)::int as n from reverse_changes`);
  return Number(rows[0]?.n ?? 0);
}
