/**
 * Consistency (MIGRATION-SPEC §5): the migrated prestamos against the legacy rows as they are now.
 * The expected new rows come from `expectedCtes()` (the rules table), never from a rule written
 * again here. The check walks legacy ids in keyset chunks: each chunk is one set-based statement
 * whose work is index lookups on its id range, so memory stays flat at any size.
 */
import { sql, type SQL } from "drizzle-orm";
import type { Db, Exec } from "@/db/client";
import { BEFORE_ANY_LEGACY_ID } from "@/db/schema";
import { isoTime, queryOne, queryRows } from "@/db/sql";
import { MISMATCH_CATEGORIES, type MismatchCategory } from "./vocabulary";
import { AppError } from "@/lib/errors";
import { compareAgainstPhase, type ComparedWith } from "./cutover-lens";
import { refreshPlannerStats } from "./planner-stats";
import { LEGACY_SOURCE, PAGO_COLUMNS, PRESTAMO_COLUMNS } from "./rules";
import { getStateCounts } from "./state-counts";
import { expectedCtes } from "./sql-builder";

export { MISMATCH_CATEGORIES, type MismatchCategory };

export const WARNING_CODES = ["PAGADO_CON_SALDO", "SALDO_CERO_ACTIVO", "SOBREPAGO"] as const;
export type WarningCode = (typeof WARNING_CODES)[number];

/** Categories that make a migrated prestamo "not matching" (warnings never do, §5). */
const NOT_MATCHING = ["field", "totals", "status", "now_fails", "missing_new", "missing_pago", "wrong_prestamo", "orphan_new"] as const;

/** What a category means, for summaries and the UI. */
export const CATEGORY_HELP: Readonly<Record<MismatchCategory, string>> = {
  field: "a column of prestamos_new or of one of its pagos differs from its rule applied to the legacy row",
  totals: "count or total (cents) of the pagos not anulado differs between legacy and the new table",
  status: "estado differs from the mapped legacy estado",
  now_fails: "the legacy row (or one of its pagos) now fails the rules: it should not be in the new tables",
  missing_new: "marked migrated but has no row in prestamos_new",
  missing_pago: "a legacy pago of a migrated prestamo is not under it in pagos_prestamo_new",
  wrong_prestamo: "a new pago sits under a prestamo its legacy pago does not belong to",
  orphan_new: "a new row (prestamo or pago) whose legacy row no longer exists",
  untracked_new: "a row in prestamos_new for a prestamo that is not marked migrated",
  orphan_legacy_pago: "a legacy pago whose prestamo_id is NULL or names no prestamo (never migrated)",
  "warning:PAGADO_CON_SALDO": "warning: estado pagado and saldo_cents > 0",
  "warning:SALDO_CERO_ACTIVO": "warning: estado activo or en_mora and saldo_cents ≤ 0",
  "warning:SOBREPAGO": "warning: saldo_cents < 0 (overpaid)",
};

/* ── The chunk statement ──────────────────────────────────────────────────────────── */

// Each chunk is an id range: its pagos come from one index range scan.
const EXPECTED = expectedCtes({ contiguous: true });

/** Comma-separated names of the columns where `a` and `b` differ ('' when none), generated from the column lists. */
const differing = (cols: readonly string[], a: string, b: string, prefix = "") =>
  `array_to_string(ARRAY[${cols.map((c) => `CASE WHEN ${a}.${c} IS DISTINCT FROM ${b}.${c} THEN '${prefix}${c}' END`).join(", ")}]::text[], ',')`;

const checkInt = (n: number) => {
  if (!Number.isSafeInteger(n)) throw new AppError("INTERNAL", "bad id bound");
  return n;
};

/**
 * The CTEs of one chunk: legacy ids in (after, upto]. Ends with `issues` — one row per problem:
 * (legacy_id, category, cols, pago_id, info) — and the helpers the summary needs.
 * Everything is reached through an index: migration_state (state, legacy_id), prestamos_new
 * (legacy_id), prestamos (id), pagos_prestamo (prestamo_id) and (id), pagos_prestamo_new (prestamo_id).
 */
function chunkCtes(after: number, upto: number): SQL {
  const a = checkInt(after);
  const b = checkInt(upto);
  return sql`WITH
  mig AS MATERIALIZED (
    SELECT legacy_id AS id FROM migration_state
    WHERE state = 'migrated' AND legacy_id > ${a}::bigint AND legacy_id <= ${b}::bigint
  ),
  cand AS MATERIALIZED (SELECT l.* FROM prestamos l WHERE l.id > ${a}::bigint AND l.id <= ${b}::bigint AND l.id IN (SELECT id FROM mig)),${sql.raw(EXPECTED)},
  -- LATERAL ... OFFSET 0: one index probe per row. A plain join or EXISTS lets the planner hash the
  -- whole legacy table once per chunk, which makes the full check quadratic.
  np AS MATERIALIZED (
    SELECT n.*, EXISTS (SELECT 1 FROM mig WHERE mig.id = n.legacy_id) AS is_mig, x.id IS NOT NULL AS has_legacy
    FROM prestamos_new n
    LEFT JOIN LATERAL (SELECT x.id FROM prestamos x WHERE x.id = n.legacy_id OFFSET 0) x ON true
    WHERE n.legacy_id > ${a}::bigint AND n.legacy_id <= ${b}::bigint
  ),
  ng AS MATERIALIZED (
    SELECT g.legacy_id, ${sql.raw(PAGO_COLUMNS.map((c) => `g.${c}`).join(", "))},
      np.legacy_id AS p_legacy_id, np.is_mig, lp.id IS NOT NULL AS has_legacy, lp.prestamo_id AS legacy_prestamo_id
    FROM np
    CROSS JOIN LATERAL (SELECT g.* FROM pagos_prestamo_new g WHERE g.prestamo_id = np.id OFFSET 0) g
    LEFT JOIN LATERAL (SELECT lp.id, lp.prestamo_id FROM pagos_prestamo lp WHERE lp.id = g.legacy_id OFFSET 0) lp ON true
  ),
  nt AS (
    SELECT p_legacy_id AS legacy_id,
      count(*) FILTER (WHERE NOT anulado) AS n,
      sum(monto_cents) FILTER (WHERE NOT anulado) AS total_cents
    FROM ng WHERE is_mig GROUP BY p_legacy_id
  ),
  issues AS MATERIALIZED (
    SELECT m.id AS legacy_id, 'missing_new' AS category, '' AS cols, NULL::int AS pago_id,
      'marked migrated, no row in prestamos_new' AS info
    FROM mig m WHERE NOT EXISTS (SELECT 1 FROM np WHERE np.legacy_id = m.id)
    UNION ALL
    SELECT n.legacy_id, 'orphan_new', '', NULL, 'legacy prestamo no longer exists'
    FROM np n WHERE NOT n.has_legacy
    UNION ALL
    SELECT n.legacy_id, 'untracked_new', '', NULL, 'state ' || coalesce(s.state, 'pending')
    FROM np n LEFT JOIN migration_state s ON s.legacy_id = n.legacy_id
    WHERE n.has_legacy AND NOT n.is_mig
    UNION ALL
    SELECT f.legacy_id, 'now_fails',
      string_agg(DISTINCT CASE WHEN f.pago_id IS NULL THEN f.field ELSE 'pagos.' || f.field END, ','),
      NULL, string_agg(DISTINCT f.code, ', ')
    FROM fail f GROUP BY f.legacy_id
    UNION ALL
    SELECT e.legacy_id, 'field', d.cols, NULL, NULL
    FROM okp e JOIN np n ON n.legacy_id = e.legacy_id
    CROSS JOIN LATERAL (SELECT ${sql.raw(differing(PRESTAMO_COLUMNS, "n", "e"))} AS cols) d
    WHERE d.cols <> ''
    UNION ALL
    SELECT pg.prestamo_id, 'field', d.cols, pg.id, NULL
    FROM pg JOIN okp ON okp.legacy_id = pg.prestamo_id
    JOIN ng ON ng.legacy_id = pg.id AND ng.p_legacy_id = pg.prestamo_id
    CROSS JOIN LATERAL (SELECT ${sql.raw(differing(PAGO_COLUMNS, "ng", "pg", "pagos."))} AS cols) d
    WHERE d.cols <> ''
    UNION ALL
    SELECT n.legacy_id, 'status', 'estado', NULL,
      format('new %s; legacy %s maps to %s', n.estado, quote_nullable(c.estado), coalesce(v.estado, 'nothing (UNKNOWN_ESTADO)'))
    FROM np n JOIN v ON v.id = n.legacy_id JOIN cand c ON c.id = n.legacy_id
    WHERE n.estado IS DISTINCT FROM v.estado
    UNION ALL
    SELECT v.id, 'totals',
      concat_ws(',', CASE WHEN coalesce(ag.n, 0) <> coalesce(t.n, 0) THEN 'pagos_count' END,
                     CASE WHEN coalesce(ag.total_cents, 0) <> coalesce(t.total_cents, 0) THEN 'total_pagado_cents' END),
      NULL,
      format('legacy %s pagos / %s cents; new %s / %s', coalesce(ag.n, 0), coalesce(ag.total_cents, 0), coalesce(t.n, 0), coalesce(t.total_cents, 0))
    FROM v JOIN np n ON n.legacy_id = v.id
    LEFT JOIN agg ag ON ag.prestamo_id = v.id LEFT JOIN nt t ON t.legacy_id = v.id
    WHERE coalesce(ag.n, 0) <> coalesce(t.n, 0) OR coalesce(ag.total_cents, 0) <> coalesce(t.total_cents, 0)
    UNION ALL
    SELECT pg.prestamo_id, 'missing_pago', '', pg.id, NULL
    FROM pg WHERE NOT EXISTS (SELECT 1 FROM ng WHERE ng.legacy_id = pg.id AND ng.p_legacy_id = pg.prestamo_id)
    UNION ALL
    SELECT ng.p_legacy_id, 'wrong_prestamo', '', ng.legacy_id,
      format('pago %s belongs to prestamo %s in legacy', ng.legacy_id, coalesce(ng.legacy_prestamo_id::text, 'none'))
    FROM ng WHERE ng.has_legacy AND ng.legacy_prestamo_id IS DISTINCT FROM ng.p_legacy_id
    UNION ALL
    SELECT ng.p_legacy_id, 'orphan_new', '', ng.legacy_id, format('legacy pago %s no longer exists', ng.legacy_id)
    FROM ng WHERE NOT ng.has_legacy
    UNION ALL
    -- The saldo in the console's money format (lib/format.ts fmtCents): sign, currency, grouping.
    SELECT n.legacy_id, 'warning:' || w.code, 'saldo_cents', NULL, format('estado %s, saldo %s%s %s', n.estado, CASE WHEN n.saldo_cents < 0 THEN '−' ELSE '' END, CASE n.moneda WHEN 'USD' THEN 'US$' ELSE 'S/' END, to_char(abs(n.saldo_cents) / 100.0, 'FM999,999,999,999,990.00'))
    FROM np n CROSS JOIN LATERAL (VALUES
        ('PAGADO_CON_SALDO', n.estado = 'pagado' AND n.saldo_cents > 0),
        ('SALDO_CERO_ACTIVO', n.estado IN ('activo', 'en_mora') AND n.saldo_cents <= 0),
        ('SOBREPAGO', n.saldo_cents < 0)
      ) AS w(code, hit)
    WHERE n.is_mig AND w.hit
  )`;
}

const NOT_MATCHING_SQL = NOT_MATCHING.map((c) => `'${c}'`).join(", ");

/** What one chunk statement should also return: a slice of the mismatches of a category (or all). */
interface Want {
  category: string | null;
  skip: number;
  need: number;
}

const SUMMARY_COLUMNS = sql.raw(`
      (SELECT count(*) FROM mig)::int AS migrated,
      (SELECT count(*) FROM mig m WHERE NOT EXISTS (
         SELECT 1 FROM issues i WHERE i.legacy_id = m.id AND i.category IN (${NOT_MATCHING_SQL})))::int AS matching,
      (SELECT coalesce(sum(total_cents), 0) FROM agg)::text AS legacy_cents,
      (SELECT coalesce(sum(n), 0) FROM agg)::int AS legacy_live_pagos,
      (SELECT count(*) FROM pg)::int AS legacy_pagos,
      (SELECT coalesce(sum(total_cents), 0) FROM nt)::text AS new_cents,
      (SELECT coalesce(sum(n), 0) FROM nt)::int AS new_live_pagos,
      (SELECT count(*) FROM ng WHERE is_mig)::int AS new_pagos,
      (SELECT count(*) FROM np)::int AS new_prestamos,
      (SELECT coalesce(json_agg(json_build_object('c', category, 'p', p, 'g', g, 'pp', pp)), '[]'::json)::text FROM (
         SELECT category, count(DISTINCT legacy_id) AS p, count(pago_id) AS g,
           count(DISTINCT legacy_id) FILTER (WHERE pago_id IS NULL) AS pp
         FROM issues GROUP BY category) x) AS by_category,`);

/**
 * One chunk, one statement: its aggregates (counts only, a handful of numbers whatever the chunk
 * size) when `summary`, and the slice `want` of its mismatches (at most `need` rows).
 */
async function runChunk(db: Exec, after: number, upto: number, summary: boolean, want: Want) {
  return queryOne<Record<string, unknown>>(
    db,
    sql`${chunkCtes(after, upto)},
    grouped AS (
      SELECT legacy_id, category,
        string_agg(cols, ',') AS cols,
        string_agg(pago_id::text, ',' ORDER BY pago_id) AS pago_ids,
        string_agg(info, '; ' ORDER BY pago_id NULLS FIRST) AS info
      FROM issues
      WHERE ${want.category}::text IS NULL OR category = ${want.category}::text
      GROUP BY legacy_id, category
    )
    SELECT ${summary ? SUMMARY_COLUMNS : sql``}
      (SELECT count(*) FROM grouped)::int AS wanted_total,
      (SELECT coalesce(json_agg(json_build_object('legacy_id', legacy_id, 'category', category, 'cols', cols, 'pago_ids', pago_ids, 'info', info)
                                ORDER BY legacy_id, category), '[]'::json)::text
       FROM (SELECT * FROM grouped ORDER BY legacy_id, category OFFSET ${want.skip} LIMIT ${want.need}) r) AS page_rows`,
  );
}

/**
 * The legacy ids in (after, upto] whose new rows no longer match legacy (the "not matching"
 * categories of the check above), and those the console holds a state for whose legacy row is
 * gone: what a re-sync after a gap in capture must rewrite. Runs inside the caller's write
 * transaction; restores the planner settings it changes.
 */
export async function staleLegacyIds(tx: Exec, after: number, upto: number): Promise<number[]> {
  await tx.execute(sql`SELECT set_config('jit', 'off', true), set_config('enable_nestloop', 'off', true)`);
  const rows = await queryRows<{ id: number }>(
    tx,
    sql`${chunkCtes(after, upto)}
    SELECT legacy_id AS id FROM issues WHERE category IN (${sql.raw(NOT_MATCHING_SQL)})
    UNION
    SELECT s.legacy_id FROM migration_state s
    WHERE s.legacy_id > ${after}::bigint AND s.legacy_id <= ${upto}::bigint AND NOT EXISTS (SELECT 1 FROM prestamos l WHERE l.id = s.legacy_id)
    ORDER BY 1`,
  );
  await tx.execute(sql`SET LOCAL jit = DEFAULT`);
  await tx.execute(sql`SET LOCAL enable_nestloop = DEFAULT`);
  return rows.map((r) => Number(r.id));
}

/** The upper bound of the next chunk: at most `size` ids of migration_state (migrated) ∪ prestamos_new after `after`. */
async function nextChunkEnd(db: Exec, after: number, size: number): Promise<number | null> {
  const row = await queryOne<{ upto: number | null }>(
    db,
    sql`SELECT max(id) AS upto FROM (
          SELECT id FROM (
            (SELECT legacy_id AS id FROM migration_state WHERE state = 'migrated' AND legacy_id > ${after}::bigint ORDER BY legacy_id LIMIT ${size})
            UNION ALL
            (SELECT legacy_id AS id FROM prestamos_new WHERE legacy_id > ${after}::bigint ORDER BY legacy_id LIMIT ${size})
          ) u ORDER BY id LIMIT ${size}
        ) s`,
  );
  return row?.upto == null ? null : Number(row.upto);
}

/**
 * The rule functions make these statements look expensive to the planner (CTE estimates), and JIT
 * compiling them costs seconds per statement for nothing: off for the read-only transaction.
 */
async function readOnlySetup(tx: Exec): Promise<void> {
  await tx.execute(sql`SELECT set_config('jit', 'off', true)`);
  // The CTEs' row estimates are guesses (a few rows) whatever the chunk holds: a nested loop
  // over two CTEs is then quadratic (375 s for one chunk of 5,000). Hash joins instead; the
  // per-row index probes written as LATERAL … OFFSET 0 stay nested loops, the only plan they have.
  await tx.execute(sql`SELECT set_config('enable_nestloop', 'off', true)`);
}

const READ_TX = { isolationLevel: "repeatable read", accessMode: "read only" } as const;

/* ── Summary ───────────────────────────────────────────────────────────────────────── */

export interface CategoryCount {
  category: MismatchCategory;
  /** Distinct prestamos (legacy ids) with this problem (for orphan_legacy_pago: pagos). */
  prestamos: number;
  /** Pagos involved, for the pago-level categories (missing_pago, wrong_prestamo, orphan_new pagos, field of pagos). */
  pagos: number;
}

export interface ConsistencySummary {
  checkedAt: string;
  durationMs: number;
  /** Prestamos in state migrated. */
  migrated: number;
  fieldMatch: {
    matching: number;
    mismatching: number;
    /** matching / migrated × 100, 2 decimals; null when nothing is migrated. */
    matchingPct: number | null;
  };
  paymentTotals: {
    /** Sum of the legacy pagos not anulado of the migrated prestamos, in cents (a string: may pass 2^53). */
    legacyTotalCents: string;
    /** Sum of the new pagos not anulado under those prestamos' new rows, in cents. */
    newTotalCents: string;
    /** new − legacy, in cents. */
    differenceCents: string;
    /** 100 × (1 − |new − legacy| / legacy), floored at 0; 100 when both are 0; 2 decimals. */
    accuracyPct: number;
    legacyPagos: number;
    legacyLivePagos: number;
    newPagos: number;
    newLivePagos: number;
    /** Prestamos whose count or total of live pagos differs. */
    prestamosDiffering: number;
  };
  status: {
    /** Prestamos whose estado differs from the mapped legacy estado. */
    mismatching: number;
    /** Business warnings (§5): counted, never failures. */
    warnings: Record<WarningCode, number>;
  };
  relationships: {
    orphanLegacyPagos: number;
    orphanLegacyPagosNullPrestamo: number;
    orphanLegacyPagosDangling: number;
    /** Legacy pagos of migrated prestamos that are not under them in the new table. */
    missingPagos: number;
    /** New pagos under a prestamo their legacy pago does not belong to. */
    wrongPrestamoPagos: number;
    /** New prestamos whose legacy prestamo no longer exists. */
    orphanNewPrestamos: number;
    /** New pagos whose legacy pago no longer exists. */
    orphanNewPagos: number;
    /** Migrated prestamos with no new row. */
    missingNewPrestamos: number;
    /** New prestamos that are not marked migrated. */
    untrackedNewPrestamos: number;
  };
  /** Migrated prestamos whose legacy row now fails the rules. */
  nowFails: number;
  newPrestamos: number;
  /** Every category with its counts (zero ones included), in MISMATCH_CATEGORIES order. */
  byCategory: CategoryCount[];
  /** What the new tables were compared with (the archive once cut over); absent in checks made before it was recorded. */
  comparedWith?: ComparedWith;
}

/** Chunk size of the full check: ~50k prestamos and their pagos per statement. */
// Small enough that the planner's estimates of the CTEs (a few rows) stay near the truth: larger
// chunks got nested-loop plans that grew with the square of the chunk.
export const CONSISTENCY_CHUNK = 5_000;

const pct = (num: number, den: number) => Math.round((num / den) * 10_000) / 100;

async function orphanLegacyPagos(db: Exec) {
  const row = await queryOne<Record<string, unknown>>(
    db,
    sql`SELECT count(*) FILTER (WHERE g.prestamo_id IS NULL)::int AS n_null,
               count(*) FILTER (WHERE g.prestamo_id IS NOT NULL)::int AS n_dangling
        FROM pagos_prestamo g LEFT JOIN prestamos p ON p.id = g.prestamo_id
        WHERE p.id IS NULL`,
  );
  return { nullPrestamo: Number(row?.n_null ?? 0), dangling: Number(row?.n_dangling ?? 0) };
}

interface Totals {
  migrated: number;
  matching: number;
  legacyCents: bigint;
  newCents: bigint;
  legacyPagos: number;
  legacyLivePagos: number;
  newPagos: number;
  newLivePagos: number;
  newPrestamos: number;
  cat: Map<string, { p: number; g: number; pp: number }>;
}

function addChunk(acc: Totals, r: Record<string, unknown> | undefined): void {
  acc.migrated += Number(r?.migrated ?? 0);
  acc.matching += Number(r?.matching ?? 0);
  acc.legacyCents += BigInt(String(r?.legacy_cents ?? "0"));
  acc.newCents += BigInt(String(r?.new_cents ?? "0"));
  acc.legacyPagos += Number(r?.legacy_pagos ?? 0);
  acc.legacyLivePagos += Number(r?.legacy_live_pagos ?? 0);
  acc.newPagos += Number(r?.new_pagos ?? 0);
  acc.newLivePagos += Number(r?.new_live_pagos ?? 0);
  acc.newPrestamos += Number(r?.new_prestamos ?? 0);
  for (const c of JSON.parse(String(r?.by_category ?? "[]")) as { c: string; p: number; g: number; pp: number }[]) {
    const prev = acc.cat.get(c.c) ?? { p: 0, g: 0, pp: 0 };
    acc.cat.set(c.c, { p: prev.p + Number(c.p), g: prev.g + Number(c.g), pp: prev.pp + Number(c.pp) });
  }
}

function toSummary(acc: Totals, orphans: { nullPrestamo: number; dangling: number }, checkedAt: string, started: number): ConsistencySummary {
  const { migrated, matching, legacyCents, newCents, cat } = acc;
  const nOrphans = orphans.nullPrestamo + orphans.dangling;
  cat.set("orphan_legacy_pago", { p: nOrphans, g: nOrphans, pp: 0 });
  const get = (c: MismatchCategory) => cat.get(c) ?? { p: 0, g: 0, pp: 0 };
  const diff = newCents - legacyCents;
  const absDiff = diff < 0n ? -diff : diff;
  // Accuracy in basis points with integer arithmetic (sums may pass 2^53).
  const accuracyPct = legacyCents === 0n ? (newCents === 0n ? 100 : 0) : Math.max(0, Number(10_000n - (absDiff * 10_000n) / legacyCents)) / 100;
  return {
    checkedAt,
    durationMs: Math.round(performance.now() - started),
    migrated,
    fieldMatch: { matching, mismatching: migrated - matching, matchingPct: migrated === 0 ? null : pct(matching, migrated) },
    paymentTotals: {
      legacyTotalCents: legacyCents.toString(),
      newTotalCents: newCents.toString(),
      differenceCents: diff.toString(),
      accuracyPct,
      legacyPagos: acc.legacyPagos,
      legacyLivePagos: acc.legacyLivePagos,
      newPagos: acc.newPagos,
      newLivePagos: acc.newLivePagos,
      prestamosDiffering: get("totals").p,
    },
    status: {
      mismatching: get("status").p,
      warnings: {
        PAGADO_CON_SALDO: get("warning:PAGADO_CON_SALDO").p,
        SALDO_CERO_ACTIVO: get("warning:SALDO_CERO_ACTIVO").p,
        SOBREPAGO: get("warning:SOBREPAGO").p,
      },
    },
    relationships: {
      orphanLegacyPagos: nOrphans,
      orphanLegacyPagosNullPrestamo: orphans.nullPrestamo,
      orphanLegacyPagosDangling: orphans.dangling,
      missingPagos: get("missing_pago").g,
      wrongPrestamoPagos: get("wrong_prestamo").g,
      orphanNewPrestamos: get("orphan_new").pp,
      orphanNewPagos: get("orphan_new").g,
      missingNewPrestamos: get("missing_new").p,
      untrackedNewPrestamos: get("untracked_new").p,
    },
    nowFails: get("now_fails").p,
    newPrestamos: acc.newPrestamos,
    byCategory: MISMATCH_CATEGORIES.map((c) => ({ category: c, prestamos: get(c).p, pagos: get(c).g })),
  };
}

/* ── The paged list ───────────────────────────────────────────────────────────────── */

export interface MismatchItem {
  /** The legacy prestamo id (for orphan_legacy_pago: the prestamo_id the pago names, or null). */
  legacyId: number | null;
  category: MismatchCategory;
  /** Names of the columns that differ or fail (pago columns as `pagos.<column>`), in table order. */
  columns: string[];
  /** Legacy pago ids involved (pago-level categories), ascending. */
  pagoIds: number[];
  summary: string;
}

export interface MismatchPage {
  category: MismatchCategory | null;
  page: number;
  limit: number;
  items: MismatchItem[];
  hasMore: boolean;
}

const COLUMN_ORDER = new Map<string, number>([
  ...PRESTAMO_COLUMNS.map((c, i) => [c, i] as const),
  ...PAGO_COLUMNS.map((c, i) => [`pagos.${c}`, 100 + i] as const),
]);

function orderColumns(joined: string | null): string[] {
  const names = [...new Set((joined ?? "").split(",").filter(Boolean))];
  return names.sort((x, y) => (COLUMN_ORDER.get(x) ?? 1000) - (COLUMN_ORDER.get(y) ?? 1000) || x.localeCompare(y));
}

function summarize(category: MismatchCategory, columns: string[], pagoIds: number[], info: string | null): string {
  switch (category) {
    case "field":
      return `${columns.length} column${columns.length === 1 ? "" : "s"} differ: ${columns.join(", ")}${pagoIds.length ? ` (pagos ${pagoIds.join(", ")})` : ""}`;
    case "now_fails":
      return `now fails ${info ?? ""} on ${columns.join(", ")}`;
    case "missing_pago":
      return `legacy pago${pagoIds.length === 1 ? "" : "s"} ${pagoIds.join(", ")} missing in pagos_prestamo_new`;
    case "orphan_new":
      return info ?? CATEGORY_HELP[category];
    default:
      return info ?? CATEGORY_HELP[category];
  }
}

async function listLegacyOrphanPagos(db: Exec, page: number, limit: number): Promise<MismatchPage> {
  // LIMIT/OFFSET in pago id order (primary key); the anti-join is an index lookup per pago.
  const rows = await queryRows<{ id: number; prestamo_id: number | null }>(
    db,
    sql`SELECT g.id, g.prestamo_id FROM pagos_prestamo g
        WHERE g.prestamo_id IS NULL OR NOT EXISTS (SELECT 1 FROM prestamos p WHERE p.id = g.prestamo_id)
        ORDER BY g.id OFFSET ${(page - 1) * limit} LIMIT ${limit + 1}`,
  );
  return {
    category: "orphan_legacy_pago",
    page,
    limit,
    hasMore: rows.length > limit,
    items: rows.slice(0, limit).map((r) => ({
      legacyId: r.prestamo_id == null ? null : Number(r.prestamo_id),
      category: "orphan_legacy_pago",
      columns: ["prestamo_id"],
      pagoIds: [Number(r.id)],
      summary: r.prestamo_id == null ? `pago ${r.id}: prestamo_id is NULL` : `pago ${r.id}: prestamo ${r.prestamo_id} does not exist`,
    })),
  };
}

function toItem(r: Record<string, unknown>): MismatchItem {
  const cat = String(r.category) as MismatchCategory;
  const columns = orderColumns(r.cols as string | null);
  const pagoIds = r.pago_ids ? String(r.pago_ids).split(",").map(Number) : [];
  return { legacyId: Number(r.legacy_id), category: cat, columns, pagoIds, summary: summarize(cat, columns, pagoIds, (r.info as string | null) ?? null) };
}

/**
 * The one walk: legacy ids in keyset chunks, each chunk one statement. With `summary` it visits
 * every chunk and accumulates the §5 counts; it also collects the page of mismatches asked for
 * (OFFSET counted across chunks) and, without `summary`, stops as soon as that page and one more
 * item are found. Chunks start small when only a page is wanted and grow to `chunkSize`.
 */
async function walk(
  tx: Exec,
  opts: { summary: boolean; category: MismatchCategory | null; page: number; limit: number; chunkSize: number; onChunk?: (migratedChecked: number) => void },
) {
  const acc: Totals = { migrated: 0, matching: 0, legacyCents: 0n, newCents: 0n, legacyPagos: 0, legacyLivePagos: 0, newPagos: 0, newLivePagos: 0, newPrestamos: 0, cat: new Map() };
  const items: MismatchItem[] = [];
  const need = opts.limit + 1;
  const listing = opts.category !== "orphan_legacy_pago";
  let skip = (opts.page - 1) * opts.limit;
  let size = opts.summary ? opts.chunkSize : Math.min(opts.chunkSize, Math.max(2_000, need * 40));
  for (let after = BEFORE_ANY_LEGACY_ID; ; ) {
    if (!opts.summary && (!listing || items.length >= need)) break;
    const upto = await nextChunkEnd(tx, after, size);
    if (upto === null) break;
    const wantRows = listing ? Math.max(0, need - items.length) : 0;
    const r = await runChunk(tx, after, upto, opts.summary, { category: opts.category, skip, need: wantRows });
    if (opts.summary) {
      addChunk(acc, r);
      opts.onChunk?.(acc.migrated);
    }
    if (wantRows > 0) {
      for (const row of JSON.parse(String(r?.page_rows ?? "[]")) as Record<string, unknown>[]) items.push(toItem(row));
      skip = Math.max(0, skip - Number(r?.wanted_total ?? 0));
    }
    after = upto;
    size = Math.min(opts.chunkSize, size * 2);
  }
  return { acc, items };
}

/**
 * The §5 summary over every migrated prestamo, in one read-only REPEATABLE READ transaction (one
 * snapshot for all chunks: a pago moved between two chunks is not counted twice).
 */
export async function getConsistencySummary(db: Db, opts: { chunkSize?: number; onProgress?: (checked: number, migrated: number) => void } = {}): Promise<ConsistencySummary> {
  return (await getConsistency(db, { page: 1, limit: 0, ...opts })).summary;
}

/**
 * The summary and one page of mismatches in ONE walk over the data and one snapshot (what
 * GET /consistency returns): the page costs nothing beyond the full check.
 */
export async function getConsistency(
  db: Db,
  opts: { category?: MismatchCategory; page: number; limit: number; chunkSize?: number; onProgress?: (checked: number, migrated: number) => void },
): Promise<{ summary: ConsistencySummary; mismatches: MismatchPage }> {
  const started = performance.now();
  const checkedAt = new Date().toISOString();
  const category = opts.category ?? null;
  await refreshPlannerStats(db);
  const { migrated } = opts.onProgress ? await getStateCounts(db) : { migrated: 0 };
  return db.transaction(async (tx) => {
    await readOnlySetup(tx);
    const comparedWith = await compareAgainstPhase(tx);
    const onChunk = opts.onProgress && ((checked: number) => opts.onProgress!(checked, migrated));
    const { acc, items } = await walk(tx, { summary: true, category, page: opts.page, limit: opts.limit, chunkSize: opts.chunkSize ?? CONSISTENCY_CHUNK, onChunk });
    const mismatches =
      category === "orphan_legacy_pago"
        ? await listLegacyOrphanPagos(tx, opts.page, opts.limit)
        : { category, page: opts.page, limit: opts.limit, hasMore: items.length > opts.limit, items: items.slice(0, opts.limit) };
    const orphans = await orphanLegacyPagos(tx);
    return { summary: { ...toSummary(acc, orphans, checkedAt, started), comparedWith }, mismatches };
  }, READ_TX);
}

/**
 * A page of mismatches in legacy id order (then category). Without a category: every category
 * except orphan_legacy_pago (pagos, another key space) — warnings included.
 *
 * Paging: keyset chunks over legacy ids (small first, growing to CONSISTENCY_CHUNK), counting
 * OFFSET across chunks; the walk stops as soon as the page and one more item are found. Page 1 of
 * a frequent category costs a few thousand prestamos; a rare category or a deep page walks as far
 * as its items are (at worst the whole check). orphan_legacy_pago: LIMIT/OFFSET in pago id order.
 */
export async function listMismatches(
  db: Db,
  opts: { category?: MismatchCategory; page: number; limit: number; chunkSize?: number },
): Promise<MismatchPage> {
  const { page, limit } = opts;
  const category = opts.category ?? null;
  if (category === "orphan_legacy_pago") return listLegacyOrphanPagos(db, page, limit);
  await refreshPlannerStats(db);
  return db.transaction(async (tx) => {
    await readOnlySetup(tx);
    await compareAgainstPhase(tx);
    const { items } = await walk(tx, { summary: false, category, page, limit, chunkSize: opts.chunkSize ?? CONSISTENCY_CHUNK });
    return { category, page, limit, hasMore: items.length > limit, items: items.slice(0, limit) };
  }, READ_TX);
}

/* ── The per-prestamo diff (§5, last bullet) ─────────────────────────────────────── */

type Kind = "text" | "int" | "numeric" | "date" | "timestamp" | "bool";

/** How a reviewer reads each new column (complete by type: a column added to the rules must be given a kind). */
const PRESTAMO_KIND: Readonly<Record<(typeof PRESTAMO_COLUMNS)[number], Kind>> = {
  cliente_nombre: "text",
  cliente_documento: "text",
  monto_cents: "int",
  tasa_anual: "numeric",
  plazo_meses: "int",
  fecha_otorgamiento: "date",
  fecha_vencimiento: "date",
  estado: "text",
  moneda: "text",
  total_pagado_cents: "int",
  pagos_count: "int",
  ultimo_pago: "date",
  saldo_cents: "int",
  legacy_updated_at: "timestamp",
  legacy_created_at: "timestamp",
};
const PAGO_KIND: Readonly<Record<(typeof PAGO_COLUMNS)[number], Kind>> = {
  monto_cents: "int",
  fecha_pago: "date",
  metodo: "text",
  anulado: "bool",
  legacy_created_at: "timestamp",
};

/** SQL that renders a value for the DTO: dates 'YYYY-MM-DD', numeric as text, cents and ints as JSON numbers. */
function render(kind: Kind, expr: string): string {
  switch (kind) {
    case "date":
      return `to_char(${expr}, 'YYYY-MM-DD')`;
    case "timestamp":
      return `to_char(${expr}, 'YYYY-MM-DD HH24:MI:SS.US')`;
    case "numeric":
    case "text":
      return `(${expr})::text`;
    default:
      return expr;
  }
}

const jsonObj = (pairs: [string, string][]) => `json_build_object(${pairs.map(([k, e]) => `'${k}', ${e}`).join(", ")})`;

export type DiffValue = string | number | boolean | null;

export interface LegacySource {
  /** Legacy field (pago fields as `pagos_prestamo[<id>].<field>`). */
  field: string;
  /** The value as stored, as text, white space preserved; null for NULL. */
  value: string | null;
}

export interface DiffLine {
  column: string;
  /** The legacy field(s) behind it, in words (LEGACY_SOURCE of rules.ts). */
  legacyField: string;
  legacy: LegacySource[];
  /** The value by the rules applied to the legacy rows as they are now; null when the legacy row is gone or fails. */
  expected: DiffValue;
  /** The value in the new table; null when there is no new row. */
  actual: DiffValue;
  /** actual IS NOT DISTINCT FROM expected, with both present. */
  agree: boolean;
}

export interface PagoDiff {
  legacyPagoId: number;
  /** both: in legacy (under this prestamo) and in the new table (under its new row). */
  presence: "both" | "legacy_only" | "new_only";
  /** Why a one-sided pago is one-sided, in words. */
  note: string | null;
  lines: DiffLine[];
  agree: boolean;
  /** Rules this pago fails now. */
  failing: { code: string; field: string; value: string | null }[];
}

export interface PrestamoDiff {
  legacyId: number;
  legacyExists: boolean;
  newExists: boolean;
  newId: number | null;
  state: "pending" | "migrated" | "failed" | "rolled_back";
  stateUpdatedAt: string | null;
  runId: number | null;
  /** Has entries in capture_changes: changed since it was last written. */
  stale: boolean;
  /** Every line agrees and every pago agrees (and the legacy row still passes the rules). */
  agree: boolean;
  lines: DiffLine[];
  pagos: PagoDiff[];
  /** Rules the legacy rows fail now (INVALID_PAGO with its pago id). */
  failingNow: { code: string; field: string; value: string | null; pagoId: number | null }[];
  /** The failures recorded when it was last taken (migration_failures). */
  recordedFailures: { code: string; field: string; value: string | null; pagoId: number | null; runId: number | null; recordedAt: string | null }[];
}

/** The raw legacy prestamo fields to show, in the order of the rules, as stored (text). */
const LEGACY_PRESTAMO_FIELDS = ["cliente_nombre", "cliente_documento", "monto", "tasa_interes", "plazo_meses", "fecha_otorgamiento", "estado", "moneda", "updated_at", "created_at"] as const;
const LEGACY_PAGO_FIELDS = ["monto", "fecha_pago", "metodo", "anulado", "created_at"] as const;
const rawSql = (alias: string, f: string) =>
  f === "updated_at" || f === "created_at" ? `to_char(${alias}.${f}, 'YYYY-MM-DD HH24:MI:SS.US')` : `${alias}.${f}::text`;

const PRESTAMO_DIFF_SQL = (() => {
  const pCols = PRESTAMO_COLUMNS as readonly (keyof typeof PRESTAMO_KIND)[];
  const gCols = PAGO_COLUMNS as readonly (keyof typeof PAGO_KIND)[];
  const vCols = new Set(["id", ...pCols.filter((c) => !["fecha_vencimiento", "total_pagado_cents", "pagos_count", "ultimo_pago", "saldo_cents"].includes(c))]);
  const values = (alias: string, only?: Set<string>) =>
    jsonObj(pCols.filter((c) => !only || only.has(c)).map((c) => [c, render(PRESTAMO_KIND[c], `${alias}.${c}`)]));
  const agree = jsonObj(pCols.map((c) => [c, `n.${c} IS NOT DISTINCT FROM e.${c}`]));
  const gValues = (alias: string) => jsonObj(gCols.map((c) => [c, `CASE WHEN ${alias}.legacy_id IS NULL THEN NULL ELSE ${render(PAGO_KIND[c], `${alias}.${c}`)} END`]));
  const gAgree = jsonObj(gCols.map((c) => [c, `e.legacy_id IS NOT NULL AND n.legacy_id IS NOT NULL AND n.${c} IS NOT DISTINCT FROM e.${c}`]));
  const legacyP = jsonObj(LEGACY_PRESTAMO_FIELDS.map((f) => [f, rawSql("l", f)]));
  const legacyG = (alias: string) => jsonObj([["prestamo_id", `${alias}.prestamo_id`], ...LEGACY_PAGO_FIELDS.map((f) => [f, rawSql(alias, f)] as [string, string])]);
  return `
  np AS MATERIALIZED (SELECT n.* FROM prestamos_new n WHERE n.legacy_id = $ID),
  ng AS MATERIALIZED (SELECT g.* FROM pagos_prestamo_new g WHERE g.prestamo_id IN (SELECT id FROM np)),
  lg AS MATERIALIZED (
    SELECT l.* FROM pagos_prestamo l WHERE l.prestamo_id = $ID
    UNION
    SELECT l.* FROM pagos_prestamo l WHERE l.id IN (SELECT legacy_id FROM ng)
  ),
  ids AS (SELECT legacy_id AS id FROM ng UNION SELECT id FROM lg WHERE prestamo_id = $ID)
  SELECT json_build_object(
    'legacy', (SELECT ${legacyP} FROM cand l),
    'parsed', (SELECT ${values("v", vCols)} FROM v),
    'expected', (SELECT ${values("okp")} FROM okp),
    'actual', (SELECT ${values("np")} FROM np),
    'newId', (SELECT id FROM np),
    'agree', (SELECT ${agree} FROM np n JOIN okp e ON true),
    'fails', (SELECT json_agg(json_build_object('code', code, 'field', field, 'value', value, 'pagoId', pago_id) ORDER BY pago_id NULLS FIRST, code, field) FROM fail),
    'pagos', (SELECT coalesce(json_agg(json_build_object(
        'id', ids.id,
        'legacy', (SELECT ${legacyG("l")} FROM lg l WHERE l.id = ids.id),
        'inLegacy', EXISTS (SELECT 1 FROM lg l WHERE l.id = ids.id AND l.prestamo_id = $ID),
        'inNew', EXISTS (SELECT 1 FROM ng WHERE ng.legacy_id = ids.id),
        'elsewhere', (SELECT p2.legacy_id FROM pagos_prestamo_new g2 JOIN prestamos_new p2 ON p2.id = g2.prestamo_id
                      WHERE g2.legacy_id = ids.id AND g2.prestamo_id NOT IN (SELECT id FROM np)),
        'expected', (SELECT ${gValues("e")} FROM (SELECT pg.id AS legacy_id, pg.* FROM pg JOIN okp ON okp.legacy_id = pg.prestamo_id WHERE pg.id = ids.id) e),
        'parsed', (SELECT ${gValues("e")} FROM (SELECT pg.id AS legacy_id, pg.* FROM pg WHERE pg.id = ids.id) e),
        'actual', (SELECT ${gValues("n")} FROM ng n WHERE n.legacy_id = ids.id),
        'agree', (SELECT ${gAgree} FROM (SELECT 1) one
                  LEFT JOIN (SELECT pg.id AS legacy_id, pg.* FROM pg JOIN okp ON okp.legacy_id = pg.prestamo_id WHERE pg.id = ids.id) e ON true
                  LEFT JOIN ng n ON n.legacy_id = ids.id)
      ) ORDER BY ids.id), '[]'::json) FROM ids),
    'state', (SELECT json_build_object('state', state, 'runId', run_id, 'updatedAt', updated_at::text) FROM migration_state WHERE legacy_id = $ID),
    'stale', EXISTS (SELECT 1 FROM capture_changes WHERE prestamo_id = $ID),
    'recorded', (SELECT json_agg(json_build_object('code', code, 'field', field, 'value', value, 'pagoId', pago_id, 'runId', run_id, 'recordedAt', recorded_at::text)
                 ORDER BY pago_id NULLS FIRST, code, field) FROM migration_failures WHERE legacy_id = $ID)
  )::text AS doc`;
})();

type Obj = Record<string, DiffValue>;
interface DiffDoc {
  legacy: Obj | null;
  parsed: Obj | null;
  expected: Obj | null;
  actual: Obj | null;
  newId: number | null;
  agree: Record<string, boolean> | null;
  fails: { code: string; field: string; value: string | null; pagoId: number | null }[] | null;
  pagos: {
    id: number;
    legacy: (Obj & { prestamo_id: number | null }) | null;
    inLegacy: boolean;
    inNew: boolean;
    elsewhere: number | null;
    expected: Obj | null;
    parsed: Obj | null;
    actual: Obj | null;
    agree: Record<string, boolean>;
  }[];
  state: { state: PrestamoDiff["state"]; runId: number | null; updatedAt: string | null } | null;
  stale: boolean;
  recorded: PrestamoDiff["recordedFailures"] | null;
}

const str = (v: DiffValue | undefined): string | null => (v === null || v === undefined ? null : String(v));

/** The legacy inputs behind each new column, as stored. */
function legacySources(column: (typeof PRESTAMO_COLUMNS)[number], doc: DiffDoc): LegacySource[] {
  const l = doc.legacy;
  if (!l) return [];
  const own = (f: string) => ({ field: f, value: str(l[f]) });
  const live = doc.pagos.filter((g) => g.inLegacy && g.legacy && g.legacy.anulado !== "true");
  const each = (f: string) => live.map((g) => ({ field: `pagos_prestamo[${g.id}].${f}`, value: str(g.legacy?.[f]) }));
  switch (column) {
    case "monto_cents":
      return [own("monto")];
    case "tasa_anual":
      return [own("tasa_interes")];
    case "fecha_vencimiento":
      return [own("fecha_otorgamiento"), own("plazo_meses")];
    case "total_pagado_cents":
      return each("monto");
    case "pagos_count":
      return live.map((g) => ({ field: `pagos_prestamo[${g.id}].anulado`, value: str(g.legacy?.anulado) }));
    case "ultimo_pago":
      return each("fecha_pago");
    case "saldo_cents":
      return [own("monto"), ...each("monto")];
    case "legacy_updated_at":
      return [own("updated_at")];
    case "legacy_created_at":
      return [own("created_at")];
    default:
      return [own(column)];
  }
}

/**
 * The field-level diff of one prestamo: index lookups only (prestamos by id, its pagos by
 * prestamo_id, prestamos_new by legacy_id, pagos_prestamo_new by prestamo_id). 404 when neither
 * the legacy prestamo nor a new row exists; a prestamo deleted from legacy still shows its new row.
 */
export async function getPrestamoDiff(db: Exec, legacyId: number): Promise<PrestamoDiff> {
  if (!Number.isInteger(legacyId) || legacyId < 1 || legacyId > 2147483647) throw new AppError("VALIDATION_ERROR", "legacy id must be a positive integer");
  const text = `WITH cand AS MATERIALIZED (SELECT l.* FROM prestamos l WHERE l.id = $ID),${EXPECTED},${PRESTAMO_DIFF_SQL}`.replaceAll("$ID", String(legacyId));
  const row = await queryOne<{ doc: string }>(db, sql.raw(text));
  const doc = JSON.parse(row?.doc ?? "{}") as DiffDoc;
  if (!doc.legacy && !doc.actual) throw new AppError("NOT_FOUND", `Prestamo ${legacyId} not found in legacy nor in the new tables`);

  const failingNow = doc.fails ?? [];
  const lines: DiffLine[] = PRESTAMO_COLUMNS.map((column) => {
    // Expected from okp (valid); when the legacy row now fails, the parsed values that could be computed.
    const expected = doc.expected ? (doc.expected[column] ?? null) : (doc.parsed?.[column] ?? null);
    const actual = doc.actual ? (doc.actual[column] ?? null) : null;
    return {
      column,
      legacyField: LEGACY_SOURCE[column],
      legacy: legacySources(column, doc),
      expected,
      actual,
      agree: Boolean(doc.expected && doc.actual && doc.agree?.[column]),
    };
  });

  const pagos: PagoDiff[] = doc.pagos.map((g) => {
    const presence: PagoDiff["presence"] = g.inLegacy && g.inNew ? "both" : g.inLegacy ? "legacy_only" : "new_only";
    let note: string | null = null;
    if (presence === "legacy_only") {
      note = g.elsewhere != null ? `its new row is under prestamo ${g.elsewhere}` : doc.actual ? "missing in pagos_prestamo_new" : "no new row";
    } else if (presence === "new_only") {
      note = !g.legacy ? "legacy pago no longer exists" : `legacy pago belongs to prestamo ${g.legacy.prestamo_id ?? "none (NULL)"}`;
    }
    const glines: DiffLine[] = PAGO_COLUMNS.map((column, i) => {
      const field = LEGACY_PAGO_FIELDS[i];
      const expected = presence === "new_only" ? null : g.expected ? (g.expected[column] ?? null) : (g.parsed?.[column] ?? null);
      return {
        column,
        legacyField: field,
        legacy: g.legacy ? [{ field: `pagos_prestamo[${g.id}].${field}`, value: str(g.legacy[field]) }] : [],
        expected,
        actual: g.actual ? (g.actual[column] ?? null) : null,
        agree: Boolean(g.agree?.[column]),
      };
    });
    return {
      legacyPagoId: g.id,
      presence,
      note,
      lines: glines,
      agree: presence === "both" && glines.every((l) => l.agree),
      failing: failingNow.filter((f) => f.pagoId === g.id).map(({ code, field, value }) => ({ code, field, value })),
    };
  });

  const state = doc.state?.state ?? "pending";
  return {
    legacyId,
    legacyExists: doc.legacy !== null,
    newExists: doc.actual !== null,
    newId: doc.newId == null ? null : Number(doc.newId),
    state,
    stateUpdatedAt: isoTime(doc.state?.updatedAt ?? null),
    runId: doc.state?.runId ?? null,
    stale: Boolean(doc.stale),
    agree: failingNow.length === 0 && doc.expected !== null && lines.every((l) => l.agree) && pagos.every((g) => g.agree),
    lines,
    pagos,
    failingNow,
    recordedFailures: (doc.recorded ?? []).map((f) => ({ ...f, recordedAt: isoTime(f.recordedAt) })),
  };
}
