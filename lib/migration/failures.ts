/**
 * GET /failures (MIGRATION-SPEC §6): the failed prestamos with every failing rule recorded when they
 * were last taken (§3: code, field, offending value, legacy pago id for INVALID_PAGO).
 */
import { sql, type SQL } from "drizzle-orm";
import type { Db, Exec } from "@/db/client";
import { isoTime, queryRows } from "@/db/sql";
import { intArrayLiteral } from "./write";
import { FAILURE_CODES, type FailureCode } from "./rules";

export interface FailedRule {
  code: FailureCode;
  field: string;
  /** The offending legacy value as stored (text), null for NULL. */
  value: string | null;
  pagoId: number | null;
}

export interface FailedPrestamo {
  legacyId: number;
  runId: number | null;
  /** When it was marked failed (migration_state.updated_at), ISO 8601. */
  failedAt: string | null;
  codes: FailureCode[];
  rules: FailedRule[];
}

export interface FailuresPage {
  code: FailureCode | null;
  legacyId: number | null;
  page: number;
  limit: number;
  /** Failed prestamos matching the filter. */
  total: number;
  hasMore: boolean;
  items: FailedPrestamo[];
  /** Every code: failed prestamos with it (a prestamo with two codes counts under each) and rules. */
  countsByCode: Record<FailureCode, { prestamos: number; rules: number }>;
  /** All failed prestamos, whatever the filter. */
  totalFailed: number;
}

/**
 * Every code: the failed prestamos with it and its rules. Each failure row probes the state's
 * index (OFFSET 0 keeps the probe a per-row subplan): during a run the planner's statistics lag
 * the tables, and with them a plain join walked one table once per row of the other (70 s at 10M).
 */
export async function failedCountsByCode(db: Exec): Promise<FailuresPage["countsByCode"]> {
  const rows = await queryRows<{ code: FailureCode; prestamos: number; rules: number }>(
    db,
    sql`SELECT f.code, count(DISTINCT f.legacy_id)::int AS prestamos, count(*)::int AS rules FROM migration_failures f
        WHERE EXISTS (SELECT 1 FROM migration_state s WHERE s.legacy_id = f.legacy_id AND s.state = 'failed' OFFSET 0)
        GROUP BY f.code`,
  );
  const counts = Object.fromEntries(FAILURE_CODES.map((c) => [c, { prestamos: 0, rules: 0 }])) as FailuresPage["countsByCode"];
  for (const r of rows) counts[r.code] = { prestamos: Number(r.prestamos), rules: Number(r.rules) };
  return counts;
}

/**
 * Paged in legacy id order with LIMIT/OFFSET over index-ordered ids: migration_state (state,
 * legacy_id) without a code, migration_failures (code, legacy_id) with one. The counts by code
 * are `failedCountsByCode`'s.
 */
export async function listFailures(db: Db, opts: { code?: FailureCode; page: number; limit: number; legacyId?: number }): Promise<FailuresPage> {
  const { page, limit } = opts;
  const code = opts.code ?? null;
  const legacyId = opts.legacyId ?? null;
  const offset = (page - 1) * limit;

  const filter: SQL = sql`s.state = 'failed'
      ${legacyId !== null ? sql`AND s.legacy_id = ${legacyId}` : sql``}
      ${code !== null ? sql`AND EXISTS (SELECT 1 FROM migration_failures f WHERE f.legacy_id = s.legacy_id AND f.code = ${code})` : sql``}`;

  // The page, the counts by code and the totals are independent reads: on postgres.js they go
  // out on separate connections at once, so the page waits for the slowest, not for their sum.
  const pageWithRules = async () => {
    const pageRows = await queryRows<{ legacy_id: number; run_id: number | null; updated_at: string }>(
      db,
      sql`SELECT s.legacy_id, s.run_id, s.updated_at::text AS updated_at FROM migration_state s
          WHERE ${filter} ORDER BY s.legacy_id OFFSET ${offset} LIMIT ${limit + 1}`,
    );
    const ids = pageRows.slice(0, limit).map((r) => Number(r.legacy_id));
    const ruleRows = ids.length
      ? await queryRows<{ legacy_id: number; code: FailureCode; field: string; value: string | null; pago_id: number | null }>(
          db,
          sql`SELECT legacy_id, code, field, value, pago_id FROM migration_failures
              WHERE legacy_id = ANY(${intArrayLiteral(ids)}::int[])
              ORDER BY legacy_id, pago_id NULLS FIRST, code, field, id`,
        )
      : [];
    return { pageRows, ruleRows };
  };
  const [{ pageRows, ruleRows }, countsByCode, totals] = await Promise.all([
    pageWithRules(),
    failedCountsByCode(db),
    queryRows<{ all_failed: number; matching: number }>(
      db,
      sql`SELECT (SELECT count(*) FROM migration_state WHERE state = 'failed')::int AS all_failed,
                 (SELECT count(*) FROM migration_state s WHERE ${filter})::int AS matching`,
    ),
  ]);
  const shown = pageRows.slice(0, limit);
  const rulesOf = new Map<number, FailedRule[]>();
  for (const r of ruleRows) {
    const list = rulesOf.get(Number(r.legacy_id)) ?? [];
    list.push({ code: r.code, field: r.field, value: r.value, pagoId: r.pago_id == null ? null : Number(r.pago_id) });
    rulesOf.set(Number(r.legacy_id), list);
  }

  return {
    code,
    legacyId,
    page,
    limit,
    total: Number(totals[0]?.matching ?? 0),
    hasMore: pageRows.length > limit,
    items: shown.map((r) => {
      const rules = rulesOf.get(Number(r.legacy_id)) ?? [];
      return {
        legacyId: Number(r.legacy_id),
        runId: r.run_id == null ? null : Number(r.run_id),
        failedAt: isoTime(r.updated_at),
        codes: [...new Set(rules.map((x) => x.code))].sort((a, b) => FAILURE_CODES.indexOf(a) - FAILURE_CODES.indexOf(b)),
        rules,
      };
    }),
    countsByCode,
    totalFailed: Number(totals[0]?.all_failed ?? 0),
  };
}
