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
  mismatches: SharedMismatchPage;
}

/**
 * A page of mismatches as read: when it was read and, when that walk was long, until when it is
 * served again instead of walking again.
 */
export type SharedMismatchPage = MismatchPage & { readAt: string; reusedUntil: string | null };

/** A walk that took at least this long is served again for twice its duration (cheap pages are always read now). */
export const PAGE_REUSE_MIN_WALK_MS = 250;
const PAGE_REUSE_RATIO = 2;
// However long the walk: a switch or a repair shows within this.
const PAGE_REUSE_MAX_MS = 30_000;

// Per database handle and page (category, page, size): the walk in flight, and a long one's result.
const sharedPages = new WeakMap<Db, Map<string, { walk: Promise<SharedMismatchPage>; reusedUntil: number }>>();

function sharedMismatchPage(db: Db, q: { category?: MismatchCategory; page: number; limit: number; from?: number }): Promise<SharedMismatchPage> {
  const pages = sharedPages.get(db) ?? sharedPages.set(db, new Map()).get(db)!;
  const key = `${q.category ?? ""}:${q.page}:${q.limit}:${q.from ?? ""}`;
  const known = pages.get(key);
  // In flight (reusedUntil is infinite until it ends) or a long walk's result still within its window.
  if (known && known.reusedUntil > Date.now()) return known.walk;
  const started = Date.now();
  for (const [k, e] of pages) if (e.reusedUntil <= started) pages.delete(k);
  // Once it ends, kept only when it was a long walk.
  const entry: { walk: Promise<SharedMismatchPage>; reusedUntil: number } = {
    reusedUntil: Infinity,
    // Under the cap only for the one that walks: a reader who joins costs no connection.
    walk: heavyRead(() => listMismatches(db, q))
      .then((page) => {
        const took = Date.now() - started;
        const reusedUntil = took >= PAGE_REUSE_MIN_WALK_MS ? Date.now() + Math.min(PAGE_REUSE_RATIO * took, PAGE_REUSE_MAX_MS) : null;
        if (reusedUntil) entry.reusedUntil = reusedUntil;
        return { ...page, readAt: new Date(started).toISOString(), reusedUntil: reusedUntil ? new Date(reusedUntil).toISOString() : null };
      })
      .finally(() => {
        if (entry.reusedUntil === Infinity && pages.get(key) === entry) pages.delete(key);
      }),
  };
  pages.set(key, entry);
  return entry.walk;
}

export async function readConsistency(
  db: Db,
  q: { category?: MismatchCategory; page: number; limit: number; from?: number; fresh: { by: string } | null },
): Promise<ConsistencyResponse> {
  // The page of mismatches is read now (it stops once the page is full), under the cap: a rare
  // category or a deep page may walk far. A refusal changes nothing, not even the queue.
  const mismatches = await sharedMismatchPage(db, { category: q.category, page: q.page, limit: q.limit, from: q.from });
  const { result, freshness } = await latest<ConsistencySummary>(db, "consistency", q.fresh);
  return { summary: result, freshness, mismatches };
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
