/**
 * The test-data generator (MIGRATION-SPEC §6 POST /prestamos/test/create-data, DELETE
 * /prestamos/test/data, §7 "test data is tracked, so that removing it removes nothing else").
 *
 * The SQL of a set is test-data-plan.ts: never a JS loop over rows, the same seed gives the same
 * values (ids come from the tables' sequences). Every created row is tracked in test_data_rows in
 * the same statement that inserts it (data-modifying CTEs over `INSERT … RETURNING id`). Whether
 * a row passes is never decided here: tests run the rules' own `transformPrestamo` over the rows
 * as read back (lib/testing/test-data.ts).
 */
import { sql, type SQL } from "drizzle-orm";
import type { Db, Exec as Executor } from "@/db/client";
import { testDataSets } from "@/db/schema";
import { isoTime, queryOne, queryRows } from "@/db/sql";
import { systemActor, writeAudit, type Actor } from "@/lib/audit";
import { AppError } from "@/lib/errors";
import { FAILURE_CODES, type FailureCode } from "./rules";
import { checkParams, CHUNK, chunkSql, orphanSql, orphanTarget, type CreateTestDataOptions, type Sequences } from "./test-data-plan";
import { intArrayLiteral, lockWriters } from "./write";

/* ── DTOs ──────────────────────────────────────────────────────────────────────────── */

export type BrokenCounts = Record<FailureCode, number>;

export interface TestDataSummary {
  prestamos: number;
  /** Pagos of the set's prestamos (orphans not included). */
  pagos: number;
  voidedPagos: number;
  orphans: { total: number; nullPrestamo: number; dangling: number };
  /** Prestamos broken on purpose (exactly round(count × dirtyPct / 100)). */
  brokenPrestamos: number;
  /** Per failure code: how many prestamos were designed to fail with it (a prestamo may have two). */
  broken: BrokenCounts;
  tookMs: number;
}

export interface TestDataSetDto {
  id: number;
  seed: number;
  count: number;
  dirtyPct: number;
  createdBy: string;
  createdAt: string | null;
  summary: TestDataSummary | null;
}

export interface CreatedTestData {
  set: TestDataSetDto;
  prestamos: number;
  pagos: number;
  orphans: number;
  brokenPrestamos: number;
  broken: BrokenCounts;
  tookMs: number;
}

export const zeroCounts = (): BrokenCounts => Object.fromEntries(FAILURE_CODES.map((c) => [c, 0])) as BrokenCounts;

async function serialSequences(tx: Executor): Promise<Sequences> {
  const row = await queryOne<{ p: string | null; g: string | null }>(
    tx,
    sql`select pg_get_serial_sequence('prestamos', 'id')::regclass::oid::text as p, pg_get_serial_sequence('pagos_prestamo', 'id')::regclass::oid::text as g`,
  );
  if (!row?.p || !row?.g) throw new AppError("INTERNAL", "The legacy tables have no serial id sequence");
  return { prestamos: Number(row.p), pagos: Number(row.g) };
}

/* ── createTestData ────────────────────────────────────────────────────────────────── */

/**
 * Creates `count` legacy test prestamos (0..12 pagos each), dirtyPct % broken on purpose across
 * every failure code, and some orphan pagos; all tracked; audited (`testdata.create`) in the same
 * transaction. Deterministic for a seed.
 */
export async function createTestData(db: Db, opts: CreateTestDataOptions, actor: Actor): Promise<CreatedTestData> {
  const p = checkParams(opts);
  const started = performance.now();
  return db.transaction(async (tx) => {
    // JIT would compile these large generated expressions for seconds per statement (PostgreSQL
    // decides by estimated cost); plain interpretation runs them in milliseconds.
    await tx.execute(sql`set local jit = off`);
    const [set] = await tx.insert(testDataSets).values({ seed: p.seed, count: p.count, dirtyPct: p.dirtyPct, createdBy: actor.name }).returning();
    const seqs = await serialSequences(tx);
    const broken = zeroCounts();
    let prestamos = 0;
    let pagos = 0;
    let voided = 0;
    let brokenPrestamos = 0;
    for (let from = 1; from <= p.count; from += CHUNK) {
      const to = Math.min(p.count, from + CHUNK - 1);
      const row = await queryOne<Record<string, unknown>>(tx, chunkSql(p, set.id, from, to, seqs));
      const n = (k: string) => Number(row?.[k] ?? 0);
      if (n("tracked") !== n("prestamos") + n("pagos")) throw new AppError("INTERNAL", "test data tracking mismatch");
      prestamos += n("prestamos");
      pagos += n("pagos");
      voided += n("voided");
      brokenPrestamos += n("broken");
      for (const c of FAILURE_CODES) broken[c] += n(c);
    }
    const o = await queryOne<Record<string, unknown>>(tx, orphanSql(p.seed, set.id, orphanTarget(p.count), seqs.pagos));
    const orphans = {
      total: Number(o?.total ?? 0),
      nullPrestamo: Number(o?.null_prestamo ?? 0),
      dangling: Number(o?.total ?? 0) - Number(o?.null_prestamo ?? 0),
    };
    const tookMs = Math.round(performance.now() - started);
    const summary: TestDataSummary = { prestamos, pagos, voidedPagos: voided, orphans, brokenPrestamos, broken, tookMs };
    await tx.execute(sql`update test_data_sets set summary = ${JSON.stringify(summary)}::jsonb where id = ${set.id}`);
    await writeAudit(tx, actor, {
      action: "testdata.create",
      target: `test_data_set:${set.id}`,
      outcome: "ok",
      status: 201,
      details: { seed: p.seed, count: p.count, dirtyPct: p.dirtyPct, prestamos, pagos, orphans: orphans.total, brokenPrestamos, broken },
    });
    return {
      set: { id: set.id, seed: set.seed, count: set.count, dirtyPct: set.dirtyPct, createdBy: set.createdBy, createdAt: set.createdAt.toISOString(), summary },
      prestamos,
      pagos,
      orphans: orphans.total,
      brokenPrestamos,
      broken,
      tookMs,
    };
  });
}

/* ── deleteTestData ────────────────────────────────────────────────────────────────── */

export interface DeletedTestData {
  sets: number[];
  prestamos: number;
  pagos: number;
  newPrestamos: number;
  newPagos: number;
  states: number;
  failures: number;
  trackingRows: number;
}

/**
 * Removes exactly the rows the generator created (by their tracked ids only): their new rows,
 * migration_state and migration_failures, then the legacy pagos, then the legacy prestamos, then
 * the tracking. One transaction with its audit row, under the writers' lock (never interleaves
 * with a sync). Idempotent: with nothing tracked it removes nothing (and is still audited).
 */
export async function deleteTestData(db: Db, actor: Actor): Promise<DeletedTestData> {
  return db.transaction(async (tx) => {
    await lockWriters(tx, "exclusive");
    // The sets committed now; a set being created concurrently is not visible and is left alone.
    const setRows = await queryRows<{ id: number }>(tx, sql`select id from test_data_sets order by id for update`);
    const sets = setRows.map((r) => Number(r.id));
    const ids = sql`${intArrayLiteral(sets)}::int[]`;
    const tracked = (kind: "prestamo" | "pago") => sql`select legacy_id from test_data_rows where kind = ${kind} and set_id = any(${ids})`;
    const count = async (q: SQL) => Number((await queryOne<{ n: number }>(tx, sql`with d as (${q} returning 1) select count(*)::int as n from d`))?.n ?? 0);

    const newPagos = await count(sql`delete from pagos_prestamo_new where legacy_id in (${tracked("pago")})`);
    const newPrestamos = await count(sql`delete from prestamos_new where legacy_id in (${tracked("prestamo")})`);
    const failures = await count(sql`delete from migration_failures where legacy_id in (${tracked("prestamo")})`);
    const states = await count(sql`delete from migration_state where legacy_id in (${tracked("prestamo")})`);
    const pagos = await count(sql`delete from pagos_prestamo where id in (${tracked("pago")})`);
    const prestamos = await count(sql`delete from prestamos where id in (${tracked("prestamo")})`);
    const trackingRows = await count(sql`delete from test_data_rows where set_id = any(${ids})`);
    await tx.execute(sql`delete from test_data_sets where id = any(${ids})`);
    const result = { sets, prestamos, pagos, newPrestamos, newPagos, states, failures, trackingRows };
    await writeAudit(tx, actor, { action: "testdata.delete", target: "test_data", outcome: "ok", status: 200, details: result });
    return result;
  });
}

/* ── listTestData ──────────────────────────────────────────────────────────────────── */

export interface TestDataSetListItem extends TestDataSetDto {
  /** Rows tracked for the set now (the set's own legacy rows; orphans among the pagos). */
  tracked: { prestamos: number; pagos: number };
  /** Tracked prestamos still in the legacy table (the application may delete rows), and of them in prestamos_new. */
  presentPrestamos: number;
  migratedPrestamos: number;
}

export interface TestDataList {
  sets: TestDataSetListItem[];
  totals: { sets: number; prestamos: number; pagos: number; presentPrestamos: number; migratedPrestamos: number };
}

/**
 * The sets, newest first, with their current counts. Three grouped scans rather than one join
 * over every tracked pago: at 1,000,000 prestamos (7,000,000 tracked rows) the pagos are only
 * counted, not looked up again in the legacy table.
 */
export async function listTestData(db: Executor): Promise<TestDataList> {
  const rows = await queryRows<Record<string, unknown>>(
    db,
    sql`with tracked as (
          select set_id, count(*) filter (where kind = 'prestamo') as prestamos, count(*) filter (where kind = 'pago') as pagos
          from test_data_rows group by set_id
        ),
        present as (
          select r.set_id, count(*) as prestamos, count(n.legacy_id) as migrated
          from test_data_rows r join prestamos p on p.id = r.legacy_id
          left join prestamos_new n on n.legacy_id = r.legacy_id
          where r.kind = 'prestamo'
          group by r.set_id
        )
        select s.id, s.seed, s.count, s.dirty_pct, s.created_by, s.created_at, s.summary,
          coalesce(t.prestamos, 0) as prestamos, coalesce(t.pagos, 0) as pagos,
          coalesce(p.prestamos, 0) as present_prestamos, coalesce(p.migrated, 0) as migrated
        from test_data_sets s left join tracked t on t.set_id = s.id left join present p on p.set_id = s.id
        order by s.id desc`,
  );
  const n = (v: unknown) => Number(v ?? 0);
  const sets = rows.map((r): TestDataSetListItem => ({
    id: n(r.id),
    seed: n(r.seed),
    count: n(r.count),
    dirtyPct: n(r.dirty_pct),
    createdBy: String(r.created_by),
    createdAt: isoTime(r.created_at),
    summary: (typeof r.summary === "string" ? JSON.parse(r.summary) : (r.summary ?? null)) as TestDataSummary | null,
    tracked: { prestamos: n(r.prestamos), pagos: n(r.pagos) },
    presentPrestamos: n(r.present_prestamos),
    migratedPrestamos: n(r.migrated),
  }));
  const sum = (f: (s: TestDataSetListItem) => number) => sets.reduce((a, s) => a + f(s), 0);
  return {
    sets,
    totals: {
      sets: sets.length,
      prestamos: sum((s) => s.tracked.prestamos),
      pagos: sum((s) => s.tracked.pagos),
      presentPrestamos: sum((s) => s.presentPrestamos),
      migratedPrestamos: sum((s) => s.migratedPrestamos),
    },
  };
}

/* ── seedDemoData ──────────────────────────────────────────────────────────────────── */

/**
 * 0.8 % broken (24 of 3,000): under the run's default 1 % error threshold, so a first run with the
 * defaults finishes, and still every failure code three times over (broken j gets code j % 8).
 */
export const DEMO_DATA = { count: 3000, dirtyPct: 0.8, seed: 2026 } as const;

/**
 * Start-up in embedded demo mode: when both legacy tables are empty, creates the demo set as
 * actor system. Does nothing when any legacy row exists (idempotent).
 */
export async function seedDemoData(db: Db): Promise<CreatedTestData | null> {
  const row = await queryOne<{ any: boolean }>(db, sql`select exists (select 1 from prestamos) or exists (select 1 from pagos_prestamo) as any`);
  if (row?.any) return null;
  return createTestData(db, DEMO_DATA, systemActor());
}
