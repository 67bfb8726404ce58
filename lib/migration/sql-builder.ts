/**
 * SQL generated from the rules table (rules.ts). Every statement that computes what the new rows
 * must be — the run's batches, change-capture syncs, single, the dry run, the consistency check
 * and the diff — starts from `expectedCtes`, so the rules exist once.
 */
import { sql, type SQL } from "drizzle-orm";
import { DERIVED_PRESTAMO_COLUMNS, PAGO_COLUMNS, PAGO_RULES, PRESTAMO_COLUMNS, PRESTAMO_RULES } from "./rules";

const pRules = PRESTAMO_RULES;
const gRules = PAGO_RULES;

type SqlRule = {
  field: string;
  column: string;
  code?: string;
  sqlValue: string;
  sqlFails?: (raw: string, value: string) => string;
  back: { sql: string; type: string };
};

/** The legacy fields the rules read, as `raw_<field>` beside the computed values (read once, compared by the fail checks). */
export const rawFieldsSql = (rules: readonly SqlRule[]) => [...new Set(rules.map((r) => r.field))].map((f) => `l.${f} AS raw_${f}`).join(", ");
/** Each rule's computed value over the legacy row `l`, named by its new column. */
export const valuesSql = (rules: readonly SqlRule[], sep = ", ") => rules.map((r) => `${r.sqlValue} AS ${r.column}`).join(sep);
/** Each rule that can fail, with its "fails" condition over a row `alias` that holds raw_<field> and <column>. */
export const failingRules = (rules: readonly SqlRule[], alias: string) =>
  rules.filter((r) => r.code && r.sqlFails).map((r) => ({ r, cond: `(${r.sqlFails!(`${alias}.raw_${r.field}`, `${alias}.${r.column}`)})` }));

/**
 * CTEs over a CTE named `cand` (legacy prestamo rows, all columns) that the caller defines first:
 *  - `v`     each candidate's parsed values, computed ONCE per row (materialized)
 *  - `pg`    each candidate's legacy pagos with their parsed values (materialized)
 *  - `fail`  every failing rule: (legacy_id, code, field, value, pago_id)
 *  - `agg`   per prestamo: total_cents, n, ultimo of its pagos that are not anulado
 *  - `okp`   the valid candidates with every column of prestamos_new (parsed + derived)
 */
export function expectedCtes(opts: { contiguous?: boolean; pagosFrom?: string } = {}): string {
  const pFail = failingRules(pRules, "v");
  const gFail = failingRules(gRules, "pg");
  const values = (list: ReturnType<typeof failingRules>, alias: string) =>
    list.map(({ r, cond }) => `('${r.code}', '${r.field}', ${alias}.raw_${r.field}::text, ${cond})`).join(",\n        ");
  const derived = DERIVED_PRESTAMO_COLUMNS.map((d) => `${d.sql} AS ${d.column}`).join(",\n      ");
  // A run's window is a contiguous id range: one index range scan finds its pagos, instead of a
  // lookup per prestamo. Syncs take scattered ids and keep the lookups.
  const pagosOf = opts.contiguous
    ? `l.prestamo_id BETWEEN (SELECT min(id) FROM cand) AND (SELECT max(id) FROM cand) AND l.prestamo_id IN (SELECT id FROM cand)`
    : `l.prestamo_id IN (SELECT id FROM cand)`;
  return `
  v AS MATERIALIZED (
    SELECT l.id, ${rawFieldsSql(pRules)},
      ${valuesSql(pRules, ",\n      ")}
    FROM cand l
  ),
  pg AS MATERIALIZED (
    SELECT l.id, l.prestamo_id, ${rawFieldsSql(gRules)},
      ${valuesSql(gRules, ",\n      ")}
    FROM ${opts.pagosFrom ?? "pagos_prestamo"} l
    WHERE ${pagosOf}
  ),
  fail AS MATERIALIZED (
    SELECT v.id AS legacy_id, f.code, f.field, f.value, NULL::int AS pago_id
    FROM v CROSS JOIN LATERAL (VALUES
        ${values(pFail, "v")}
      ) AS f(code, field, value, failed)
    WHERE (${pFail.map((f) => f.cond).join(" OR ")}) AND f.failed
    UNION ALL
    SELECT pg.prestamo_id, f.code, f.field, f.value, pg.id
    FROM pg CROSS JOIN LATERAL (VALUES
        ${values(gFail, "pg")}
      ) AS f(code, field, value, failed)
    WHERE (${gFail.map((f) => f.cond).join(" OR ")}) AND f.failed
  ),
  agg AS (
    SELECT prestamo_id,
      sum(monto_cents) FILTER (WHERE NOT anulado) AS total_cents,
      count(*) FILTER (WHERE NOT anulado) AS n,
      max(fecha_pago) FILTER (WHERE NOT anulado) AS ultimo
    FROM pg GROUP BY prestamo_id
  ),
  okp AS (
    SELECT v.id AS legacy_id, ${pRules.map((r) => `v.${r.column}`).join(", ")},
      ${derived}
    FROM v LEFT JOIN agg a ON a.prestamo_id = v.id
    -- NOT IN (a hashed filter), not NOT EXISTS: as an anti join its row estimate fell to 1 and
    -- the planner put the aggregates in a nested loop (fail.legacy_id is never NULL)
    WHERE v.id NOT IN (SELECT legacy_id FROM fail)
  )`;
}

export const PRESTAMO_INSERT_COLUMNS = ["legacy_id", ...PRESTAMO_COLUMNS] as const;

const setExcluded = (cols: readonly string[]) => cols.map((c) => `${c} = excluded.${c}`).join(", ");

/**
 * The write part, after `expectedCtes()`. It writes the valid candidates with all their pagos,
 * marks them migrated, marks the failing ones failed with every failing rule, and (with
 * `rewrite`) removes what no longer belongs: new rows of candidates that now fail or are gone,
 * pagos that left, failure records of prestamos that now pass. Returns one row of counts.
 *
 * The run id (or NULL) is a bound value. `gone` must be a CTE of legacy ids that no longer exist
 * (empty for runs).
 */
export function writeCtes(opts: { rewrite: boolean; runId: number | null }): SQL {
  const { rewrite } = opts;
  const runId = sql`${opts.runId}::int`;
  const pCols = sql.raw(PRESTAMO_INSERT_COLUMNS.join(", "));
  const gCols = sql.raw(PAGO_COLUMNS.join(", "));
  const pgCols = sql.raw(PAGO_COLUMNS.map((c) => `pg.${c}`).join(", "));
  const conflictP = sql.raw(rewrite ? `DO UPDATE SET ${setExcluded(PRESTAMO_COLUMNS)}, migrated_at = now()` : "DO NOTHING");
  // A rewrite leaves a pago that is already as the rules make it: a sync of a loan rewrote all its
  // pagos for the one that changed, and most of a sync's writes (and WAL) were such copies.
  const pagoWritten = ["prestamo_id", ...PAGO_COLUMNS];
  const conflictG = sql.raw(
    rewrite
      ? `DO UPDATE SET prestamo_id = excluded.prestamo_id, ${setExcluded(PAGO_COLUMNS)}, migrated_at = now()
         WHERE (${pagoWritten.map((c) => `pagos_prestamo_new.${c}`).join(", ")}) IS DISTINCT FROM (${pagoWritten.map((c) => `excluded.${c}`).join(", ")})`
      : "DO NOTHING",
  );
  const failedIds = sql.raw(`SELECT DISTINCT legacy_id FROM fail`);
  const removals = rewrite
    ? sql`
  del_p AS (
    DELETE FROM prestamos_new n
    WHERE n.legacy_id IN (${failedIds} UNION ALL SELECT id FROM gone)
    RETURNING 1
  ),
  del_g AS (
    DELETE FROM pagos_prestamo_new n
    USING prestamos_new p
    WHERE n.prestamo_id = p.id AND p.legacy_id IN (SELECT legacy_id FROM okp)
      -- keep only the pagos ins_g rewrites (those of valid candidates); the rest left them
      AND NOT EXISTS (SELECT 1 FROM pg JOIN okp ON okp.legacy_id = pg.prestamo_id WHERE pg.id = n.legacy_id)
    RETURNING 1
  ),
  del_st AS (
    DELETE FROM migration_state s WHERE s.legacy_id IN (SELECT id FROM gone) RETURNING 1
  ),`
    : sql``;
  return sql`,
  ins_p AS (
    INSERT INTO prestamos_new (${pCols})
    SELECT ${pCols} FROM okp ORDER BY legacy_id
    ON CONFLICT (legacy_id) ${conflictP}
    RETURNING id, legacy_id
  ),
  ins_g AS (
    INSERT INTO pagos_prestamo_new (legacy_id, prestamo_id, ${gCols})
    SELECT pg.id, ins_p.id, ${pgCols}
    FROM pg JOIN ins_p ON ins_p.legacy_id = pg.prestamo_id
    ORDER BY pg.id
    ON CONFLICT (legacy_id) ${conflictG}
    RETURNING 1
  ),${removals}
  st_ok AS (
    INSERT INTO migration_state (legacy_id, state, run_id, updated_at)
    SELECT legacy_id, 'migrated', ${runId}, now() FROM ins_p
    ON CONFLICT (legacy_id) DO UPDATE SET state = 'migrated', run_id = excluded.run_id, updated_at = now()
    RETURNING 1
  ),
  st_bad AS (
    INSERT INTO migration_state (legacy_id, state, run_id, updated_at)
    SELECT legacy_id, 'failed', ${runId}, now() FROM (${failedIds}) f
    ON CONFLICT (legacy_id) DO UPDATE SET state = 'failed', run_id = excluded.run_id, updated_at = now()
    RETURNING legacy_id
  ),
  del_f AS (
    DELETE FROM migration_failures mf
    WHERE mf.legacy_id IN (SELECT id FROM cand${sql.raw(rewrite ? " UNION ALL SELECT id FROM gone" : "")})
    RETURNING 1
  ),
  -- After del_f (it reads del_f's count): the rows del_f removes no longer hold the rule's key.
  -- A conflict left is a row another transaction recorded for the same rule: kept once.
  ins_f AS (
    INSERT INTO migration_failures (legacy_id, code, field, value, pago_id, run_id)
    SELECT legacy_id, code, field, value, pago_id, ${runId} FROM fail
    WHERE (SELECT count(*) FROM del_f) >= 0
    ORDER BY legacy_id, pago_id NULLS FIRST, code
    ON CONFLICT ON CONSTRAINT migration_failures_rule_key DO NOTHING
    RETURNING 1
  )`;
}

/** The statement's counts; a rewrite's pagos are those of its loans, whether or not one had changed. */
export const countsSelect = (opts: { rewrite: boolean }) => `
  (SELECT count(*) FROM cand)::int AS candidates,
  (SELECT count(*) FROM ins_p)::int AS migrated,
  (SELECT count(*) FROM st_bad)::int AS failed,
  ${opts.rewrite ? "(SELECT count(*) FROM pg JOIN ins_p ON ins_p.legacy_id = pg.prestamo_id)" : "(SELECT count(*) FROM ins_g)"}::int AS pagos,
  (SELECT count(*) FROM ins_f)::int AS failure_rows`;

/* ── The way back (MIGRATION-SPEC §9): the new rows in the legacy shape ────────────── */

/**
 * The legacy prestamo columns, in the legacy table's order, as SQL over a prestamos_new row `n`:
 * `id` is its legacy id, every other column is its rule's `back`, cast to the legacy type.
 */
export const legacyPrestamoShape = (alias = "n") =>
  [`${alias}.legacy_id::integer AS id`, ...pRules.map((r) => `(${r.back.sql.replaceAll("n.", `${alias}.`)})::${r.back.type} AS ${r.field}`)].join(", ");

/** The legacy pago columns over a pagos_prestamo_new row `n` and its prestamos_new row `p`. */
export const legacyPagoShape = (alias = "n", prestamo = "p") =>
  [
    `${alias}.legacy_id::integer AS id`,
    `${prestamo}.legacy_id::integer AS prestamo_id`,
    ...gRules.map((r) => `(${r.back.sql.replaceAll("n.", `${alias}.`)})::${r.back.type} AS ${r.field}`),
  ].join(", ");

/** The legacy columns a write through the views sets, in order (id first). */
export const LEGACY_PRESTAMO_FIELDS = ["id", ...new Set(pRules.map((r) => r.field))];
export const LEGACY_PAGO_FIELDS = ["id", "prestamo_id", ...new Set(gRules.map((r) => r.field))];

/**
 * The prestamos of `cand` (legacy-shape rows, with their pagos in `pagosFrom`) whose new rows are
 * not exactly what the rules make of them: missing, failing a rule, another value, or a pago
 * missing, extra, under another prestamo or with another value. One row per prestamo with the
 * first reason. `ctes` defines `cand` (and whatever `pagosFrom` names), each followed by a comma,
 * its values bound; `pagosFrom` is a table or CTE name of ours.
 */
export function newRowsMismatchSql(ctes: SQL, pagosFrom: string): SQL {
  const cols = PRESTAMO_COLUMNS;
  const gCols = PAGO_COLUMNS;
  const differs = (a: string, b: string, list: readonly string[]) =>
    `CASE ${list.map((c) => `WHEN ${a}.${c} IS DISTINCT FROM ${b}.${c} THEN '${c}'`).join(" ")} END`;
  const anyDiffers = (a: string, b: string, list: readonly string[]) => list.map((c) => `${a}.${c} IS DISTINCT FROM ${b}.${c}`).join(" OR ");
  return sql`WITH ${ctes}${sql.raw(`${expectedCtes({ pagosFrom })},
  np AS MATERIALIZED (SELECT n.* FROM prestamos_new n WHERE n.legacy_id IN (SELECT id FROM cand)),
  ng AS MATERIALIZED (
    SELECT g.*, p.legacy_id AS prestamo_legacy_id FROM pagos_prestamo_new g JOIN np p ON p.id = g.prestamo_id
  ),
  bad_p AS (
    SELECT c.id AS legacy_id,
      CASE WHEN n.legacy_id IS NULL THEN 'no new row'
           WHEN e.legacy_id IS NULL THEN (SELECT min(f.code) FROM fail f WHERE f.legacy_id = c.id)
           ELSE ${differs("n", "e", cols)} END AS why
    FROM cand c LEFT JOIN np n ON n.legacy_id = c.id LEFT JOIN okp e ON e.legacy_id = c.id
    WHERE n.legacy_id IS NULL OR e.legacy_id IS NULL OR ${anyDiffers("n", "e", cols)}
  ),
  bad_g AS (
    SELECT coalesce(ng.prestamo_legacy_id, pg.prestamo_id) AS legacy_id,
      'pagos.' || CASE WHEN ng.legacy_id IS NULL THEN 'missing' WHEN pg.id IS NULL THEN 'extra'
                       WHEN ng.prestamo_legacy_id IS DISTINCT FROM pg.prestamo_id THEN 'prestamo_id'
                       ELSE ${differs("ng", "pg", gCols)} END AS why
    FROM ng FULL JOIN pg ON pg.id = ng.legacy_id
    WHERE ng.legacy_id IS NULL OR pg.id IS NULL OR ng.prestamo_legacy_id IS DISTINCT FROM pg.prestamo_id OR ${anyDiffers("ng", "pg", gCols)}
  )
  SELECT legacy_id, min(why) AS why FROM (SELECT * FROM bad_p UNION ALL SELECT * FROM bad_g) b GROUP BY legacy_id ORDER BY legacy_id`)}`;
}

/**
 * The way back of every new prestamo with a legacy id in (lo, hi]: mapped to the legacy shape
 * and through the rules again, it must give the same rows (§9 gate `way_back`).
 */
export const wayBackMismatchSql = (lo: number, hi: number): SQL =>
  newRowsMismatchSql(
    sql`cand AS MATERIALIZED (SELECT ${sql.raw(legacyPrestamoShape("n"))} FROM prestamos_new n WHERE n.legacy_id > ${lo}::bigint AND n.legacy_id <= ${hi}::bigint),
  back_pagos AS MATERIALIZED (
    SELECT ${sql.raw(legacyPagoShape("g", "p"))}
    FROM pagos_prestamo_new g JOIN prestamos_new p ON p.id = g.prestamo_id
    WHERE p.legacy_id > ${lo}::bigint AND p.legacy_id <= ${hi}::bigint
  ),`,
    "back_pagos",
  );
