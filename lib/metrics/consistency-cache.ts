/**
 * The last computed consistency summary of this process. The full §5 check walks every
 * migrated prestamo, so a Prometheus scrape never runs it inline: it reads this cache, and when
 * the cache is older than its TTL it starts ONE refresh in the background (waiting a little for it,
 * so a small database answers fresh on the first scrape). The worker records the summary it
 * computes after a run ends.
 */
import type { Db } from "@/db/client";
import { getConsistencySummary, type ConsistencySummary } from "@/lib/migration/consistency";

export const CONSISTENCY_TTL_MS = 5 * 60_000;

interface CacheState {
  summary: ConsistencySummary | null;
  /** Date.now() when `summary` was recorded. */
  at: number;
  refreshing: Promise<ConsistencySummary | null> | null;
}

// lib/testing/metrics.ts clears this key between tests.
const g = globalThis as unknown as { __prestamosConsistencyCache?: CacheState };
const state = (): CacheState => (g.__prestamosConsistencyCache ??= { summary: null, at: 0, refreshing: null });

export function recordConsistencySummary(summary: ConsistencySummary): void {
  const s = state();
  s.summary = summary;
  s.at = Date.now();
}

export function peekConsistencySummary(): { summary: ConsistencySummary; ageMs: number } | null {
  const s = state();
  return s.summary ? { summary: s.summary, ageMs: Date.now() - s.at } : null;
}

function refresh(db: Db): Promise<ConsistencySummary | null> {
  const s = state();
  s.refreshing ??= getConsistencySummary(db)
    .then((summary) => {
      recordConsistencySummary(summary);
      return summary;
    })
    .catch(() => null)
    .finally(() => {
      s.refreshing = null;
    });
  return s.refreshing;
}

/**
 * The cached summary; refreshed in the background when older than `ttlMs`, waiting at most
 * `waitMs` for that refresh. Null when none was ever computed and the refresh did not finish in time.
 */
export async function cachedConsistency(
  db: Db,
  opts: { ttlMs?: number; waitMs?: number } = {},
): Promise<{ summary: ConsistencySummary; ageMs: number } | null> {
  const ttl = opts.ttlMs ?? CONSISTENCY_TTL_MS;
  const current = peekConsistencySummary();
  if (!current || current.ageMs > ttl) {
    const pending = refresh(db);
    const waitMs = opts.waitMs ?? 1500;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([pending, new Promise((r) => (timer = setTimeout(r, waitMs)))]);
    clearTimeout(timer);
  }
  return peekConsistencySummary();
}
