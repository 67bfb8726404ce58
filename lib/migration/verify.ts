/**
 * GET /verify (MIGRATION-SPEC §6): the system state before and after, and the dry run — the rules
 * (`expectedCtes()`) over every legacy prestamo in keyset chunks, counting only, writing nothing.
 */
import { sql } from "drizzle-orm";
import type { Db, Driver, Exec } from "@/db/client";
import { BEFORE_ANY_LEGACY_ID } from "@/db/schema";
import { isoTime, queryOne } from "@/db/sql";
import { FAILURE_CODES, type FailureCode } from "./rules";
import { readCaptureTriggers } from "./capture";
import { expectedCtes } from "./sql-builder";
import { getLegacyCounts } from "./legacy-counts";
import { getKeptLegacyCounts } from "./legacy-row-counts";

/** The change-capture triggers capture.ts installs, keyed by the table each one is on. */

export const DRY_RUN_CHUNK = 5_000; // see CONSISTENCY_CHUNK: larger chunks get quadratic plans

export interface DryRun {
  checked: number;
  valid: number;
  /** Distinct prestamos failing at least one rule. */
  invalid: number;
  /** Prestamos failing each code (a prestamo with two codes counts under each); every code present. */
  byCode: Record<FailureCode, number>;
  /** Failing rules in all (one prestamo may fail several; INVALID_PAGO once per failing pago field). */
  failingRules: number;
  /** Legacy pagos of existing prestamos (the pagos a full migration would write, valid or not). */
  pagosOfPrestamos: number;
  /** Pagos of the valid prestamos: what the new table would hold after a full migration. */
  pagosOfValid: number;
  chunks: number;
  durationMs: number;
}

export interface VerifyReport {
  checkedAt: string;
  durationMs: number;
  legacy: { prestamos: number; pagos: number; orphanPagos: number; orphanPagosNull: number; orphanPagosDangling: number };
  dryRun: DryRun;
  newTables: { prestamos: number; pagos: number };
  /** migration_state by state; pending = legacy prestamos without a state row. */
  states: { pending: number; migrated: number; failed: number; rolledBack: number };
  capture: {
    /** Both triggers present on the legacy tables. */
    enabled: boolean;
    triggers: { table: string; name: string; present: boolean; enabled: boolean }[];
    backlog: number;
    oldestCapturedAt: string | null;
    oldestAgeSeconds: number | null;
  };
  activeRun: {
    id: number;
    status: string;
    startedBy: string;
    startedAt: string | null;
    checkpoint: number;
    processed: number;
    migrated: number;
    failed: number;
    pagos: number;
    batchSize: number;
    errorThresholdPct: number;
    retry: boolean;
  } | null;
  database: { version: string; driver: Driver };
}

// Each chunk is an id range: its pagos come from one index range scan.
const EXPECTED = expectedCtes({ contiguous: true });

/** The dry run: every legacy prestamo through the rules, CHUNK at a time by id (memory flat). */
export async function dryRun(db: Exec, opts: { chunkSize?: number; onChunk?: (checked: number) => void } = {}): Promise<DryRun> {
  const started = performance.now();
  const size = opts.chunkSize ?? DRY_RUN_CHUNK;
  const byCode = Object.fromEntries(FAILURE_CODES.map((c) => [c, 0])) as Record<FailureCode, number>;
  const out = { checked: 0, valid: 0, invalid: 0, failingRules: 0, pagosOfPrestamos: 0, pagosOfValid: 0, chunks: 0 };
  for (let after = BEFORE_ANY_LEGACY_ID; ;) {
    const r = await queryOne<Record<string, unknown>>(
      db,
      sql`WITH cand AS MATERIALIZED (SELECT l.* FROM prestamos l WHERE l.id > ${after}::bigint ORDER BY l.id LIMIT ${size}),${sql.raw(EXPECTED)},
      bad AS (SELECT DISTINCT legacy_id FROM fail)
      SELECT (SELECT count(*) FROM cand)::int AS n, (SELECT max(id) FROM cand) AS last_id,
        (SELECT count(*) FROM bad)::int AS invalid,
        (SELECT count(*) FROM fail)::int AS rules,
        (SELECT count(*) FROM pg)::int AS pagos,
        (SELECT count(*) FROM pg WHERE pg.prestamo_id NOT IN (SELECT legacy_id FROM bad))::int AS pagos_valid,
        (SELECT coalesce(json_object_agg(code, n), '{}'::json)::text FROM (
           SELECT code, count(DISTINCT legacy_id) AS n FROM fail GROUP BY code) x) AS by_code`,
    );
    const n = Number(r?.n ?? 0);
    if (n === 0) break;
    out.chunks++;
    out.checked += n;
    out.invalid += Number(r?.invalid ?? 0);
    out.failingRules += Number(r?.rules ?? 0);
    out.pagosOfPrestamos += Number(r?.pagos ?? 0);
    out.pagosOfValid += Number(r?.pagos_valid ?? 0);
    for (const [code, k] of Object.entries(JSON.parse(String(r?.by_code ?? "{}")) as Record<string, number>)) {
      byCode[code as FailureCode] = (byCode[code as FailureCode] ?? 0) + Number(k);
    }
    after = Number(r?.last_id);
    opts.onChunk?.(out.checked);
    if (n < size) break;
  }
  return { ...out, valid: out.checked - out.invalid, byCode, durationMs: Math.round(performance.now() - started) };
}

function driverFromVersion(version: string): Driver {
  return /PGlite|emscripten|wasm32/i.test(version) ? "pglite" : "postgres";
}

/**
 * The verify report. One REPEATABLE READ read-only transaction: every figure is from one snapshot.
 * `driver` may be passed by the caller (it knows its handle); otherwise it is read from version().
 */
export async function getVerifyReport(
  db: Db,
  opts: { driver?: Driver; chunkSize?: number; onProgress?: (checked: number, prestamos: number) => void } = {},
): Promise<VerifyReport> {
  const started = performance.now();
  const checkedAt = new Date().toISOString();
  const { prestamos } = opts.onProgress ? await getKeptLegacyCounts(db) : { prestamos: 0 };
  return db.transaction(
    async (tx) => {
      // JIT compiling the rules statements costs seconds each for nothing (their CTE estimates are huge).
      await tx.execute(sql`SELECT set_config('jit', 'off', true)`);
      await tx.execute(sql`SELECT set_config('enable_nestloop', 'off', true)`); // see consistency.ts readOnlySetup
      const legacy = await getLegacyCounts(tx);
      const dry = await dryRun(tx, { chunkSize: opts.chunkSize, onChunk: opts.onProgress && ((checked) => opts.onProgress!(checked, prestamos)) });
      const counts = await queryOne<Record<string, unknown>>(
        tx,
        sql`SELECT (SELECT count(*) FROM prestamos_new)::int AS new_p,
                   (SELECT count(*) FROM pagos_prestamo_new)::int AS new_g,
                   (SELECT count(*) FROM migration_state WHERE state = 'migrated')::int AS migrated,
                   (SELECT count(*) FROM migration_state WHERE state = 'failed')::int AS failed,
                   (SELECT count(*) FROM migration_state WHERE state = 'rolled_back')::int AS rolled_back,
                   (SELECT count(*) FROM prestamos l WHERE NOT EXISTS (SELECT 1 FROM migration_state s WHERE s.legacy_id = l.id))::int AS pending,
                   (SELECT count(*) FROM capture_changes)::int AS backlog,
                   (SELECT min(captured_at)::text FROM capture_changes) AS oldest,
                   (SELECT extract(epoch FROM now() - min(captured_at))::float8 FROM capture_changes) AS oldest_age,
                   version() AS version`,
      );
      // Enabled means capturing: ours and ENABLE ALWAYS (a trigger of that name that is not ours, or does not fire for every session, is not capture).
      const trig = (await readCaptureTriggers(tx)).map((t) => ({ table: t.table, name: t.name, present: t.present, enabled: t.capturing }));
      const run = await queryOne<Record<string, unknown>>(
        tx,
        sql`SELECT id, status, started_by, started_at::text AS started_at, checkpoint, processed, migrated, failed, pagos,
                   batch_size, error_threshold_pct, retry
            FROM migration_runs WHERE status IN ('running', 'paused') ORDER BY id DESC LIMIT 1`,
      );
      const version = String(counts?.version ?? "");
      const oldestAge = counts?.oldest_age == null ? null : Math.round(Number(counts.oldest_age));
      return {
        checkedAt,
        durationMs: Math.round(performance.now() - started),
        legacy: {
          prestamos: legacy.prestamos,
          pagos: legacy.pagos,
          orphanPagos: legacy.orphanPagos,
          orphanPagosNull: legacy.orphanPagosNull,
          orphanPagosDangling: legacy.orphanPagosDangling,
        },
        dryRun: dry,
        newTables: { prestamos: Number(counts?.new_p ?? 0), pagos: Number(counts?.new_g ?? 0) },
        states: {
          pending: Number(counts?.pending ?? 0),
          migrated: Number(counts?.migrated ?? 0),
          failed: Number(counts?.failed ?? 0),
          rolledBack: Number(counts?.rolled_back ?? 0),
        },
        capture: {
          enabled: trig.every((t) => t.present && t.enabled),
          triggers: trig,
          backlog: Number(counts?.backlog ?? 0),
          oldestCapturedAt: isoTime(counts?.oldest ?? null),
          oldestAgeSeconds: oldestAge,
        },
        activeRun: run
          ? {
              id: Number(run.id),
              status: String(run.status),
              startedBy: String(run.started_by),
              startedAt: isoTime(run.started_at),
              checkpoint: Number(run.checkpoint),
              processed: Number(run.processed),
              migrated: Number(run.migrated),
              failed: Number(run.failed),
              pagos: Number(run.pagos),
              batchSize: Number(run.batch_size),
              errorThresholdPct: Number(run.error_threshold_pct),
              retry: Boolean(run.retry),
            }
          : null,
        database: { version, driver: opts.driver ?? driverFromVersion(version) },
      };
    },
    { isolationLevel: "repeatable read", accessMode: "read only" },
  );
}
