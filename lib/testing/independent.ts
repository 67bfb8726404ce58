import { sql } from "drizzle-orm";
import type { Exec } from "@/db/client";
import { queryOne, queryRows } from "@/db/sql";
import { getStateCounts } from "@/lib/migration/state-counts";

/**
 * An independent expectation of the new tables, written apart from the rules table on purpose
 * (plain SQL, its own date lookup and its own mappings), so that a test comparing the engine's
 * output with it can catch a wrong rule. Returns every disagreement.
 */
const EXPECTED = `
  ws AS (SELECT '[ \\t\\n\\r\\f\\v]+'::text AS re),
  lp AS (
    SELECT p.id, p.updated_at,
      btrim(regexp_replace(p.cliente_nombre, (SELECT re FROM ws), ' ', 'g'), ' ') AS nombre,
      p.cliente_documento AS doc, p.monto, p.tasa_interes, p.plazo_meses,
      btrim(regexp_replace(p.fecha_otorgamiento, (SELECT re FROM ws), ' ', 'g'), ' ') AS fecha_t,
      lower(btrim(regexp_replace(p.estado, (SELECT re FROM ws), ' ', 'g'), ' ') COLLATE "C") AS estado_t,
      upper(coalesce(btrim(regexp_replace(p.moneda, (SELECT re FROM ws), ' ', 'g'), ' '), '') COLLATE "C") AS moneda_t
    FROM prestamos p
  ),
  lg AS (
    SELECT g.id, g.prestamo_id, g.monto, g.anulado, vd.d AS fecha,
      CASE lower(btrim(regexp_replace(g.metodo, (SELECT re FROM ws), ' ', 'g'), ' ') COLLATE "C")
        WHEN 'efectivo' THEN 'efectivo' WHEN 'cash' THEN 'efectivo'
        WHEN 'transferencia' THEN 'transferencia' WHEN 'transf' THEN 'transferencia' WHEN 'tef' THEN 'transferencia'
        WHEN 'deposito' THEN 'deposito' WHEN 'cheque' THEN 'cheque' ELSE 'otro' END AS metodo
    FROM pagos_prestamo g
    LEFT JOIN test_valid_dates vd ON vd.t = btrim(regexp_replace(g.fecha_pago, (SELECT re FROM ws), ' ', 'g'), ' ')
  ),
  -- One aggregate per prestamo, joined once: correlated subqueries over the materialized lg
  -- rescan it per prestamo (prestamos × pagos rows, minutes at a few thousand loans).
  la AS (
    SELECT g.prestamo_id,
      sum((g.monto * 100)::bigint) FILTER (WHERE NOT g.anulado) AS total_pagado_cents,
      count(*) FILTER (WHERE NOT g.anulado)::int AS pagos_count,
      max(g.fecha) FILTER (WHERE NOT g.anulado) AS ultimo_pago,
      bool_or(g.monto IS NULL OR g.monto <= 0 OR g.fecha IS NULL) AS bad_pago
    FROM lg g GROUP BY g.prestamo_id
  ),
  exp AS (
    SELECT lp.id AS legacy_id, lp.nombre AS cliente_nombre,
      nullif(upper(regexp_replace(coalesce(lp.doc, ''), '[^0-9A-Za-z]', '', 'g')), '') AS cliente_documento,
      (lp.monto * 100)::bigint AS monto_cents, round(lp.tasa_interes / 100, 6) AS tasa_anual, lp.plazo_meses,
      vd.d AS fecha_otorgamiento, (vd.d + (lp.plazo_meses || ' months')::interval)::date AS fecha_vencimiento,
      CASE WHEN lp.estado_t IN ('activo','vigente','al dia') THEN 'activo'
           WHEN lp.estado_t IN ('mora','en mora','en_mora','moroso','vencido') THEN 'en_mora'
           WHEN lp.estado_t IN ('pagado','cancelado','liquidado') THEN 'pagado'
           WHEN lp.estado_t IN ('castigado','anulado') THEN lp.estado_t END AS estado,
      CASE WHEN lp.moneda_t IN ('', 'PEN', 'S/', 'S/.', 'SOLES') THEN 'PEN' WHEN lp.moneda_t IN ('USD', 'US$', 'DOLARES') THEN 'USD' END AS moneda,
      coalesce(la.total_pagado_cents, 0) AS total_pagado_cents,
      coalesce(la.pagos_count, 0) AS pagos_count,
      la.ultimo_pago,
      lp.updated_at AS legacy_updated_at,
      (coalesce(lp.nombre, '') <> '' AND lp.monto > 0 AND lp.tasa_interes BETWEEN 0 AND 200 AND lp.plazo_meses BETWEEN 1 AND 600
        AND vd.d IS NOT NULL
        AND lp.estado_t IN ('activo','vigente','al dia','mora','en mora','en_mora','moroso','vencido','pagado','cancelado','liquidado','castigado','anulado')
        AND lp.moneda_t IN ('', 'PEN', 'S/', 'S/.', 'SOLES', 'USD', 'US$', 'DOLARES')
        AND NOT coalesce(la.bad_pago, false)) AS valid
    FROM lp LEFT JOIN test_valid_dates vd ON vd.t = lp.fecha_t LEFT JOIN la ON la.prestamo_id = lp.id
  )`;

export interface IndependentReport {
  /** Legacy prestamos valid by the independent rules but not in prestamos_new (when `complete`). */
  missing: number[];
  /** Rows in prestamos_new for a prestamo that is invalid or gone. */
  unexpected: number[];
  /**
   * legacy_id + column for every value that differs; also (legacy id 0, column
   * `migration_state_counts.<state>`) a state count that progress would show wrong.
   */
  columnDiffs: { legacyId: number; column: string; expected: string | null; actual: string | null }[];
  /** Pagos: missing, extra, under the wrong prestamo or with a differing value. */
  pagoDiffs: { legacyId: number; problem: string }[];
  /** Legacy ids that appear twice in the new table (impossible with the unique key; checked anyway). */
  duplicates: number;
  counts: { legacyValid: number; migrated: number };
}

const COLUMNS = [
  "cliente_nombre",
  "cliente_documento",
  "monto_cents",
  "tasa_anual",
  "plazo_meses",
  "fecha_otorgamiento",
  "fecha_vencimiento",
  "estado",
  "moneda",
  "total_pagado_cents",
  "pagos_count",
  "ultimo_pago",
  "saldo_cents",
  "legacy_updated_at",
];

/** Compares the new tables with the independent expectation. `scope: "all"`: every valid legacy prestamo must be migrated. */
export async function independentCompare(db: Exec, scope: "all" | "migrated" = "all"): Promise<IndependentReport> {
  // Every valid date in every accepted spelling, once per test database (73,000 days × 5 forms).
  await db.execute(
    sql.raw(`CREATE TABLE IF NOT EXISTS test_valid_dates AS SELECT d::date AS d, to_char(d, 'YYYY-MM-DD') AS t FROM generate_series('1900-01-01'::date, '2100-12-31'::date, '1 day') d
    UNION ALL SELECT d::date, to_char(d, 'FMDD/FMMM/YYYY') FROM generate_series('1900-01-01'::date, '2100-12-31'::date, '1 day') d
    UNION ALL SELECT d::date, to_char(d, 'DD/MM/YYYY') FROM generate_series('1900-01-01'::date, '2100-12-31'::date, '1 day') d WHERE extract(day from d) < 10 OR extract(month from d) < 10
    UNION ALL SELECT d::date, to_char(d, 'FMDD/MM/YYYY') FROM generate_series('1900-01-01'::date, '2100-12-31'::date, '1 day') d WHERE extract(day from d) < 10 AND extract(month from d) < 10
    UNION ALL SELECT d::date, to_char(d, 'DD/FMMM/YYYY') FROM generate_series('1900-01-01'::date, '2100-12-31'::date, '1 day') d WHERE extract(day from d) < 10 AND extract(month from d) < 10`),
  );
  await db.execute(sql.raw(`CREATE INDEX IF NOT EXISTS test_valid_dates_t ON test_valid_dates (t)`));
  // Planner statistics of the tables read (autovacuum may be off, as it is on the CI machine).
  await db.execute(sql.raw(`ANALYZE test_valid_dates, prestamos, pagos_prestamo, prestamos_new, pagos_prestamo_new`));
  const diffRows = await queryRows<{ legacy_id: number; column: string; expected: string | null; actual: string | null }>(
    db,
    sql.raw(`WITH ${EXPECTED}
      SELECT e.legacy_id, c.col AS column, c.e AS expected, c.a AS actual
      FROM exp e JOIN prestamos_new n ON n.legacy_id = e.legacy_id
      CROSS JOIN LATERAL (VALUES
        ${COLUMNS.map((c) => `('${c}', ${c === "saldo_cents" ? "(e.monto_cents - e.total_pagado_cents)" : `e.${c}`}::text, n.${c}::text)`).join(",\n        ")}
      ) AS c(col, e, a)
      WHERE e.valid AND c.e IS DISTINCT FROM c.a
      ORDER BY 1, 2`),
  );
  const status = await queryRows<{ legacy_id: number; kind: string }>(
    db,
    sql.raw(`WITH ${EXPECTED}
      SELECT coalesce(e.legacy_id, n.legacy_id) AS legacy_id,
             CASE WHEN n.legacy_id IS NULL THEN 'missing' ELSE 'unexpected' END AS kind
      FROM (SELECT * FROM exp WHERE valid) e
      FULL JOIN prestamos_new n ON n.legacy_id = e.legacy_id
      WHERE (e.legacy_id IS NULL) OR (n.legacy_id IS NULL AND ${scope === "all" ? "true" : "false"})
      ORDER BY 1`),
  );
  const pagoDiffs = await queryRows<{ legacy_id: number; problem: string }>(
    db,
    sql.raw(`WITH ${EXPECTED},
      want AS (SELECT g.* FROM lg g JOIN prestamos_new n ON n.legacy_id = g.prestamo_id),
      have AS (SELECT g.*, p.legacy_id AS prestamo_legacy_id FROM pagos_prestamo_new g JOIN prestamos_new p ON p.id = g.prestamo_id)
      SELECT coalesce(w.id, h.legacy_id) AS legacy_id,
        CASE WHEN h.legacy_id IS NULL THEN 'missing in new table'
             WHEN w.id IS NULL THEN 'extra in new table'
             WHEN h.prestamo_legacy_id <> w.prestamo_id THEN 'under the wrong prestamo'
             ELSE 'values differ' END AS problem
      FROM want w FULL JOIN have h ON h.legacy_id = w.id
      WHERE h.legacy_id IS NULL OR w.id IS NULL OR h.prestamo_legacy_id <> w.prestamo_id
         OR h.monto_cents <> (w.monto * 100)::bigint OR h.fecha_pago IS DISTINCT FROM w.fecha OR h.metodo <> w.metodo OR h.anulado <> w.anulado
      ORDER BY 1`),
  );
  const counts = await queryOne<{ valid: number; migrated: number; dup: number }>(
    db,
    sql.raw(`WITH ${EXPECTED} SELECT (SELECT count(*) FROM exp WHERE valid)::int AS valid, (SELECT count(*) FROM prestamos_new)::int AS migrated,
      (SELECT count(*) FROM (SELECT legacy_id FROM prestamos_new GROUP BY legacy_id HAVING count(*) > 1) d)::int AS dup`),
  );
  const counted = await getStateCounts(db);
  const real = await queryOne<{ migrated: number; failed: number; rolled_back: number }>(
    db,
    sql`select count(*) filter (where state = 'migrated')::int as migrated, count(*) filter (where state = 'failed')::int as failed,
               count(*) filter (where state = 'rolled_back')::int as rolled_back from migration_state`,
  );
  const countDiffs = (["migrated", "failed", "rolled_back"] as const)
    .map((state) => ({ state, expected: real?.[state] ?? 0, actual: counted[state === "rolled_back" ? "rolledBack" : state] }))
    .filter((c) => c.expected !== c.actual)
    .map((c) => ({ legacyId: 0, column: `migration_state_counts.${c.state}`, expected: String(c.expected), actual: String(c.actual) }));
  return {
    missing: status.filter((s) => s.kind === "missing").map((s) => Number(s.legacy_id)),
    unexpected: status.filter((s) => s.kind === "unexpected").map((s) => Number(s.legacy_id)),
    columnDiffs: [...diffRows.map((d) => ({ legacyId: Number(d.legacy_id), column: d.column, expected: d.expected, actual: d.actual })), ...countDiffs],
    pagoDiffs: pagoDiffs.map((p) => ({ legacyId: Number(p.legacy_id), problem: p.problem })),
    duplicates: counts?.dup ?? 0,
    counts: { legacyValid: counts?.valid ?? 0, migrated: counts?.migrated ?? 0 },
  };
}
