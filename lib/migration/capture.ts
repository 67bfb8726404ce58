/**
 * Change capture (MIGRATION-SPEC §4): row triggers on both legacy tables append the ids of the
 * prestamos that changed to `capture_changes`; the console syncs them and deletes exactly the
 * entries it synced, in the same transaction. No watermark: an entry committed late (after a
 * drain's snapshot) is still in the table and is taken by the next drain.
 */
import { sql } from "drizzle-orm";
import type { Db, Exec } from "@/db/client";
import { BEFORE_ANY_LEGACY_ID } from "@/db/schema";
import { isoTime, queryOne, queryRows } from "@/db/sql";
import { writeAudit, type Actor } from "@/lib/audit";
import { AppError, pgErrorCode } from "@/lib/errors";
import { staleLegacyIds } from "./consistency-chunks";
import { lockWriters, lockWritersExclusiveBounded, syncPrestamos, type WriteCounts } from "./write";

/** A transaction that can open savepoints (drizzle nested transactions). */
type SavepointTx = Pick<Db, "execute" | "transaction">;

export const CAPTURE_TRIGGERS = { prestamos: "console_capture_prestamos", pagos: "console_capture_pagos" } as const;

/** Each capture trigger, the legacy table it sits on and the function it must call. */
const CAPTURE_TRIGGER_DEFS = [
  { table: "prestamos", name: CAPTURE_TRIGGERS.prestamos, fn: "console_capture_prestamos_fn" },
  { table: "pagos_prestamo", name: CAPTURE_TRIGGERS.pagos, fn: "console_capture_pagos_fn" },
] as const;

// An arbitrary constant beside the writers' lock: held (transaction-scoped) by everything that
// installs or drops the capture triggers or decides what capture follows (start, cleanup,
// rollback of all), so no two of them interleave; taken before the writers' lock, never after.
const CAPTURE_LOCK_KEY = 727_365_002;

export async function lockCapture(tx: Exec): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(${CAPTURE_LOCK_KEY})`);
}

// DDL on the legacy tables waits for the application's open transactions and, while it waits,
// blocks the application's new writes behind it: never wait longer than this, retry instead
// (pgroll's default is 500 ms too).
export const DDL_LOCK_TIMEOUT_MS = 500;
/** How long install/cleanup keep retrying before they give up with 503 (the caller may try again). */
export const DDL_RETRY_BUDGET_MS = 30_000;

const isLockTimeout = (err: unknown) => pgErrorCode(err) === "55P03";

/**
 * Runs DDL on the legacy tables inside the caller's transaction, under a savepoint with a short
 * lock_timeout. When the application holds a conflicting lock (an open transaction that wrote the
 * table), the DDL gives up after DDL_LOCK_TIMEOUT_MS, so the application's writes queue behind it
 * for at most that long, and tries again after a pause in which they go through. The pauses grow
 * (0.25 s doubling up to 4 s, with jitter), so a long application transaction costs its neighbours
 * a short wait now and then, not a queue most of the time.
 */
export async function ddlWithRetry(tx: SavepointTx, statements: string[]): Promise<number> {
  const deadline = Date.now() + DDL_RETRY_BUDGET_MS;
  for (let attempt = 1; ; attempt++) {
    try {
      // A savepoint through the driver (postgres.js rethrows any failed statement of a
      // transaction at its end unless the savepoint is its own).
      await tx.transaction(async (sp) => {
        await sp.execute(sql.raw(`SET LOCAL lock_timeout = '${DDL_LOCK_TIMEOUT_MS}ms'`));
        for (const stmt of statements) await sp.execute(sql.raw(stmt));
        await sp.execute(sql.raw(`SET LOCAL lock_timeout = DEFAULT`));
      });
      return attempt;
    } catch (err) {
      if (!isLockTimeout(err)) throw err;
      if (Date.now() + DDL_LOCK_TIMEOUT_MS > deadline) {
        throw new AppError(
          "UNAVAILABLE",
          `The legacy tables stayed locked by the application for ${DDL_RETRY_BUDGET_MS / 1000} s: change capture was left as it was. Try again.`,
          { attempts: attempt, retryAfterSeconds: 10 },
          { "Retry-After": "10" },
        );
      }
      const pause = Math.min(4000, 250 * 2 ** (attempt - 1));
      await new Promise((r) => setTimeout(r, pause + Math.floor(Math.random() * pause * 0.25)));
    }
  }
}

async function consoleSchema(tx: Exec): Promise<string> {
  const row = await queryOne<{ s: string }>(tx, sql`select quote_ident(current_schema()) as s`);
  return row!.s;
}

// SECURITY DEFINER (the application's role may not write capture_changes) with a fixed
// search_path, so a session's own search_path can never put its objects in front of ours.
function triggerFunctionsSql(schema: string): string[] {
  const q = `${schema}.capture_changes`;
  const header = `LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, ${schema} AS $$`;
  return [
    `CREATE OR REPLACE FUNCTION ${schema}.console_capture_prestamos_fn() RETURNS trigger
     ${header}
     BEGIN
       IF TG_OP = 'DELETE' THEN
         INSERT INTO ${q} (prestamo_id) VALUES (OLD.id);
       ELSE
         INSERT INTO ${q} (prestamo_id) VALUES (NEW.id);
         IF TG_OP = 'UPDATE' AND NEW.id IS DISTINCT FROM OLD.id THEN
           INSERT INTO ${q} (prestamo_id) VALUES (OLD.id);
         END IF;
       END IF;
       RETURN NULL;
     END $$`,
    // A pago names its prestamo: both the prestamo it joins and the one it leaves changed.
    `CREATE OR REPLACE FUNCTION ${schema}.console_capture_pagos_fn() RETURNS trigger
     ${header}
     BEGIN
       IF TG_OP <> 'DELETE' AND NEW.prestamo_id IS NOT NULL THEN
         INSERT INTO ${q} (prestamo_id) VALUES (NEW.prestamo_id);
       END IF;
       IF TG_OP <> 'INSERT' AND OLD.prestamo_id IS NOT NULL
          AND (TG_OP = 'DELETE' OR OLD.prestamo_id IS DISTINCT FROM NEW.prestamo_id) THEN
         INSERT INTO ${q} (prestamo_id) VALUES (OLD.prestamo_id);
       END IF;
       RETURN NULL;
     END $$`,
  ];
}

// pg_trigger.tgtype of AFTER … FOR EACH ROW on INSERT OR UPDATE OR DELETE (bits: row 1, insert 4, delete 8, update 16).
const CAPTURE_TGTYPE = 1 | 4 | 8 | 16;

/**
 * One row per capture trigger, from the catalog: present (a trigger of that name on its table)
 * and capturing — ours (calling our function in the console's schema, on every row of every
 * INSERT, UPDATE and DELETE, no WHEN, no column list) and `ENABLE ALWAYS`, so it fires for every
 * session, `session_replication_role = replica` (logical replication, restores) included.
 */
const CAPTURE_TRIGGERS_SQL = `
  SELECT e.tbl AS "table", e.name, t.oid IS NOT NULL AS present,
    coalesce(t.tgenabled = 'A' AND t.tgtype = ${CAPTURE_TGTYPE} AND t.tgqual IS NULL AND cardinality(t.tgattr::int2[]) = 0
             AND f.proname = e.fn AND f.pronamespace = c.relnamespace, false) AS capturing
  FROM (VALUES ${CAPTURE_TRIGGER_DEFS.map((d) => `('${d.table}', '${d.name}', '${d.fn}', ${d.table === "prestamos" ? 1 : 2})`).join(", ")}) e(tbl, name, fn, ord)
  LEFT JOIN pg_class c ON c.relname = e.tbl AND c.relnamespace = current_schema()::regnamespace
  LEFT JOIN pg_trigger t ON t.tgrelid = c.oid AND t.tgname = e.name AND NOT t.tgisinternal
  LEFT JOIN pg_proc f ON f.oid = t.tgfoid`;

/** "Capture is on" as one SQL boolean expression, for statements that read many figures at once. */
export const CAPTURE_ON_SQL = `((SELECT count(*) FROM (${CAPTURE_TRIGGERS_SQL}) ct WHERE ct.capturing) = ${CAPTURE_TRIGGER_DEFS.length})`;

export interface CaptureTriggerStatus {
  table: string;
  name: string;
  present: boolean;
  /** Ours and enabled ALWAYS: every write of every session is captured. */
  capturing: boolean;
}

export async function readCaptureTriggers(db: Exec): Promise<CaptureTriggerStatus[]> {
  const rows = await queryRows<{ table: string; name: string; present: boolean; capturing: boolean }>(db, sql.raw(`${CAPTURE_TRIGGERS_SQL} ORDER BY e.ord`));
  return rows.map((r) => ({ table: r.table, name: r.name, present: Boolean(r.present), capturing: Boolean(r.capturing) }));
}

/** Capture is on (MIGRATION-SPEC §4 "never silently off"): both triggers present, ours and enabled ALWAYS. */
export async function isCaptureInstalled(db: Exec): Promise<boolean> {
  return (await readCaptureTriggers(db)).every((t) => t.capturing);
}

export interface InstallOutcome {
  /** The triggers were (re)installed: capture had been off, missing, disabled or not ours. */
  installed: boolean;
  /** Prestamos had been migrated before: a re-sync of them is owed before the run copies on. */
  resyncOwed: boolean;
}

/**
 * Installs both triggers inside the caller's transaction, under the capture lock, with a short
 * lock timeout so the application is never queued behind the DDL for long. Capture already on:
 * nothing to do. Else capture had a gap (a cleanup, or triggers dropped, disabled or replaced):
 * changes made meanwhile were not queued, so every prestamo the console has written is owed a
 * re-sync (resyncStep), which the next batches of the run do first.
 */
export async function installCapture(tx: SavepointTx, actorName: string): Promise<InstallOutcome> {
  await lockCapture(tx);
  if (await isCaptureInstalled(tx)) return { installed: false, resyncOwed: false };
  const schema = await consoleSchema(tx);
  for (const stmt of triggerFunctionsSql(schema)) await tx.execute(sql.raw(stmt));
  await ddlWithRetry(tx, [
    `DROP TRIGGER IF EXISTS ${CAPTURE_TRIGGERS.prestamos} ON prestamos`,
    `DROP TRIGGER IF EXISTS ${CAPTURE_TRIGGERS.pagos} ON pagos_prestamo`,
    `CREATE TRIGGER ${CAPTURE_TRIGGERS.prestamos} AFTER INSERT OR UPDATE OR DELETE ON prestamos
     FOR EACH ROW EXECUTE FUNCTION ${schema}.console_capture_prestamos_fn()`,
    `CREATE TRIGGER ${CAPTURE_TRIGGERS.pagos} AFTER INSERT OR UPDATE OR DELETE ON pagos_prestamo
     FOR EACH ROW EXECUTE FUNCTION ${schema}.console_capture_pagos_fn()`,
    `ALTER TABLE prestamos ENABLE ALWAYS TRIGGER ${CAPTURE_TRIGGERS.prestamos}`,
    `ALTER TABLE pagos_prestamo ENABLE ALWAYS TRIGGER ${CAPTURE_TRIGGERS.pagos}`,
  ]);
  const owed = await queryOne<{ owed: boolean }>(tx, sql`select exists (select 1 from migration_state) as owed`);
  const resyncOwed = owed?.owed === true;
  await tx.execute(sql`insert into capture_state (id, enabled, installed_at, installed_by, removed_at, removed_by)
                       values (1, true, now(), ${actorName}, null, null)
                       on conflict (id) do update set enabled = true, installed_at = now(), installed_by = excluded.installed_by, removed_at = null, removed_by = null`);
  if (resyncOwed) {
    await tx.execute(sql`update capture_state set resync_after = ${BEFORE_ANY_LEGACY_ID}::bigint, resync_started_at = now(), resync_done_at = null,
                           resync_checked = 0, resync_rewritten = 0 where id = 1`);
  }
  return { installed: true, resyncOwed };
}

/**
 * Whether a sync also migrates pending prestamos (MIGRATION-SPEC §4 "What capture follows"):
 * always, whatever the last run's outcome, except after a rollback of all until a run starts again.
 */
async function followPending(tx: Exec): Promise<boolean> {
  const row = await queryOne<{ follow: boolean }>(
    tx,
    sql`select c.reset_run_id is null or exists (select 1 from migration_runs r where r.id > c.reset_run_id) as follow
        from capture_state c where c.id = 1`,
  );
  return row?.follow !== false;
}

export interface ResyncProgress {
  owed: boolean;
  /** The last legacy id checked so far (null when none is owed or none checked yet). */
  checkedTo: number | null;
  checked: number;
  rewritten: number;
  startedAt: string | null;
  doneAt: string | null;
}

export async function getResyncProgress(db: Exec): Promise<ResyncProgress> {
  const row = await queryOne(db, sql`select resync_after, resync_checked, resync_rewritten, resync_started_at, resync_done_at from capture_state where id = 1`);
  const after = row?.resync_after == null ? null : Number(row.resync_after);
  return {
    owed: after !== null,
    checkedTo: after === null || after === BEFORE_ANY_LEGACY_ID ? null : after,
    checked: Number(row?.resync_checked ?? 0),
    rewritten: Number(row?.resync_rewritten ?? 0),
    startedAt: isoTime(row?.resync_started_at),
    doneAt: isoTime(row?.resync_done_at),
  };
}

/**
 * One batch of the re-sync owed after a gap in capture: the next `size` prestamos the console
 * holds a state for (legacy id order), of which it rewrites those whose new rows no longer match
 * legacy (the consistency comparison, derived from the rules) and those gone from legacy. One
 * transaction under the writers' lock, cursor included. Returns null when no re-sync is owed.
 */
export async function resyncStep(tx: Exec, size: number): Promise<{ checked: number; rewritten: number; done: boolean } | null> {
  await lockWriters(tx, "exclusive");
  const st = await queryOne(tx, sql`select resync_after from capture_state where id = 1 and resync_after is not null for update`);
  if (!st) return null;
  const after = Number(st.resync_after);
  const chunk = await queryOne<{ upto: number | null; n: number }>(
    tx,
    sql`select max(legacy_id)::int as upto, count(*)::int as n from (
          select legacy_id from migration_state where legacy_id > ${after}::bigint order by legacy_id limit ${size}) w`,
  );
  if (chunk?.upto == null) {
    await tx.execute(sql`update capture_state set resync_after = null, resync_done_at = now() where id = 1`);
    return { checked: 0, rewritten: 0, done: true };
  }
  const upto = Number(chunk.upto);
  const ids = await staleLegacyIds(tx, after, upto);
  const counts = await syncPrestamos(tx, ids, { take: "tracked", followPending: false });
  await tx.execute(sql`update capture_state set resync_after = ${upto}, resync_checked = resync_checked + ${chunk.n},
                         resync_rewritten = resync_rewritten + ${counts.candidates + counts.gone} where id = 1`);
  return { checked: Number(chunk.n), rewritten: counts.candidates + counts.gone, done: false };
}

export interface DrainResult extends WriteCounts {
  entries: number;
  prestamos: number;
  gone: number;
}

/**
 * Syncs up to `limit` queue entries in one transaction: takes the writers' lock (a bounded try,
 * never a wait in the lock queue), deletes the
 * entries it takes (skipping ones another instance holds), and rewrites their prestamos from the
 * legacy rows as they are now. A change committed after this reads will have its own entry.
 */
export async function drainCapture(db: Db, limit = 2000): Promise<DrainResult> {
  const started = Date.now();
  const startedAt = new Date();
  return db.transaction(async (tx) => {
    await lockWritersExclusiveBounded(tx);
    const taken = await queryRows<{ prestamo_id: number }>(
      tx,
      // The queue has no key (index-free for the triggers' sake): rows are taken by their
      // physical address, which cannot change while this transaction holds their row locks.
      sql`delete from capture_changes where ctid = any(array(
            select ctid from capture_changes limit ${limit} for update skip locked))
          returning prestamo_id`,
    );
    if (taken.length === 0) return { entries: 0, prestamos: 0, gone: 0, candidates: 0, migrated: 0, failed: 0, pagos: 0, failureRows: 0 };
    const ids = [...new Set(taken.map((r) => Number(r.prestamo_id)))].sort((a, b) => a - b);
    const counts = await syncPrestamos(tx, ids, { take: "tracked", followPending: await followPending(tx) });
    await tx.execute(sql`insert into migration_batches (run_id, kind, started_at, duration_ms, from_id, to_id, prestamos, pagos, failures)
                         values (null, 'sync', ${startedAt.toISOString()}, ${Date.now() - started}, ${ids[0]}, ${ids[ids.length - 1]}, ${counts.candidates}, ${counts.pagos}, ${counts.failed})`);
    return { ...counts, entries: taken.length, prestamos: ids.length };
  });
}

/** Drains until the queue is empty, or until `deadline` (epoch ms) has passed; returns the entries synced. */
export async function drainAll(db: Db, opts: { limit?: number; deadline?: number } = {}): Promise<number> {
  for (let drained = 0; ;) {
    const { entries } = await drainCapture(db, opts.limit);
    drained += entries;
    if (entries === 0 || (opts.deadline !== undefined && Date.now() >= opts.deadline)) return drained;
  }
}

export async function captureBacklog(db: Exec): Promise<{ entries: number; prestamos: number | null; oldestAgeSeconds: number | null }> {
  const row = await queryOne<{ n: number; oldest: number | null }>(
    db,
    sql`select count(*)::int as n, extract(epoch from now() - min(captured_at))::float8 as oldest from capture_changes`,
  );
  return { entries: row?.n ?? 0, prestamos: null, oldestAgeSeconds: row?.oldest == null ? null : Math.max(0, Math.round(row.oldest)) };
}

/**
 * Ends change capture (cleanup): 409 while a run is active. Drops the triggers in a short
 * transaction under the capture lock, then drains what they had queued (nothing can be added any more).
 */
export async function endCapture(db: Db, actor: Actor): Promise<{ removed: boolean; drained: number }> {
  const removed = await db.transaction(async (tx) => {
    // The capture lock first: a start waits for this cleanup to commit (then installs capture
    // again), and this cleanup, coming second, sees the start's run and refuses.
    await lockCapture(tx);
    const active = await queryOne<{ id: number }>(tx, sql`select id from migration_runs where status in ('running','paused') for update`);
    if (active) throw new AppError("CONFLICT", `Run ${active.id} is active: stop it before ending change capture`, { runId: active.id });
    const installed = (await readCaptureTriggers(tx)).some((t) => t.present);
    if (installed) {
      await ddlWithRetry(tx, [
        `DROP TRIGGER IF EXISTS ${CAPTURE_TRIGGERS.prestamos} ON prestamos`,
        `DROP TRIGGER IF EXISTS ${CAPTURE_TRIGGERS.pagos} ON pagos_prestamo`,
      ]);
    }
    await tx.execute(sql`insert into capture_state (id, enabled, removed_at, removed_by) values (1, false, now(), ${actor.name})
                         on conflict (id) do update set enabled = false, removed_at = now(), removed_by = excluded.removed_by`);
    await writeAudit(tx, actor, { action: "migration.cleanup", outcome: "ok", status: 200, details: { triggersRemoved: installed } });
    return installed;
  });
  return { removed, drained: await drainAll(db) };
}
