/** What the bench and the cut-over bench set up the same way: their database and its legacy data. */
import { sql } from "drizzle-orm";
import postgres from "postgres";
import type { DbHandle, Exec } from "@/db/client";
import type { Actor } from "@/lib/audit";
import { createTestData } from "@/lib/migration/test-data";
import { TEST_DATA_MAX_COUNT } from "@/lib/migration/test-data-plan";
import { independentCompare } from "@/lib/testing/independent";

/** A PostgreSQL database of `name` on the server of `adminUrl`, dropped first if it exists. */
export async function freshPgDatabase(adminUrl: string, name: string): Promise<{ url: string; drop(): Promise<void>; end(): Promise<void> }> {
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await admin.unsafe(`CREATE DATABASE "${name}"`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () => admin.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`).then(() => undefined),
    end: () => admin.end(),
  };
}

/**
 * The generated legacy tables, with the time the generator took: sets of at most the generator's
 * limit (1,000,000), seeds 7, 8, …, so a scale up to the limit is the same data as ever.
 */
export async function generateBenchData(h: DbHandle, opts: { scale: number; dirtyPct: number }, actor: Actor) {
  const t0 = performance.now();
  const data = { prestamos: 0, pagos: 0, orphans: 0 };
  for (let done = 0, seed = 7; done < opts.scale; seed++) {
    const count = Math.min(TEST_DATA_MAX_COUNT, opts.scale - done);
    const set = await createTestData(h.db, { count, dirtyPct: opts.dirtyPct, seed }, actor);
    data.prestamos += set.prestamos;
    data.pagos += set.pagos;
    data.orphans += set.orphans;
    done += count;
  }
  const generateMs = performance.now() - t0;
  // The bench's data is not "test data" to remove later. A truncate: a delete left every row dead
  // (5.5 GB at 10M, with this machine's autovacuum off) for the Test data page to walk.
  await h.db.execute(sql`truncate test_data_rows`);
  // A lived-in legacy table has been vacuumed: visibility map set, hint bits written. A freshly
  // generated one has neither, and whichever phase read it first would pay for writing them.
  await h.db.execute(sql`vacuum analyze prestamos, pagos_prestamo`);
  return { data, generateMs };
}

export const secs = (ms: number) => Math.round(ms) / 1000;

export const percentile = (xs: number[], p: number) => {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] * 10) / 10;
};

/**
 * Statements over whole tables, in one transaction: at 10M they outlast the console's 5-minute
 * statement limit, which is there for the engine's sessions, not for these.
 */
export function wholeTableStatements(h: DbHandle, fn: (tx: Exec) => Promise<void>) {
  return h.db.transaction(async (tx) => {
    await tx.execute(sql`set local statement_timeout = 0`);
    await tx.execute(sql`set local jit = off`);
    await fn(tx);
  });
}

/**
 * The write floor, in ms: the rows a run writes (the prestamos of `bench_valid` and their pagos)
 * with trivial values, into the same tables, keys and FK. Expects the new tables empty.
 */
export async function writeFloor(h: DbHandle): Promise<number> {
  const t0 = performance.now();
  await wholeTableStatements(h, async (tx) => {
    await tx.execute(sql`insert into prestamos_new (legacy_id, cliente_nombre, monto_cents, tasa_anual, plazo_meses, fecha_otorgamiento, fecha_vencimiento, estado, moneda, total_pagado_cents, pagos_count, saldo_cents, legacy_updated_at)
                         select legacy_id, 'x', 1, 0, 1, date '2024-01-01', date '2024-02-01', 'activo', 'PEN', 0, 0, 1, timestamp '2024-01-01' from bench_valid order by legacy_id`);
    await tx.execute(sql`insert into pagos_prestamo_new (legacy_id, prestamo_id, monto_cents, fecha_pago, metodo, anulado)
                         select g.id, n.id, 1, date '2024-01-01', 'otro', false from pagos_prestamo g join prestamos_new n on n.legacy_id = g.prestamo_id order by g.id`);
  });
  return performance.now() - t0;
}

/** Empties what a run fills, so the next run starts from the legacy tables alone. */
export async function emptyNewTables(h: DbHandle) {
  await h.db.execute(sql`truncate pagos_prestamo_new, prestamos_new, migration_state, migration_failures, migration_batches, capture_changes`);
}

/** A figure is worth nothing if the result is wrong: every check that fails is listed, and the bench exits 1. */
export interface BenchChecks {
  problems: string[];
  check(ok: boolean, what: string): void;
  /** The run's tables against the independent expectation (lib/testing/independent.ts): not the engine's own check. */
  checkIndependently(db: DbHandle["db"], when: string): Promise<void>;
}

export function benchChecks(): BenchChecks {
  const problems: string[] = [];
  const check = (ok: boolean, what: string) => {
    if (!ok) problems.push(what);
  };
  return {
    problems,
    check,
    async checkIndependently(db, when) {
      const r = await independentCompare(db, "all");
      const wrong = {
        columnDiffs: r.columnDiffs.length,
        pagoDiffs: r.pagoDiffs.length,
        missing: r.missing.length,
        unexpected: r.unexpected.length,
        duplicates: r.duplicates,
      };
      check(
        Object.values(wrong).every((n) => n === 0),
        `independent comparison ${when}: ${JSON.stringify(wrong)}`,
      );
    },
  };
}
