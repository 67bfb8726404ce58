/**
 * Every failing rule of the failed prestamos, for a download: the same filter as GET /failures
 * (a code keeps the prestamos that fail it, with all their rules), walked in keyset batches of
 * prestamos so any number of failures costs one bounded statement per batch.
 */
import { sql } from "drizzle-orm";
import type { Db } from "@/db/client";
import { BEFORE_ANY_LEGACY_ID } from "@/db/schema";
import { isoTime, queryRows } from "@/db/sql";
import type { FailureCode } from "./rules";

export interface FailedRuleRow {
  legacyId: number;
  runId: number | null;
  failedAt: string | null;
  code: FailureCode;
  field: string;
  pagoId: number | null;
  value: string | null;
}

export const FAILED_RULE_CSV_COLUMNS = ["legacy_id", "run_id", "failed_at", "code", "field", "pago_id", "value"] as const;

export async function* iterateFailedRules(
  db: Pick<Db, "execute">,
  filter: { code?: FailureCode; legacyId?: number },
  prestamosPerBatch = 500,
): AsyncGenerator<FailedRuleRow[]> {
  for (let after = BEFORE_ANY_LEGACY_ID; ;) {
    const rows = await queryRows<{
      legacy_id: number;
      run_id: number | null;
      updated_at: string;
      code: FailureCode | null;
      field: string | null;
      value: string | null;
      pago_id: number | null;
    }>(
      db,
      sql`WITH ids AS (
            SELECT s.legacy_id, s.run_id, s.updated_at FROM migration_state s
            WHERE s.state = 'failed' AND s.legacy_id > ${after}::bigint
              ${filter.legacyId !== undefined ? sql`AND s.legacy_id = ${filter.legacyId}` : sql``}
              ${filter.code !== undefined ? sql`AND EXISTS (SELECT 1 FROM migration_failures c WHERE c.legacy_id = s.legacy_id AND c.code = ${filter.code})` : sql``}
            ORDER BY s.legacy_id LIMIT ${prestamosPerBatch})
          SELECT ids.legacy_id, ids.run_id, ids.updated_at::text AS updated_at, f.code, f.field, f.value, f.pago_id
          FROM ids LEFT JOIN migration_failures f ON f.legacy_id = ids.legacy_id
          ORDER BY ids.legacy_id, f.pago_id NULLS FIRST, f.code, f.field, f.id`,
    );
    if (rows.length === 0) return;
    const batch = rows
      .filter((r) => r.code !== null)
      .map((r) => ({
        legacyId: Number(r.legacy_id),
        runId: r.run_id == null ? null : Number(r.run_id),
        failedAt: isoTime(r.updated_at),
        code: r.code!,
        field: r.field!,
        pagoId: r.pago_id == null ? null : Number(r.pago_id),
        value: r.value,
      }));
    if (batch.length > 0) yield batch;
    if (new Set(rows.map((r) => r.legacy_id)).size < prestamosPerBatch) return;
    after = Number(rows[rows.length - 1].legacy_id);
  }
}
