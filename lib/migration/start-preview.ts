/**
 * What a start would do, shown before the click: the prestamos it takes, the dry run's invalid
 * share against the run's error threshold (so a run predicted to halt asks for a confirmation),
 * and whether change capture turns on. Reads kept counts and the latest dry run only (verify's
 * background job): a preview never scans the legacy table.
 */
import type { Db } from "@/db/client";
import { readDryRun } from "./preflight";
import { getProgress } from "./progress";
import { RUN_DEFAULTS, THRESHOLD_MIN_PROCESSED } from "./runs";

export interface StartPreview {
  retry: boolean;
  errorThresholdPct: number;
  /** Prestamos the run takes: pending ones, and with retry the failed and rolled back ones too. */
  toTake: number;
  byState: { pending: number; failed: number; rolledBack: number };
  /** The latest dry run, or null when none is 15 minutes old or less (Pre-flight or Verify asks for one). */
  dryRun: {
    checkedAt: string;
    ageSeconds: number;
    checked: number;
    invalid: number;
    /** Invalid prestamos expected among those the run takes (the recorded failures are not taken again without retry). */
    expectedFailures: number;
    /** expectedFailures / toTake × 100. */
    expectedPct: number;
  } | null;
  /** A dry run is being computed (the background job runs or waits its turn). */
  dryRunRefreshing: boolean;
  /** true: the run is expected to end halted; null: unknown (no dry run). */
  predictedHalt: boolean | null;
  /** The threshold is checked once this many prestamos were processed, or at the end of the table. */
  thresholdAfter: number;
  capture: { enabled: boolean; turnsOn: boolean };
  activeRunId: number | null;
}

/** Exceeds in exact arithmetic (basis points), as the run compares: 35 of 1,000 does not exceed 3.5 %. */
export function exceedsThreshold(failed: number, processed: number, thresholdPct: number): boolean {
  return processed > 0 && failed * 10_000 > Math.round(thresholdPct * 100) * processed;
}

export async function getStartPreview(db: Db, opts: { retry?: boolean; errorThresholdPct?: number }): Promise<StartPreview> {
  const retry = opts.retry ?? false;
  const threshold = opts.errorThresholdPct ?? RUN_DEFAULTS.errorThresholdPct;
  const p = await getProgress(db);
  const { pending, failed, rolledBack } = p.totals;
  const toTake = retry ? pending + failed + rolledBack : pending;
  const dry = await readDryRun(db, "start");
  let dryRun: StartPreview["dryRun"] = null;
  if (dry.report) {
    const d = dry.report.dryRun;
    // Migrated prestamos passed the rules; without retry the recorded failures stay where they are.
    const expectedFailures = Math.min(toTake, Math.max(0, retry ? d.invalid : d.invalid - failed));
    dryRun = {
      checkedAt: dry.report.checkedAt,
      ageSeconds: dry.ageSeconds ?? 0,
      checked: d.checked,
      invalid: d.invalid,
      expectedFailures,
      expectedPct: toTake ? Math.round((expectedFailures / toTake) * 10_000) / 100 : 0,
    };
  }
  return {
    retry,
    errorThresholdPct: threshold,
    toTake,
    byState: { pending, failed, rolledBack },
    dryRun,
    dryRunRefreshing: dry.refreshing,
    predictedHalt: dryRun ? exceedsThreshold(dryRun.expectedFailures, toTake, threshold) : null,
    thresholdAfter: THRESHOLD_MIN_PROCESSED,
    capture: { enabled: p.capture.enabled, turnsOn: !p.capture.enabled },
    activeRunId: p.run?.active ? p.run.id : null,
  };
}
