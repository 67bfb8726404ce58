/**
 * After a run ends, the worker computes the consistency summary once: it becomes the
 * figure Prometheus reports, and when the field match is below 100 % a `consistency.below_100`
 * event is queued for the webhooks that want it.
 */
import type { Db } from "@/db/client";
import { recordConsistencySummary } from "@/lib/metrics/consistency-cache";
import { recordConsistencyCheck } from "@/lib/migration/jobs";
import { emitEvent } from "./emit";

export async function checkConsistencyAfterRun(db: Db, run: { id: number; status: string }): Promise<{ matchingPct: number | null; emitted: number }> {
  const summary = await recordConsistencyCheck(db, `run ${run.id} ended`);
  recordConsistencySummary(summary);
  const pct = summary.fieldMatch.matchingPct;
  let emitted = 0;
  if (pct !== null && pct < 100) {
    emitted = await emitEvent(db, "consistency.below_100", {
      runId: run.id,
      runStatus: run.status,
      checkedAt: summary.checkedAt,
      migrated: summary.migrated,
      matchingPct: pct,
      mismatching: summary.fieldMatch.mismatching,
      paymentAccuracyPct: summary.paymentTotals.accuracyPct,
      byCategory: summary.byCategory.filter((c) => c.prestamos > 0 || c.pagos > 0),
    });
  }
  return { matchingPct: pct, emitted };
}

/** The worker's hook: never throws (a failed check is logged, the worker goes on). */
export async function afterRunEnded(db: Db, run: { id: number; status: string }, log: (event: Record<string, unknown>) => void): Promise<void> {
  try {
    const r = await checkConsistencyAfterRun(db, run);
    log({ msg: "consistency checked after run", runId: run.id, matchingPct: r.matchingPct, webhooksQueued: r.emitted });
  } catch (err) {
    log({ msg: "consistency check after run failed", runId: run.id, error: err instanceof Error ? err.message : String(err) });
  }
}
