/**
 * The consistency check's one statement and its walk (MIGRATION-SPEC §5): the migrated prestamos
 * against the legacy rows as they are now. The expected new rows come from `expectedCtes()` (the
 * rules table), never from a rule written again here. The walk takes legacy ids in keyset chunks:
 * each chunk is one set-based statement whose work is index lookups on its id range, so memory
 * stays flat at any size. The summary (consistency.ts), the paged list (mismatches.ts) and the
 * re-sync after a gap in capture (`staleLegacyIds`) all read its rows.
 */
import { sql, type SQL } from "drizzle-orm";
import type { Exec } from "@/db/client";
import { BEFORE_ANY_LEGACY_ID } from "@/db/schema";
import { queryOne, queryRows } from "@/db/sql";
import type { MismatchCategory } from "./vocabulary";
import { AppError } from "@/lib/errors";
import { PAGO_COLUMNS, PRESTAMO_COLUMNS } from "./rules";
import { expectedCtes } from "./sql-builder";

/** Categories that make a migrated prestamo "not matching" (warnings never do, §5). */
const NOT_MATCHING = ["field", "totals", "status", "now_fails", "missing_new", "missing_pago", "wrong_prestamo", "orphan_new"] as const;

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
  -- A new pago's legacy pago is nearly always among the chunk's legacy pagos (pg, already read):
  -- only the others (moved to another prestamo, gone, or under an untracked prestamo) are probed
  -- in the legacy table's primary key, which at tens of millions of pagos no longer stays in memory.
  ng AS MATERIALIZED (
    SELECT g.legacy_id, ${sql.raw(PAGO_COLUMNS.map((c) => `g.${c}`).join(", "))},
      np.legacy_id AS p_legacy_id, np.is_mig, (here.id IS NOT NULL OR lp.id IS NOT NULL) AS has_legacy,
      coalesce(here.prestamo_id, lp.prestamo_id) AS legacy_prestamo_id
    FROM np
    CROSS JOIN LATERAL (SELECT g.* FROM pagos_prestamo_new g WHERE g.prestamo_id = np.id OFFSET 0) g
    LEFT JOIN pg here ON here.id = g.legacy_id
    LEFT JOIN LATERAL (SELECT lp.id, lp.prestamo_id FROM pagos_prestamo lp WHERE here.id IS NULL AND lp.id = g.legacy_id OFFSET 0) lp ON true
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
export async function readOnlySetup(tx: Exec): Promise<void> {
  await tx.execute(sql`SELECT set_config('jit', 'off', true)`);
  // The CTEs' row estimates are guesses (a few rows) whatever the chunk holds: a nested loop
  // over two CTEs is then quadratic (375 s for one chunk of 5,000). Hash joins instead; the
  // per-row index probes written as LATERAL … OFFSET 0 stay nested loops, the only plan they have.
  await tx.execute(sql`SELECT set_config('enable_nestloop', 'off', true)`);
}

export const READ_TX = { isolationLevel: "repeatable read", accessMode: "read only" } as const;

/** Chunk size of the full check: 5,000 ids of migrated states and new rows together, about 2,500 prestamos and their pagos per statement. */
// Small enough that the planner's estimates of the CTEs (a few rows) stay near the truth: larger
// chunks got nested-loop plans that grew with the square of the chunk.
export const CONSISTENCY_CHUNK = 5_000;

export interface Totals {
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

/**
 * The one walk: legacy ids in keyset chunks, each chunk one statement. With `summary` it visits
 * every chunk and accumulates the §5 counts; it also collects the rows of the page of mismatches
 * asked for (OFFSET counted across chunks; mismatches.ts reads them) and, without `summary`, stops
 * as soon as that page and one more row are found. Chunks start small when only a page is wanted
 * and grow to `chunkSize`.
 */
export async function walk(
  tx: Exec,
  opts: {
    summary: boolean;
    category: MismatchCategory | null;
    page: number;
    limit: number;
    chunkSize: number;
    onChunk?: (migratedChecked: number) => void;
    /** A listing starts after this legacy id. */
    from?: number;
    /** A listing stops after the chunk that passes this much time (the summary walks everything). */
    budgetMs?: number;
  },
) {
  const started = performance.now();
  /** Where a listing stopped for its budget: it looked through the legacy ids up to this one. */
  let stoppedAt: number | null = null;
  const acc: Totals = {
    migrated: 0,
    matching: 0,
    legacyCents: 0n,
    newCents: 0n,
    legacyPagos: 0,
    legacyLivePagos: 0,
    newPagos: 0,
    newLivePagos: 0,
    newPrestamos: 0,
    cat: new Map(),
  };
  const rows: Record<string, unknown>[] = [];
  const need = opts.limit + 1;
  const listing = opts.category !== "orphan_legacy_pago";
  let skip = (opts.page - 1) * opts.limit;
  let size = opts.summary ? opts.chunkSize : Math.min(opts.chunkSize, Math.max(2_000, need * 40));
  for (let after = opts.summary ? BEFORE_ANY_LEGACY_ID : (opts.from ?? BEFORE_ANY_LEGACY_ID); ;) {
    if (!opts.summary && (!listing || rows.length >= need)) break;
    if (!opts.summary && opts.budgetMs !== undefined && after !== (opts.from ?? BEFORE_ANY_LEGACY_ID) && performance.now() - started > opts.budgetMs) {
      stoppedAt = after;
      break;
    }
    const upto = await nextChunkEnd(tx, after, size);
    if (upto === null) break;
    const wantRows = listing ? Math.max(0, need - rows.length) : 0;
    const r = await runChunk(tx, after, upto, opts.summary, { category: opts.category, skip, need: wantRows });
    if (opts.summary) {
      addChunk(acc, r);
      opts.onChunk?.(acc.migrated);
    }
    if (wantRows > 0) {
      rows.push(...(JSON.parse(String(r?.page_rows ?? "[]")) as Record<string, unknown>[]));
      skip = Math.max(0, skip - Number(r?.wanted_total ?? 0));
    }
    after = upto;
    size = Math.min(opts.chunkSize, size * 2);
  }
  return { acc, rows, stoppedAt };
}
