/**
 * The expensive reads as the API and the pages answer them: the latest result of a background job
 * with its age and whether a fresher one is running (asked for with `fresh`), never the full walk
 * inside the request. Pages call these too, so a page load costs what an API call costs.
 */
import type { Db } from "@/db/client";
import type { MismatchCategory } from "@/lib/migration/vocabulary";
import type { ConsistencySummary } from "@/lib/migration/consistency";
import { listMismatches, type MismatchPage } from "@/lib/migration/mismatches";
import { freshnessOf, getJobStatus, requestJob, type Freshness, type JobKind } from "@/lib/migration/jobs";
import { getKeptLegacyCounts } from "@/lib/migration/legacy-row-counts";
import type { LegacyCounts } from "@/lib/migration/legacy-counts";
import type { VerifyReport } from "@/lib/migration/verify";
import { heavyRead } from "./heavy-reads";

async function latest<R>(db: Db, kind: JobKind, fresh: { by: string } | null): Promise<{ result: R | null; freshness: Freshness }> {
  if (fresh) await requestJob(db, kind, fresh.by);
  const status = await getJobStatus<R>(db, kind);
  return { result: status.latest?.result ?? null, freshness: freshnessOf(status) };
}

export interface ConsistencyResponse {
  /** The §5 summary of the latest background check; null until one finished. */
  summary: ConsistencySummary | null;
  freshness: Freshness;
  mismatches: MismatchPage;
}

export async function readConsistency(
  db: Db,
  q: { category?: MismatchCategory; page: number; limit: number; fresh: { by: string } | null },
): Promise<ConsistencyResponse> {
  // The page of mismatches is read now (it stops once the page is full), under the cap: a rare
  // category or a deep page may walk far. A refusal changes nothing, not even the queue.
  return heavyRead(async () => {
    const { result, freshness } = await latest<ConsistencySummary>(db, "consistency", q.fresh);
    const mismatches = await listMismatches(db, { category: q.category, page: q.page, limit: q.limit });
    return { summary: result, freshness, mismatches };
  });
}

export async function readVerify(db: Db, fresh: { by: string } | null): Promise<{ report: VerifyReport | null; freshness: Freshness }> {
  const { result, freshness } = await latest<VerifyReport>(db, "verify", fresh);
  return { report: result, freshness };
}

export interface LegacyOverview {
  /** Rows now, from the kept counts (`exact`) or the planner's estimate. */
  prestamos: number;
  pagos: number;
  exact: boolean;
  /** Orphan pagos from the latest exact recount (a background job); null until one ran. */
  orphans: Pick<LegacyCounts, "orphanPagos" | "orphanPagosNull" | "orphanPagosDangling"> | null;
  freshness: Freshness;
  readAt: string;
}

export async function readLegacyOverview(db: Db, fresh: { by: string } | null): Promise<LegacyOverview> {
  const [{ result, freshness }, kept] = await Promise.all([latest<LegacyCounts>(db, "legacy_recount", fresh), getKeptLegacyCounts(db)]);
  return {
    prestamos: kept.prestamos,
    pagos: kept.pagos,
    exact: kept.exact,
    orphans: result ? { orphanPagos: result.orphanPagos, orphanPagosNull: result.orphanPagosNull, orphanPagosDangling: result.orphanPagosDangling } : null,
    freshness,
    readAt: new Date().toISOString(),
  };
}
