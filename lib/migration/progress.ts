/** Progress of the migration (MIGRATION-SPEC §6 GET /progress): one cheap read for polling. */
import { sql } from "drizzle-orm";
import type { Db } from "@/db/client";
import { queryOne } from "@/db/sql";
import { captureBacklog, isCaptureInstalled } from "./capture";
import { getKeptLegacyCounts } from "./legacy-row-counts";
import { getLatestRun, type RunDTO } from "./runs";
import { getStateCounts } from "./state-counts";

export const RATE_WINDOW_SECONDS = 30;

export interface ProgressDTO {
  state: "idle" | RunDTO["status"];
  run: RunDTO | null;
  /** `exact`: false when the legacy total is the planner's estimate (its counting triggers are missing). */
  totals: { total: number; migrated: number; failed: number; rolledBack: number; pending: number; remaining: number; percent: number; exact: boolean };
  rate: { prestamosPerSecond: number; pagosPerSecond: number; windowSeconds: number };
  etaSeconds: number | null;
  capture: { enabled: boolean; backlog: number; oldestAgeSeconds: number | null };
  lastError: { message: string; at: string | null } | null;
  stop: { reason: string | null; detail: string | null; requestedBy: string | null } | null;
  checkedAt: string;
}

export async function getProgress(db: Db): Promise<ProgressDTO> {
  const [run, legacy, counts, rate, enabled, backlog] = await Promise.all([
    getLatestRun(db),
    getKeptLegacyCounts(db),
    getStateCounts(db),
    queryOne<{ p: number; g: number; span: number | null }>(
      db,
      sql`select coalesce(sum(prestamos), 0)::int as p, coalesce(sum(pagos), 0)::int as g,
                 extract(epoch from now() - min(started_at))::float8 as span
          from migration_batches where kind = 'run' and finished_at > now() - make_interval(secs => ${RATE_WINDOW_SECONDS})`,
    ),
    isCaptureInstalled(db),
    captureBacklog(db),
  ]);
  const total = legacy.prestamos;
  const { migrated, failed, rolledBack } = counts;
  // Prestamos deleted from legacy lose their state row (capture), so this never goes negative
  // for long; clamp against the moment between a delete and its sync.
  const pending = Math.max(0, total - migrated - failed - rolledBack);
  const active = run?.active ?? false;
  const remaining = active && run?.retry ? pending + failed + rolledBack : pending;
  const span = Math.min(RATE_WINDOW_SECONDS, Math.max(1, rate?.span ?? RATE_WINDOW_SECONDS));
  const pps = active ? (rate?.p ?? 0) / span : 0;
  const gps = active ? (rate?.g ?? 0) / span : 0;
  return {
    state: run ? run.status : "idle",
    run,
    totals: { total, migrated, failed, rolledBack, pending, remaining, percent: total ? Math.round(((total - remaining) / total) * 10000) / 100 : 100, exact: legacy.exact },
    rate: { prestamosPerSecond: Math.round(pps * 10) / 10, pagosPerSecond: Math.round(gps * 10) / 10, windowSeconds: RATE_WINDOW_SECONDS },
    etaSeconds: active && pps > 0 ? Math.ceil(remaining / pps) : null,
    capture: { enabled, backlog: backlog.entries, oldestAgeSeconds: backlog.oldestAgeSeconds },
    lastError: run?.lastError ? { message: run.lastError, at: run.lastErrorAt } : null,
    stop: run && !run.active ? { reason: run.stopReason, detail: run.stopDetail, requestedBy: run.stopRequestedBy } : null,
    checkedAt: new Date().toISOString(),
  };
}
