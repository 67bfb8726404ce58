/** Progress of the migration (MIGRATION-SPEC §6 GET /progress): one cheap read for polling. */
import { sql } from "drizzle-orm";
import type { Db, Exec } from "@/db/client";
import { queryOne } from "@/db/sql";
import { captureBacklog, getResyncProgress, isCaptureInstalled, type ResyncProgress } from "./capture";
import { getKeptLegacyCounts } from "./legacy-row-counts";
import { getLatestRun, type RunDTO } from "./runs";
import { getLastStateCountsCheck, getStateCounts, type StateCountsCheck } from "./state-counts";
import { getThrottleSummary, type ThrottleSummary } from "./throttle";

export const RATE_WINDOW_SECONDS = 30;

export interface ProgressDTO {
  state: "idle" | RunDTO["status"];
  /** What the active run does now: re-syncs after a gap in capture first, then copies. */
  phase: "resync" | "copy" | null;
  run: RunDTO | null;
  /** `exact`: false when the legacy total is the planner's estimate (its counting triggers are missing). */
  totals: { total: number; migrated: number; failed: number; rolledBack: number; pending: number; remaining: number; percent: number; exact: boolean };
  rate: { prestamosPerSecond: number; pagosPerSecond: number; windowSeconds: number };
  etaSeconds: number | null;
  /** `enabled` is read from the catalog: both triggers present, ours, and enabled ALWAYS. */
  capture: { enabled: boolean; backlog: number; oldestAgeSeconds: number | null; resync: ResyncProgress };
  lastError: { message: string; at: string | null } | null;
  stop: { reason: string | null; detail: string | null; requestedBy: string | null } | null;
  /** The last self-check of the kept state counts against real counts (the worker's, when idle). */
  countsCheck: StateCountsCheck | null;
  /** MIGRATION-SPEC §8: while active, the run claims no new batch. */
  throttle: ThrottleSummary;
  checkedAt: string;
}

export async function getProgress(db: Db): Promise<ProgressDTO> {
  // One snapshot for every figure: a batch or sync committing between two reads would otherwise
  // make the totals disagree with each other.
  return db.transaction((tx) => readProgress(tx), { isolationLevel: "repeatable read" });
}

async function readProgress(db: Exec): Promise<ProgressDTO> {
  const [run, legacy, gone, counts, rate, enabled, backlog, resync, countsCheck, throttle] = await Promise.all([
    getLatestRun(db),
    // The legacy total from the kept row counts: a sum over a few rows, not a count of the table.
    getKeptLegacyCounts(db),
    // A prestamo deleted from legacy keeps its state row until its queued change is synced:
    // counted here (index lookups per queue entry) so that pending stays exact meanwhile.
    queryOne<{ gone_queued: number }>(
      db,
      sql`select (select count(*) from migration_state s where s.legacy_id in (select prestamo_id from capture_changes)
                    and not exists (select 1 from prestamos l where l.id = s.legacy_id))::int as gone_queued`,
    ),
    getStateCounts(db),
    queryOne<{ p: number; g: number; span: number | null }>(
      db,
      sql`select coalesce(sum(prestamos), 0)::int as p, coalesce(sum(pagos), 0)::int as g,
                 extract(epoch from now() - min(started_at))::float8 as span
          from migration_batches where kind = 'run' and finished_at > now() - make_interval(secs => ${RATE_WINDOW_SECONDS})`,
    ),
    isCaptureInstalled(db),
    captureBacklog(db),
    getResyncProgress(db),
    getLastStateCountsCheck(db),
    getThrottleSummary(db),
  ]);
  const total = legacy.prestamos;
  const { migrated, failed, rolledBack } = counts;
  // Never clamped: a figure that does not add up must show, not hide a pending prestamo.
  const pending = total - (migrated + failed + rolledBack - (gone?.gone_queued ?? 0));
  const active = run?.active ?? false;
  const remaining = active && run?.retry ? pending + failed + rolledBack : pending;
  const span = Math.min(RATE_WINDOW_SECONDS, Math.max(1, rate?.span ?? RATE_WINDOW_SECONDS));
  const pps = active ? (rate?.p ?? 0) / span : 0;
  const gps = active ? (rate?.g ?? 0) / span : 0;
  return {
    state: run ? run.status : "idle",
    phase: active ? (resync.owed ? "resync" : "copy") : null,
    run,
    totals: {
      total,
      migrated,
      failed,
      rolledBack,
      pending,
      remaining,
      percent: total ? Math.round(((total - remaining) / total) * 10000) / 100 : 100,
      exact: legacy.exact,
    },
    rate: { prestamosPerSecond: Math.round(pps * 10) / 10, pagosPerSecond: Math.round(gps * 10) / 10, windowSeconds: RATE_WINDOW_SECONDS },
    etaSeconds: active && pps > 0 ? Math.ceil(remaining / pps) : null,
    capture: { enabled, backlog: backlog.entries, oldestAgeSeconds: backlog.oldestAgeSeconds, resync },
    lastError: run?.lastError ? { message: run.lastError, at: run.lastErrorAt } : null,
    stop: run && !run.active ? { reason: run.stopReason, detail: run.stopDetail, requestedBy: run.stopRequestedBy } : null,
    countsCheck,
    throttle,
    checkedAt: new Date().toISOString(),
  };
}
