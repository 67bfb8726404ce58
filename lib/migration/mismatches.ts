/**
 * The paged list of mismatches (GET /consistency/mismatches): the rows of the consistency walk
 * (consistency-chunks.ts) as items a person reads, and the legacy orphan pagos in their own key space.
 */
import { sql } from "drizzle-orm";
import type { Db, Exec } from "@/db/client";
import { queryRows } from "@/db/sql";
import type { MismatchCategory } from "./vocabulary";
import { compareAgainstPhase } from "./cutover-lens";
import { CONSISTENCY_CHUNK, READ_TX, readOnlySetup, walk } from "./consistency-chunks";
import { PAGO_COLUMNS, PRESTAMO_COLUMNS } from "./rules";

/** What a category means, for summaries and the UI. */
const CATEGORY_HELP: Readonly<Record<MismatchCategory, string>> = {
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
  /** The listing started after this legacy id (null: from the first). */
  from: number | null;
  /**
   * The listing stopped within its time budget having looked through the legacy ids up to this one
   * (null: it reached the end, or filled the page): ask again `from` it to look further.
   */
  stoppedAt: number | null;
}

/** A listing walks at most about this long in a request; the background check walks everything. */
export const LISTING_BUDGET_MS = 500;

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

export async function listLegacyOrphanPagos(db: Exec, page: number, limit: number): Promise<MismatchPage> {
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
    from: null,
    stoppedAt: null,
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

/** A page of items from the walk's rows (it collects one more than the page to tell whether more follow). */
export function pageOf(
  category: MismatchCategory | null,
  page: number,
  limit: number,
  rows: readonly Record<string, unknown>[],
  walked: { from: number | null; stoppedAt: number | null } = { from: null, stoppedAt: null },
): MismatchPage {
  return { category, page, limit, hasMore: rows.length > limit, items: rows.slice(0, limit).map(toItem), ...walked };
}

/**
 * A page of mismatches in legacy id order (then category). Without a category: every category
 * except orphan_legacy_pago (pagos, another key space) — warnings included.
 *
 * Paging: keyset chunks over legacy ids (small first, growing to CONSISTENCY_CHUNK), counting
 * OFFSET across chunks; the walk stops as soon as the page and one more item are found. Page 1 of
 * a frequent category costs a few thousand prestamos. A rare category, a deep page or a table with
 * no mismatch would walk as far as the whole check: the walk stops after its budget and says where
 * (`stoppedAt`), and the next request goes on `from` there. orphan_legacy_pago: LIMIT/OFFSET in
 * pago id order. (The planner's statistics are the job runner's to refresh: an ANALYZE here took
 * 2–3 s of a page load during a run at 10M.)
 */
export async function listMismatches(
  db: Db,
  opts: { category?: MismatchCategory; page: number; limit: number; from?: number; chunkSize?: number; budgetMs?: number },
): Promise<MismatchPage> {
  const { page, limit } = opts;
  const category = opts.category ?? null;
  if (category === "orphan_legacy_pago") return listLegacyOrphanPagos(db, page, limit);
  return db.transaction(async (tx) => {
    await readOnlySetup(tx);
    await compareAgainstPhase(tx);
    const { rows, stoppedAt } = await walk(tx, {
      summary: false,
      category,
      page,
      limit,
      from: opts.from,
      chunkSize: opts.chunkSize ?? CONSISTENCY_CHUNK,
      budgetMs: opts.budgetMs ?? LISTING_BUDGET_MS,
    });
    return pageOf(category, page, limit, rows, { from: opts.from ?? null, stoppedAt });
  }, READ_TX);
}
