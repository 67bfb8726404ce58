/**
 * The dry run, opened: the legacy prestamos that fail the rules now, with each failing rule (code,
 * field, offending value, pago id), before anything runs. Keyset paged on the legacy id; a page
 * evaluates at most PREDICTED_SCAN legacy prestamos, so a request never evaluates the whole table
 * (a rare code may take a few pages of nothing: `next` says where to go on).
 */
import { sql } from "drizzle-orm";
import type { Exec } from "@/db/client";
import { queryOne } from "@/db/sql";
import type { FailedRule } from "./failures";
import { FAILURE_CODES, type FailureCode } from "./rules";
import { expectedCtes } from "./sql-builder";

export const PREDICTED_SCAN = 2_000;

export interface PredictedFailure {
  legacyId: number;
  codes: FailureCode[];
  rules: FailedRule[];
}

export interface PredictedFailuresPage {
  code: FailureCode | null;
  /** The cursor this page started after (null: from the lowest legacy id). */
  after: number | null;
  limit: number;
  items: PredictedFailure[];
  /** Legacy ids this page evaluated: (after, scannedTo]. */
  scanned: { prestamos: number; to: number | null };
  /** Pass as `after` for the next page; null when the table ends here. */
  next: number | null;
}

const EXPECTED = expectedCtes({ contiguous: true });

export async function listPredictedFailures(db: Exec, opts: { code?: FailureCode; after?: number; limit: number }): Promise<PredictedFailuresPage> {
  const code = opts.code ?? null;
  const after = opts.after ?? null;
  const scan = Math.max(opts.limit, PREDICTED_SCAN);
  const r = await queryOne<{ n: number; last_id: number | null; picked: number; picked_last: number | null; rules: string }>(
    db,
    sql`WITH cand AS MATERIALIZED (
          SELECT l.* FROM prestamos l WHERE (${after}::int IS NULL OR l.id > ${after}::int) ORDER BY l.id LIMIT ${scan}),${sql.raw(EXPECTED)},
        picked AS (SELECT DISTINCT legacy_id FROM fail WHERE ${code}::text IS NULL OR code = ${code}::text ORDER BY legacy_id LIMIT ${opts.limit})
        SELECT (SELECT count(*) FROM cand)::int AS n, (SELECT max(id) FROM cand) AS last_id,
               (SELECT count(*) FROM picked)::int AS picked, (SELECT max(legacy_id) FROM picked) AS picked_last,
               coalesce((SELECT json_agg(json_build_object('legacyId', f.legacy_id, 'code', f.code, 'field', f.field, 'value', f.value, 'pagoId', f.pago_id)
                                         ORDER BY f.legacy_id, f.pago_id NULLS FIRST, f.code, f.field)
                         FROM fail f WHERE f.legacy_id IN (SELECT legacy_id FROM picked)), '[]'::json)::text AS rules`,
  );
  const n = Number(r?.n ?? 0);
  const byId = new Map<number, FailedRule[]>();
  for (const x of JSON.parse(r?.rules ?? "[]") as { legacyId: number; code: FailureCode; field: string; value: string | null; pagoId: number | null }[]) {
    const list = byId.get(Number(x.legacyId)) ?? [];
    list.push({ code: x.code, field: x.field, value: x.value, pagoId: x.pagoId == null ? null : Number(x.pagoId) });
    byId.set(Number(x.legacyId), list);
  }
  const items = [...byId.entries()].map(([legacyId, rules]) => ({
    legacyId,
    codes: [...new Set(rules.map((x) => x.code))].sort((a, b) => FAILURE_CODES.indexOf(a) - FAILURE_CODES.indexOf(b)),
    rules,
  }));
  // A full page of failures ends at its last prestamo; otherwise the page ends where the scan did.
  const full = Number(r?.picked ?? 0) >= opts.limit;
  const next = full ? Number(r!.picked_last) : n >= scan ? Number(r!.last_id) : null;
  return { code, after, limit: opts.limit, items, scanned: { prestamos: n, to: r?.last_id == null ? null : Number(r.last_id) }, next };
}

export const RECHECK_LIMIT = 5_000;

export interface FailedRecheck {
  /** Prestamos marked failed in all. */
  failed: number;
  /** How many of them were evaluated now (the lowest ids, at most RECHECK_LIMIT). */
  checked: number;
  /** Of those evaluated, how many still fail the rules: a retry fails them again. */
  stillFailing: number;
}

/** The failed prestamos against the rules as their legacy rows stand now: would a retry help? Bounded. */
export async function recheckFailed(db: Exec): Promise<FailedRecheck> {
  const r = await queryOne<{ failed: number; checked: number; still: number }>(
    db,
    sql`WITH cand AS MATERIALIZED (
          SELECT l.* FROM prestamos l JOIN migration_state s ON s.legacy_id = l.id AND s.state = 'failed' ORDER BY l.id LIMIT ${RECHECK_LIMIT}),${sql.raw(expectedCtes())}
        SELECT (SELECT count(*) FROM migration_state WHERE state = 'failed')::int AS failed,
               (SELECT count(*) FROM cand)::int AS checked,
               (SELECT count(DISTINCT legacy_id) FROM fail)::int AS still`,
  );
  return { failed: Number(r?.failed ?? 0), checked: Number(r?.checked ?? 0), stillFailing: Number(r?.still ?? 0) };
}
