/**
 * The consistency summary (MIGRATION-SPEC §5): the migrated prestamos against the legacy rows as
 * they are now, counted per category over every chunk of the walk (consistency-chunks.ts), in one
 * snapshot. The paged list is mismatches.ts; one prestamo's field-level diff is prestamo-diff.ts.
 */
import { sql } from "drizzle-orm";
import type { Db, Exec } from "@/db/client";
import { queryOne } from "@/db/sql";
import { MISMATCH_CATEGORIES, type MismatchCategory } from "./vocabulary";
import { compareAgainstPhase, type ComparedWith } from "./cutover-lens";
import { CONSISTENCY_CHUNK, READ_TX, readOnlySetup, walk, type Totals } from "./consistency-chunks";
import { listLegacyOrphanPagos, pageOf, type MismatchPage } from "./mismatches";
import { refreshPlannerStats } from "./planner-stats";
import { getStateCounts } from "./state-counts";

type WarningCode = "PAGADO_CON_SALDO" | "SALDO_CERO_ACTIVO" | "SOBREPAGO";

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

/**
 * The §5 summary over every migrated prestamo, in one read-only REPEATABLE READ transaction (one
 * snapshot for all chunks: a pago moved between two chunks is not counted twice).
 */
export async function getConsistencySummary(
  db: Db,
  opts: { chunkSize?: number; onProgress?: (checked: number, migrated: number) => void } = {},
): Promise<ConsistencySummary> {
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
    const { acc, rows } = await walk(tx, {
      summary: true,
      category,
      page: opts.page,
      limit: opts.limit,
      chunkSize: opts.chunkSize ?? CONSISTENCY_CHUNK,
      onChunk,
    });
    const mismatches =
      category === "orphan_legacy_pago" ? await listLegacyOrphanPagos(tx, opts.page, opts.limit) : pageOf(category, opts.page, opts.limit, rows);
    const orphans = await orphanLegacyPagos(tx);
    return { summary: { ...toSummary(acc, orphans, checkedAt, started), comparedWith }, mismatches };
  }, READ_TX);
}
