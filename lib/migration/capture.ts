/**
 * Change capture (MIGRATION-SPEC §4): row triggers on both legacy tables append the ids of the
 * prestamos that changed to `capture_changes`; the console syncs them and deletes exactly the
 * entries it synced, in the same transaction. No watermark: an entry committed late (after a
 * drain's snapshot) is still in the table and is taken by the next drain.
 */
import { sql } from "drizzle-orm";
import type { Db } from "@/db/client";
import { queryOne, queryRows } from "@/db/sql";
import { writeAudit, type Actor } from "@/lib/audit";
import { AppError, pgErrorCode } from "@/lib/errors";
import { lockWriters, syncPrestamos, type Tx, type WriteCounts } from "./write";

/** A transaction that can open savepoints (drizzle nested transactions). */
type SavepointTx = Pick<Db, "execute" | "transaction">;

export const CAPTURE_TRIGGERS = { prestamos: "console_capture_prestamos", pagos: "console_capture_pagos" } as const;

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

async function consoleSchema(tx: Tx): Promise<string> {
  const row = await queryOne<{ s: string }>(tx, sql`select quote_ident(current_schema()) as s`);
  return row!.s;
}

function triggerFunctionsSql(schema: string): string[] {
  const q = `${schema}.capture_changes`;
  return [
    `CREATE OR REPLACE FUNCTION ${schema}.console_capture_prestamos_fn() RETURNS trigger
     LANGUAGE plpgsql SECURITY DEFINER AS $$
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
     LANGUAGE plpgsql SECURITY DEFINER AS $$
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

export async function isCaptureInstalled(db: Tx): Promise<boolean> {
  const row = await queryOne<{ n: number }>(
    db,
    sql`select count(*)::int as n from pg_trigger t join pg_class c on c.oid = t.tgrelid
        where not t.tgisinternal and t.tgname in (${CAPTURE_TRIGGERS.prestamos}, ${CAPTURE_TRIGGERS.pagos})
          and c.relnamespace = current_schema()::regnamespace`,
  );
  return (row?.n ?? 0) === 2;
}

/**
 * Installs both triggers (idempotent) inside the caller's transaction, with a short lock
 * timeout so the application is never queued behind the DDL for long.
 */
export async function installCapture(tx: SavepointTx, actorName: string): Promise<boolean> {
  if (await isCaptureInstalled(tx)) return false;
  const schema = await consoleSchema(tx);
  for (const stmt of triggerFunctionsSql(schema)) await tx.execute(sql.raw(stmt));
  await ddlWithRetry(tx, [
    `DROP TRIGGER IF EXISTS ${CAPTURE_TRIGGERS.prestamos} ON prestamos`,
    `DROP TRIGGER IF EXISTS ${CAPTURE_TRIGGERS.pagos} ON pagos_prestamo`,
    `CREATE TRIGGER ${CAPTURE_TRIGGERS.prestamos} AFTER INSERT OR UPDATE OR DELETE ON prestamos
     FOR EACH ROW EXECUTE FUNCTION ${schema}.console_capture_prestamos_fn()`,
    `CREATE TRIGGER ${CAPTURE_TRIGGERS.pagos} AFTER INSERT OR UPDATE OR DELETE ON pagos_prestamo
     FOR EACH ROW EXECUTE FUNCTION ${schema}.console_capture_pagos_fn()`,
  ]);
  await tx.execute(sql`insert into capture_state (id, enabled, installed_at, installed_by, removed_at, removed_by)
                       values (1, true, now(), ${actorName}, null, null)
                       on conflict (id) do update set enabled = true, installed_at = now(), installed_by = excluded.installed_by, removed_at = null, removed_by = null`);
  return true;
}

/** Whether a sync also migrates pending prestamos: when the latest run is active or went to the end. */
async function followPending(tx: Tx): Promise<boolean> {
  const row = await queryOne<{ follow: boolean }>(
    tx,
    sql`select (r.status in ('running','paused') or (r.status = 'finished' and (c.reset_at is null or r.ended_at > c.reset_at))) as follow
        from (select status, ended_at from migration_runs order by id desc limit 1) r
        left join capture_state c on c.id = 1`,
  );
  return row?.follow === true;
}

export interface DrainResult extends WriteCounts {
  entries: number;
  prestamos: number;
  gone: number;
}

/**
 * Syncs up to `limit` queue entries in one transaction: takes the writers' lock, deletes the
 * entries it takes (skipping ones another instance holds), and rewrites their prestamos from the
 * legacy rows as they are now. A change committed after this reads will have its own entry.
 */
export async function drainCapture(db: Db, limit = 2000): Promise<DrainResult> {
  const started = Date.now();
  const startedAt = new Date();
  return db.transaction(async (tx) => {
    await lockWriters(tx, "exclusive");
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
  for (let drained = 0; ; ) {
    const { entries } = await drainCapture(db, opts.limit);
    drained += entries;
    if (entries === 0 || (opts.deadline !== undefined && Date.now() >= opts.deadline)) return drained;
  }
}

export async function captureBacklog(db: Tx): Promise<{ entries: number; prestamos: number | null; oldestAgeSeconds: number | null }> {
  const row = await queryOne<{ n: number; oldest: number | null }>(
    db,
    sql`select count(*)::int as n, extract(epoch from now() - min(captured_at))::float8 as oldest from capture_changes`,
  );
  return { entries: row?.n ?? 0, prestamos: null, oldestAgeSeconds: row?.oldest == null ? null : Math.max(0, Math.round(row.oldest)) };
}

/**
 * Ends change capture (cleanup): 409 while a run is active. Drops the triggers in a short
 * transaction, then drains what they had queued (nothing can be added any more).
 */
export async function endCapture(db: Db, actor: Actor): Promise<{ removed: boolean; drained: number }> {
  const removed = await db.transaction(async (tx) => {
    const active = await queryOne<{ id: number }>(tx, sql`select id from migration_runs where status in ('running','paused') for update`);
    if (active) throw new AppError("CONFLICT", `Run ${active.id} is active: stop it before ending change capture`, { runId: active.id });
    const installed = await isCaptureInstalled(tx);
    if (installed) {
      await ddlWithRetry(tx, [`DROP TRIGGER IF EXISTS ${CAPTURE_TRIGGERS.prestamos} ON prestamos`, `DROP TRIGGER IF EXISTS ${CAPTURE_TRIGGERS.pagos} ON pagos_prestamo`]);
    }
    await tx.execute(sql`insert into capture_state (id, enabled, removed_at, removed_by) values (1, false, now(), ${actor.name})
                         on conflict (id) do update set enabled = false, removed_at = now(), removed_by = excluded.removed_by`);
    await writeAudit(tx, actor, { action: "migration.cleanup", outcome: "ok", status: 200, details: { triggersRemoved: installed } });
    return installed;
  });
  return { removed, drained: await drainAll(db) };
}
