/**
 * The two set-based writes every migration path goes through. Both run inside a transaction the
 * caller opened, after `lockWriters`:
 *  - runs take the writers' lock SHARED (parallel batches never overlap: disjoint key ranges);
 *  - syncs, single, rollbacks take it EXCLUSIVE.
 * So a batch never works from a snapshot older than a sync that already wrote the same prestamo
 * (and the reverse): each statement's snapshot is taken after the lock is granted.
 */
import { sql, type SQL } from "drizzle-orm";
import type { Exec as Tx } from "@/db/client";
import { queryOne } from "@/db/sql";
import { AppError } from "@/lib/errors";
import { countsSelect, expectedCtes, writeCtes } from "./sql-builder";

// An arbitrary constant: the advisory lock key of the console's writers to the new tables.
export const WRITERS_LOCK_KEY = 727_365_001;

export async function lockWriters(tx: Tx, mode: "shared" | "exclusive"): Promise<void> {
  await tx.execute(mode === "shared" ? sql`select pg_advisory_xact_lock_shared(${WRITERS_LOCK_KEY})` : sql`select pg_advisory_xact_lock(${WRITERS_LOCK_KEY})`);
}

/** How long a drain tries for the writers' lock before it gives up (the worker tries again later). */
const DRAIN_LOCK_BUDGET_MS = 5_000;

/**
 * The writers' lock EXCLUSIVE without ever waiting in the lock queue: tried, then tried again
 * after pauses (20 ms doubling to 500 ms) for at most `budgetMs`. A waiting exclusive request
 * would queue every later batch behind it, so a batch transaction frozen while holding the lock
 * SHARED would stall the whole run; tried like this, batches go on and the drain comes back.
 */
export async function lockWritersExclusiveBounded(tx: Tx, budgetMs = DRAIN_LOCK_BUDGET_MS): Promise<void> {
  const deadline = Date.now() + budgetMs;
  for (let pause = 20; ; pause = Math.min(500, pause * 2)) {
    const row = await queryOne<{ ok: boolean }>(tx, sql`select pg_try_advisory_xact_lock(${WRITERS_LOCK_KEY}) as ok`);
    if (row?.ok) return;
    if (Date.now() + pause > deadline) {
      throw new AppError(
        "UNAVAILABLE",
        `Another session of the console has held the writers' lock for ${budgetMs / 1000} s (a batch in flight, or a frozen one until the server ends it): the change backlog is synced on the next try.`,
        { retryAfterSeconds: 5 },
        { "Retry-After": "5" },
      );
    }
    await new Promise((r) => setTimeout(r, pause));
  }
}

export interface WriteCounts {
  candidates: number;
  migrated: number;
  failed: number;
  pagos: number;
  failureRows: number;
}

/** Postgres int[] literal from validated integers (driver-agnostic array binding). */
export function intArrayLiteral(ids: readonly number[]): string {
  for (const id of ids) if (!Number.isInteger(id)) throw new AppError("INTERNAL", "non-integer id");
  return `{${ids.join(",")}}`;
}

const EXPECTED = sql.raw(expectedCtes());
const EXPECTED_RANGE = sql.raw(expectedCtes({ contiguous: true }));
const COUNTS = sql.raw(countsSelect({ rewrite: false }));
const REWRITE_COUNTS = sql.raw(countsSelect({ rewrite: true }));

function toCounts(row: Record<string, unknown> | undefined): WriteCounts {
  return {
    candidates: Number(row?.candidates ?? 0),
    migrated: Number(row?.migrated ?? 0),
    failed: Number(row?.failed ?? 0),
    pagos: Number(row?.pagos ?? 0),
    failureRows: Number(row?.failure_rows ?? 0),
  };
}

/**
 * One batch of a run: the next `limit` legacy prestamos after `after` (and up to `upTo`) in id
 * order (keyset), of which it takes the pending ones (and failed / rolled back with `retry`).
 * Insert-only.
 */
export async function migrateWindow(
  tx: Tx,
  opts: { after: number; limit: number; upTo?: number; runId: number; retry: boolean },
): Promise<WriteCounts & { windowSize: number; lastId: number | null }> {
  const upTo = opts.upTo ?? 2147483647;
  // Every join of a window is a hash join over index ranges of the window's ids: cost linear in
  // the window, whatever the size of the tables. The state lookup names the range itself, so it
  // never reads all of migration_state (which grows to the whole table during a run). Nested
  // loops are off for this statement: PostgreSQL 17 (PGlite) planned the pagos' aggregates as a
  // nested loop over a rescanned hash aggregate on row estimates of 1 (measured 13× slower).
  const q: SQL = sql`WITH
  win AS MATERIALIZED (
    SELECT l.* FROM prestamos l WHERE l.id > ${opts.after}::bigint AND l.id <= ${upTo}::bigint ORDER BY l.id LIMIT ${opts.limit}
  ),
  cand AS MATERIALIZED (
    SELECT w.* FROM win w
    LEFT JOIN (SELECT * FROM migration_state WHERE legacy_id > ${opts.after}::bigint AND legacy_id <= ${upTo}::bigint) s ON s.legacy_id = w.id
    WHERE s.legacy_id IS NULL OR (${opts.retry}::boolean AND s.state IN ('failed', 'rolled_back'))
  ),${EXPECTED_RANGE}${writeCtes({ rewrite: false, runId: opts.runId })}
  SELECT ${COUNTS}, (SELECT count(*) FROM win)::int AS window_size, (SELECT max(id) FROM win) AS last_id`;
  await tx.execute(sql`set local enable_nestloop = off`);
  const row = await queryOne(tx, q);
  await tx.execute(sql`set local enable_nestloop = default`);
  return { ...toCounts(row), windowSize: Number(row?.window_size ?? 0), lastId: row?.last_id == null ? null : Number(row.last_id) };
}

/**
 * Rewrites the given prestamos from their legacy rows as they are now: valid → written with
 * all their pagos (migrated); failing → removed from the new tables and marked failed with
 * every failing rule; gone from legacy → removed with their state and failures.
 * `take` says which states are re-evaluated: "all" (single), or "tracked" (change capture:
 * migrated and failed, plus pending ones when `followPending`). Rolled back ones only with "all",
 * or when gone from legacy (their state row is removed).
 */
export async function syncPrestamos(
  tx: Tx,
  ids: readonly number[],
  opts: { take: "all" | "tracked"; followPending?: boolean; runId?: number | null },
): Promise<WriteCounts & { gone: number }> {
  if (ids.length === 0) return { candidates: 0, migrated: 0, failed: 0, pagos: 0, failureRows: 0, gone: 0 };
  const takeAll = opts.take === "all";
  // A pago that moved between loans is under one of them in legacy and under the other in the
  // new tables: both are rewritten in this statement, so no commit leaves a loan's totals counting
  // a pago now under another. Read with this statement's snapshot, a move committed after the
  // queue entries were taken is seen whole, on both sides. One hop: a chain of moves racing the
  // same batch (a pago into the linked loan from a third) leaves that third loan to its own entry.
  // The lookups by key are LATERAL … LIMIT 1 (both keys are unique): misestimating these unions,
  // the planner hashed the whole of migration_state and prestamos_new on every sync, a cost that
  // grew with the tables instead of with the changes.
  const q: SQL = sql`WITH
  asked AS (SELECT DISTINCT unnest(${intArrayLiteral(ids)}::int[]) AS id),
  ids AS (
    SELECT id FROM asked
    UNION
    SELECT p.legacy_id FROM pagos_prestamo lg
      JOIN pagos_prestamo_new g ON g.legacy_id = lg.id
      CROSS JOIN LATERAL (SELECT p.legacy_id FROM prestamos_new p WHERE p.id = g.prestamo_id LIMIT 1) p
    WHERE lg.prestamo_id IN (SELECT id FROM asked) AND p.legacy_id <> lg.prestamo_id
    UNION
    SELECT lg.prestamo_id FROM prestamos_new p
      JOIN pagos_prestamo_new g ON g.prestamo_id = p.id JOIN pagos_prestamo lg ON lg.id = g.legacy_id
    WHERE p.legacy_id IN (SELECT id FROM asked) AND lg.prestamo_id <> p.legacy_id
  ),
  take AS MATERIALIZED (
    SELECT ids.id FROM ids LEFT JOIN LATERAL (SELECT s.state FROM migration_state s WHERE s.legacy_id = ids.id LIMIT 1) s ON true
    WHERE ${takeAll}::boolean OR s.state IN ('migrated', 'failed') OR (s.state IS NULL AND ${opts.followPending ?? false}::boolean)
      -- a rolled back prestamo is not followed, but once deleted from legacy its state goes too
      OR (s.state = 'rolled_back' AND NOT EXISTS (SELECT 1 FROM prestamos l WHERE l.id = ids.id))
  ),
  cand AS MATERIALIZED (SELECT l.* FROM prestamos l WHERE l.id IN (SELECT id FROM take)),
  gone AS (SELECT id FROM take WHERE id NOT IN (SELECT id FROM cand)),${EXPECTED}${writeCtes({ rewrite: true, runId: opts.runId ?? null })}
  SELECT ${REWRITE_COUNTS}, (SELECT count(*) FROM gone)::int AS gone`;
  const row = await queryOne(tx, q);
  return { ...toCounts(row), gone: Number(row?.gone ?? 0) };
}
