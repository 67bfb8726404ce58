/**
 * The compatibility layer of a cut-over (MIGRATION-SPEC §9), generated from the rules table: views
 * named like the legacy tables that show the new rows in the legacy shape, and INSTEAD OF triggers
 * that apply the §3 rules to what the old application writes through them. A write the rules
 * refuse fails with check_violation, its message starting with the failure code.
 */
import { DERIVED_PRESTAMO_COLUMNS, PAGO_RULES, PRESTAMO_RULES } from "./rules";
import { failingRules, legacyPagoShape, legacyPrestamoShape, rawFieldsSql, valuesSql } from "./sql-builder";

export const VIEW_TRIGGERS = { prestamos: "console_view_prestamos", pagos: "console_view_pagos" } as const;

const pColumns = PRESTAMO_RULES.map((r) => r.column);
const gColumns = PAGO_RULES.map((r) => r.column);

/** The first failing rule's code over the record `r` (raw_<field> and <column>), or NULL. */
const firstFailure = (rules: typeof PRESTAMO_RULES | typeof PAGO_RULES) =>
  `CASE ${failingRules(rules, "r")
    .map(({ r, cond }) => `WHEN ${cond} THEN '${r.code}: ${r.field}'`)
    .join(" ")} END`;

const refuse = (what: string) =>
  `RAISE EXCEPTION USING ERRCODE = 'check_violation', MESSAGE = ${what}, HINT = 'The cut-over applies the migration rules to every write through the legacy names'`;

/**
 * Recomputes the columns derived from a prestamo's pagos (§2), for its new row id `pid`. The
 * caller holds the prestamo's row lock (lockPrestamos) before this statement, so its snapshot
 * sees every pago a concurrent writer of that prestamo committed: an UPDATE … FROM that waited
 * for the lock itself would keep the sum it read before the wait.
 */
const refreshDerived = (schema: string, pid: string) => `
       UPDATE ${schema}.prestamos_new v SET ${DERIVED_PRESTAMO_COLUMNS.map((d) => `${d.column} = ${d.sql}`).join(", ")}
       FROM (SELECT sum(g.monto_cents) FILTER (WHERE NOT g.anulado) AS total_cents,
                    count(*) FILTER (WHERE NOT g.anulado) AS n,
                    max(g.fecha_pago) FILTER (WHERE NOT g.anulado) AS ultimo
             FROM ${schema}.pagos_prestamo_new g WHERE g.prestamo_id = ${pid}) a
       WHERE v.id = ${pid};`;

/** Row locks on the prestamos whose totals a pago write changes, in id order (two sessions moving pagos both ways never deadlock). */
const lockPrestamos = (schema: string, ...pids: string[]) =>
  `PERFORM 1 FROM ${schema}.prestamos_new WHERE id IN (${pids.join(", ")}) ORDER BY id FOR NO KEY UPDATE;`;

/**
 * The view's row as the statement read it (OLD, from its snapshot) against the row now, once
 * locked. A table re-reads a row a concurrent transaction changed (READ COMMITTED) and applies the
 * statement to the new version; a view cannot, so the write is refused with the error PostgreSQL
 * gives under REPEATABLE READ rather than applied from a stale row (monto = monto + 1 would lose
 * the other session's change). A row deleted meanwhile is skipped, as a table would skip it.
 */
const staleRowCheck = (schema: string, view: string) => `
       IF NOT FOUND THEN RETURN NULL; END IF;
       IF (SELECT v FROM ${schema}.${view} v WHERE v.id = OLD.id) IS DISTINCT FROM OLD THEN
         RAISE EXCEPTION USING ERRCODE = 'serialization_failure', MESSAGE = 'could not serialize access due to concurrent update',
           HINT = 'Another session changed this row of ${view} after this statement read it; retry the transaction';
       END IF;`;

export function compatibilityDdl(schema: string, seq: { prestamos: string; pagos: string }): string[] {
  const fnP = `${schema}.console_view_prestamos_fn`;
  const fnG = `${schema}.console_view_pagos_fn`;
  return [
    `CREATE VIEW ${schema}.prestamos AS SELECT ${legacyPrestamoShape("n")} FROM ${schema}.prestamos_new n`,
    `CREATE VIEW ${schema}.pagos_prestamo AS SELECT ${legacyPagoShape("n", "p")}
     FROM ${schema}.pagos_prestamo_new n JOIN ${schema}.prestamos_new p ON p.id = n.prestamo_id`,
    // The legacy defaults: ids from the legacy sequences, timestamps now(), a pago not voided.
    `ALTER VIEW ${schema}.prestamos ALTER COLUMN id SET DEFAULT nextval('${seq.prestamos}'::regclass)`,
    `ALTER VIEW ${schema}.prestamos ALTER COLUMN created_at SET DEFAULT now()`,
    `ALTER VIEW ${schema}.prestamos ALTER COLUMN updated_at SET DEFAULT now()`,
    `ALTER VIEW ${schema}.pagos_prestamo ALTER COLUMN id SET DEFAULT nextval('${seq.pagos}'::regclass)`,
    `ALTER VIEW ${schema}.pagos_prestamo ALTER COLUMN created_at SET DEFAULT now()`,
    `ALTER VIEW ${schema}.pagos_prestamo ALTER COLUMN anulado SET DEFAULT false`,
    `CREATE OR REPLACE FUNCTION ${fnP}() RETURNS trigger
     LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, ${schema} AS $$
     DECLARE r record; failure text; pid bigint;
     BEGIN
       IF TG_OP <> 'INSERT' THEN
         PERFORM 1 FROM ${schema}.prestamos_new WHERE legacy_id = OLD.id FOR NO KEY UPDATE;
         ${staleRowCheck(schema, "prestamos")}
       END IF;
       IF TG_OP = 'DELETE' THEN
         DELETE FROM ${schema}.prestamos_new WHERE legacy_id = OLD.id;
         RETURN OLD;
       END IF;
       SELECT l.id, ${rawFieldsSql(PRESTAMO_RULES)}, ${valuesSql(PRESTAMO_RULES)} INTO r FROM (SELECT NEW.*) l;
       failure := ${firstFailure(PRESTAMO_RULES)};
       IF failure IS NOT NULL THEN ${refuse(`failure || ' (prestamo ' || coalesce(NEW.id::text, 'new') || ')'`)}; END IF;
       IF TG_OP = 'INSERT' THEN
         INSERT INTO ${schema}.prestamos_new (legacy_id, ${pColumns.join(", ")}, fecha_vencimiento, total_pagado_cents, pagos_count, saldo_cents)
         VALUES (NEW.id, ${pColumns.map((c) => `r.${c}`).join(", ")}, r.fecha_otorgamiento, 0, 0, r.monto_cents)
         RETURNING id INTO pid;
       ELSE
         UPDATE ${schema}.prestamos_new SET legacy_id = NEW.id, ${pColumns.map((c) => `${c} = r.${c}`).join(", ")}, migrated_at = now()
         WHERE legacy_id = OLD.id RETURNING id INTO pid;
       END IF;
       ${refreshDerived(schema, "pid")}
       RETURN NEW;
     END $$`,
    `CREATE OR REPLACE FUNCTION ${fnG}() RETURNS trigger
     LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, ${schema} AS $$
     DECLARE r record; failure text; pid bigint; old_pid bigint;
     BEGIN
       IF TG_OP <> 'INSERT' THEN
         SELECT prestamo_id INTO old_pid FROM ${schema}.pagos_prestamo_new WHERE legacy_id = OLD.id FOR UPDATE;
         ${staleRowCheck(schema, "pagos_prestamo")}
       END IF;
       IF TG_OP = 'DELETE' THEN
         DELETE FROM ${schema}.pagos_prestamo_new WHERE legacy_id = OLD.id;
         ${lockPrestamos(schema, "old_pid")}
         ${refreshDerived(schema, "old_pid")}
         RETURN OLD;
       END IF;
       SELECT l.id, l.prestamo_id, ${rawFieldsSql(PAGO_RULES)}, ${valuesSql(PAGO_RULES)} INTO r FROM (SELECT NEW.*) l;
       failure := ${firstFailure(PAGO_RULES)};
       IF failure IS NOT NULL THEN ${refuse(`failure || ' (pago ' || coalesce(NEW.id::text, 'new') || ')'`)}; END IF;
       SELECT id INTO pid FROM ${schema}.prestamos_new WHERE legacy_id = NEW.prestamo_id;
       -- The new schema has no orphan pagos (prestamo_id is a foreign key).
       IF pid IS NULL THEN ${refuse(`'INVALID_PAGO: prestamo_id ' || coalesce(NEW.prestamo_id::text, 'NULL') || ' names no prestamo'`)}; END IF;
       IF TG_OP = 'INSERT' THEN
         INSERT INTO ${schema}.pagos_prestamo_new (legacy_id, prestamo_id, ${gColumns.join(", ")})
         VALUES (NEW.id, pid, ${gColumns.map((c) => `r.${c}`).join(", ")});
       ELSE
         UPDATE ${schema}.pagos_prestamo_new SET legacy_id = NEW.id, prestamo_id = pid, ${gColumns.map((c) => `${c} = r.${c}`).join(", ")}, migrated_at = now()
         WHERE legacy_id = OLD.id;
       END IF;
       ${lockPrestamos(schema, "old_pid", "pid")}
       IF old_pid <> pid THEN ${refreshDerived(schema, "old_pid")} END IF;
       ${refreshDerived(schema, "pid")}
       RETURN NEW;
     END $$`,
    `CREATE TRIGGER ${VIEW_TRIGGERS.prestamos} INSTEAD OF INSERT OR UPDATE OR DELETE ON ${schema}.prestamos FOR EACH ROW EXECUTE FUNCTION ${fnP}()`,
    `CREATE TRIGGER ${VIEW_TRIGGERS.pagos} INSTEAD OF INSERT OR UPDATE OR DELETE ON ${schema}.pagos_prestamo FOR EACH ROW EXECUTE FUNCTION ${fnG}()`,
    // New rows the new application writes have a legacy id from the same sequences, and the
    // legacy timestamps the archive needs.
    `ALTER TABLE ${schema}.prestamos_new ALTER COLUMN legacy_id SET DEFAULT nextval('${seq.prestamos}'::regclass)`,
    `ALTER TABLE ${schema}.pagos_prestamo_new ALTER COLUMN legacy_id SET DEFAULT nextval('${seq.pagos}'::regclass)`,
    `ALTER TABLE ${schema}.prestamos_new ALTER COLUMN legacy_updated_at SET DEFAULT localtimestamp`,
    `ALTER TABLE ${schema}.prestamos_new ALTER COLUMN legacy_created_at SET DEFAULT localtimestamp`,
    `ALTER TABLE ${schema}.pagos_prestamo_new ALTER COLUMN legacy_created_at SET DEFAULT localtimestamp`,
  ];
}

export const dropViewsDdl = (schema: string) => [`DROP VIEW IF EXISTS ${schema}.pagos_prestamo`, `DROP VIEW IF EXISTS ${schema}.prestamos`];

export const dropNewDefaultsDdl = (schema: string) => [
  `ALTER TABLE ${schema}.prestamos_new ALTER COLUMN legacy_id DROP DEFAULT`,
  `ALTER TABLE ${schema}.pagos_prestamo_new ALTER COLUMN legacy_id DROP DEFAULT`,
  `ALTER TABLE ${schema}.prestamos_new ALTER COLUMN legacy_updated_at DROP DEFAULT`,
  `ALTER TABLE ${schema}.prestamos_new ALTER COLUMN legacy_created_at DROP DEFAULT`,
  `ALTER TABLE ${schema}.pagos_prestamo_new ALTER COLUMN legacy_created_at DROP DEFAULT`,
];
