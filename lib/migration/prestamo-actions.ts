/**
 * Actions on one prestamo or on all of them (MIGRATION-SPEC §4: single, rollback of one,
 * rollback of all). Each takes the writers' lock exclusively and commits with its audit row.
 */
import { sql } from "drizzle-orm";
import type { Db, Exec } from "@/db/client";
import { queryOne, queryRows } from "@/db/sql";
import { writeAudit, type Actor } from "@/lib/audit";
import { AppError } from "@/lib/errors";
import { emitRunEvent } from "./events";
import type { FailureCode } from "./rules";
import { lockCapture } from "./capture";
import { assertLegacyPhase } from "./cutover";
import { lockWriters, syncPrestamos } from "./write";

export type PrestamoState = "pending" | "migrated" | "failed" | "rolled_back";

export interface SingleOutcome {
  legacyId: number;
  state: PrestamoState;
  outcome: "migrated" | "failed";
  pagos: number;
  failures: { code: FailureCode; field: string; value: string | null; pagoId: number | null }[];
}

async function legacyExists(db: Exec, legacyId: number): Promise<boolean> {
  return Boolean(await queryOne(db, sql`select 1 from prestamos where id = ${legacyId}`));
}

/** Migrates (or re-syncs) one legacy prestamo, whatever its state. 404 when it does not exist. */
export async function migrateSingle(db: Db, legacyId: number, actor: Actor): Promise<SingleOutcome> {
  return db.transaction(async (tx) => {
    await assertLegacyPhase(tx, "a single migration");
    await lockWriters(tx, "exclusive");
    if (!(await legacyExists(tx, legacyId))) throw new AppError("NOT_FOUND", `Legacy prestamo ${legacyId} not found`);
    const counts = await syncPrestamos(tx, [legacyId], { take: "all" });
    const failures = await queryRows<{ code: FailureCode; field: string; value: string | null; pago_id: number | null }>(
      tx,
      sql`select code, field, value, pago_id from migration_failures where legacy_id = ${legacyId} order by pago_id nulls first, code, field`,
    );
    const outcome: SingleOutcome = {
      legacyId,
      state: counts.migrated ? "migrated" : "failed",
      outcome: counts.migrated ? "migrated" : "failed",
      pagos: counts.pagos,
      failures: failures.map((f) => ({ code: f.code, field: f.field, value: f.value, pagoId: f.pago_id })),
    };
    await writeAudit(tx, actor, {
      action: "migration.single",
      target: `prestamo:${legacyId}`,
      outcome: "ok",
      status: 200,
      details: { result: outcome.outcome, pagos: outcome.pagos, failureCodes: [...new Set(outcome.failures.map((f) => f.code))] },
    });
    return outcome;
  });
}

/** Removes one migrated prestamo and its pagos from the new tables; 409 unless it is migrated. */
export async function rollbackOne(db: Db, legacyId: number, actor: Actor): Promise<{ legacyId: number; state: "rolled_back"; pagosRemoved: number }> {
  return db.transaction(async (tx) => {
    await assertLegacyPhase(tx, "a rollback");
    await lockWriters(tx, "exclusive");
    const st = await queryOne<{ state: string }>(tx, sql`select state from migration_state where legacy_id = ${legacyId} for update`);
    if (!st) {
      const known = (await legacyExists(tx, legacyId)) || Boolean(await queryOne(tx, sql`select 1 from prestamos_new where legacy_id = ${legacyId}`));
      if (!known) throw new AppError("NOT_FOUND", `Legacy prestamo ${legacyId} not found`);
      throw new AppError("CONFLICT", `Prestamo ${legacyId} is pending, not migrated`, { state: "pending" });
    }
    if (st.state !== "migrated") throw new AppError("CONFLICT", `Prestamo ${legacyId} is ${st.state}, not migrated`, { state: st.state });
    const removed = await queryOne<{ n: number }>(
      tx,
      sql`with p as (delete from prestamos_new where legacy_id = ${legacyId} returning id)
          select (select count(*) from pagos_prestamo_new g where g.prestamo_id in (select id from p))::int as n`,
    );
    await tx.execute(sql`update migration_state set state = 'rolled_back', run_id = null, updated_at = now() where legacy_id = ${legacyId}`);
    await writeAudit(tx, actor, {
      action: "migration.rollback",
      target: `prestamo:${legacyId}`,
      outcome: "ok",
      status: 200,
      details: { pagosRemoved: removed?.n ?? 0 },
    });
    return { legacyId, state: "rolled_back" as const, pagosRemoved: removed?.n ?? 0 };
  });
}

/**
 * Stops the active run, empties the new tables and marks every prestamo pending (the caller has
 * checked the typed confirmation). Change capture stays on; until the next start, syncs follow
 * only prestamos taken again (single).
 */
export async function rollbackAll(db: Db, actor: Actor): Promise<{ stoppedRunId: number | null; prestamosRemoved: number; pagosRemoved: number }> {
  return db.transaction(async (tx) => {
    // The phase (a cut-over takes it first too), the capture lock (no start, cleanup or other
    // rollback of all in between: what capture follows is decided here), then the writers' lock
    // (waits for batches in flight), then the run row: the order batches take the last two in, so
    // none can wait for another.
    await assertLegacyPhase(tx, "a rollback of all");
    await lockCapture(tx);
    await lockWriters(tx, "exclusive");
    const stopped = await queryOne<{ id: number }>(
      tx,
      sql`update migration_runs set status = 'stopped', ended_at = now(), stop_reason = 'stopped',
            stop_detail = ${`stopped by ${actor.name}: rollback of all`}, stop_requested_by = ${actor.name}, lease_owner = null, lease_expires_at = null
          where status in ('running','paused') returning id`,
    );
    if (stopped) await emitRunEvent(tx, "run.stopped", { id: stopped.id }, { reason: "rollback of all", by: actor.name });
    const counts = await queryOne<{ p: number; g: number }>(
      tx,
      sql`select (select count(*) from prestamos_new)::int as p, (select count(*) from pagos_prestamo_new)::int as g`,
    );
    await tx.execute(sql`truncate pagos_prestamo_new, prestamos_new, migration_state, migration_failures`);
    // Until the next start, syncs follow no pending prestamo (all are pending now), and no
    // re-sync is owed: nothing is left in the new tables to be stale.
    await tx.execute(sql`insert into capture_state (id, reset_at, reset_run_id) values (1, now(), (select coalesce(max(id), 0) from migration_runs))
                         on conflict (id) do update set reset_at = now(), reset_run_id = excluded.reset_run_id, resync_after = null`);
    await writeAudit(tx, actor, {
      action: "migration.rollback_all",
      outcome: "ok",
      status: 200,
      details: { stoppedRunId: stopped?.id ?? null, prestamosRemoved: counts?.p ?? 0, pagosRemoved: counts?.g ?? 0 },
    });
    return { stoppedRunId: stopped?.id ?? null, prestamosRemoved: counts?.p ?? 0, pagosRemoved: counts?.g ?? 0 };
  });
}
