/**
 * Cut-over and the way back (MIGRATION-SPEC §9). The phase lives in `cutover_state`; every switch
 * (cut-over, revert, finalize) is one transaction under a short lock_timeout, retried with backoff
 * and jitter within a budget, and recorded in `cutover_switches` with what it cost the application.
 */
import { sql } from "drizzle-orm";
import type { Db, Exec as Tx } from "@/db/client";
import { queryOne, queryRows } from "@/db/sql";
import { writeAudit, type Actor } from "@/lib/audit";
import { AppError, pgErrorCode } from "@/lib/errors";
import { emitEvent } from "./events";
import { CAPTURE_TRIGGERS, installCapture, isCaptureInstalled, lockCapture } from "./capture";
import { archiveMismatches, computeGates, CUTOVER_DEFAULTS, legacyDependents, plural, stateFigures, type Gate, type GateInputs } from "./cutover-gates";
import { grantsLikeDdl } from "./cutover-grants";
import { archiveLensDdl, dropArchiveLensDdl } from "./cutover-lens";
import { getPhase, toSwitchDTO, type Phase, type SwitchDTO } from "./cutover-phase";
import { compatibilityDdl, dropNewDefaultsDdl, dropViewsDdl, VIEW_TRIGGERS } from "./cutover-sql";
import { ARCHIVE, dropReverseCaptureDdl, reverseBacklog, reverseCaptureDdl, REVERSE_TRIGGERS, takeAndApply } from "./reverse-capture";
import { newRowsMismatchSql } from "./sql-builder";
import { fmtCount } from "./vocabulary";
import { intArrayLiteral, lockWriters, syncPrestamos } from "./write";

export { archiveMismatches, computeGates, CUTOVER_DEFAULTS, GATE_IDS, wayBackMismatches, type Gate, type GateId, type GateInputs } from "./cutover-gates";
export { assertLegacyPhase, getPhase, PHASES, type Phase, type SwitchDTO } from "./cutover-phase";

export interface CutoverStatus {
  phase: Phase;
  gates: Gate[];
  lastSwitch: SwitchDTO | null;
  switches: SwitchDTO[];
  reverse: { installed: boolean; backlog: number };
  archive: {
    prestamos: string;
    pagos: string;
    exists: boolean;
    dumpCommand: string;
    mismatches: { count: number; sample: { legacyId: number; why: string }[] } | null;
  };
}

type Exec = Tx;
const num = (v: unknown) => Number(v ?? 0);

async function consoleSchema(db: Exec): Promise<string> {
  return (await queryOne<{ s: string }>(db, sql`select quote_ident(current_schema()) as s`))!.s;
}

export async function getCutoverStatus(db: Exec, inputs: GateInputs): Promise<CutoverStatus> {
  const phase = await getPhase(db);
  const switches = (await queryRows(db, sql`select * from cutover_switches order by id desc limit 20`)).map(toSwitchDTO);
  const archiveExists = (await queryOne<{ e: boolean }>(db, sql`select to_regclass(${ARCHIVE.prestamos}) is not null as e`))?.e === true;
  const reverseInstalled =
    num((await queryOne(db, sql`select count(*)::int as n from pg_trigger where tgname in (${REVERSE_TRIGGERS.prestamos}, ${REVERSE_TRIGGERS.pagos})`))?.n) ===
    2;
  const db_ = (await queryOne<{ d: string }>(db, sql`select current_database() as d`))!.d;
  return {
    phase,
    // The gates are about moving to the new tables: they are measured in the legacy phase only.
    gates: phase === "legacy" ? await computeGates(db, inputs) : [],
    lastSwitch: switches[0] ?? null,
    switches,
    reverse: { installed: reverseInstalled, backlog: await reverseBacklog(db) },
    archive: {
      prestamos: ARCHIVE.prestamos,
      pagos: ARCHIVE.pagos,
      exists: archiveExists,
      // Measured while the archive is the way back (after the reverse backlog is applied, zero).
      mismatches: phase === "cut_over" ? await archiveMismatches(db, 5) : null,
      dumpCommand: `pg_dump --format=custom --table=${ARCHIVE.prestamos} --table=${ARCHIVE.pagos} --file=prestamos-archive.dump ${db_}`,
    },
  };
}

/* ── The bounded switch ───────────────────────────────────────────────────────────── */

export interface SwitchOptions {
  lockTimeoutMs?: number;
  budgetMs?: number;
  /** How long a switch's drain passes before the table locks may go on (default 30 s). */
  preLockDrainBudgetMs?: number;
}

interface Timing {
  /** When the first attempt began, and this attempt's number. */
  startedAt: number;
  attempt: number;
  attemptStarted: number;
  locked: number;
  drainedEntries: number;
  drainedPrestamos: number;
}

/** Where a switch's time goes, step by step, kept with the switch (`details.steps`). */
function stepClock() {
  const steps: Record<string, number> = {};
  return { steps, mark: (step: string, from: number) => (steps[step] = Date.now() - from) };
}
type StepClock = ReturnType<typeof stepClock>;

const RETRYABLE = new Set(["55P03", "40P01"]); // lock_not_available (lock_timeout), deadlock_detected

/**
 * One transaction under `SET LOCAL lock_timeout`, retried after a lock timeout with pauses that
 * grow (0.1 s doubling up to 4 s, with jitter) until the budget is spent, then 503 with nothing
 * changed. The application never waits behind the switch longer than the lock timeout per attempt.
 */
async function boundedSwitch<T>(db: Db, actor: Actor, opts: SwitchOptions, what: string, body: (tx: Db, timing: Timing) => Promise<T>): Promise<T> {
  const lockTimeoutMs = opts.lockTimeoutMs ?? CUTOVER_DEFAULTS.lockTimeoutMs;
  const budgetMs = opts.budgetMs ?? CUTOVER_DEFAULTS.budgetMs;
  if (!Number.isInteger(lockTimeoutMs) || lockTimeoutMs < 1) throw new AppError("INTERNAL", "bad lock timeout");
  const started = Date.now();
  for (let attempt = 1; ; attempt++) {
    const timing: Timing = { startedAt: started, attempt, attemptStarted: Date.now(), locked: 0, drainedEntries: 0, drainedPrestamos: 0 };
    try {
      return await db.transaction(async (tx) => {
        await tx.execute(sql.raw(`SET LOCAL lock_timeout = '${lockTimeoutMs}ms'`));
        return body(tx as unknown as Db, timing);
      });
    } catch (err) {
      // The attempt's audit row (if it got that far) was rolled back with it.
      actor.audited = false;
      if (!RETRYABLE.has(pgErrorCode(err) ?? "")) throw err;
      const pause = Math.min(4000, 100 * 2 ** (attempt - 1));
      const jitter = Math.floor(Math.random() * pause * 0.5);
      if (Date.now() - started + pause + jitter + lockTimeoutMs > budgetMs) {
        throw new AppError(
          "UNAVAILABLE",
          `${what}: the tables stayed locked by other sessions for ${Math.round(budgetMs / 1000)} s (${plural(attempt, "attempt")} of ${lockTimeoutMs} ms each). Nothing changed; try again.`,
          { attempts: attempt, lockTimeoutMs, budgetMs, retryAfterSeconds: 10 },
          { "Retry-After": "10" },
        );
      }
      await new Promise((r) => setTimeout(r, pause + jitter));
    }
  }
}

async function lockPhaseRow(tx: Exec, expected: Phase, what: string): Promise<void> {
  const row = await queryOne<{ phase: Phase }>(tx, sql`select phase from cutover_state where id = 1 for update`);
  const phase = row?.phase ?? "legacy";
  if (phase !== expected) throw new AppError("CONFLICT", `${what} is possible only in phase ${expected}; the system is in phase ${phase}`, { phase });
}

/** The switch's record, the new phase, its audit row and its webhook: the last writes before the commit. */
async function recordSwitch(tx: Db, actor: Actor, kind: SwitchDTO["kind"], phase: Phase, timing: Timing, details: Record<string, unknown>): Promise<SwitchDTO> {
  const now = Date.now();
  const startedAt = timing.startedAt;
  const attempts = timing.attempt;
  // Writes are held from the table locks to the commit, which follows right after this row.
  const row = await queryOne(
    tx,
    sql`insert into cutover_switches (kind, actor, started_at, finished_at, attempts, lock_wait_ms, writes_held_ms, drained_entries, drained_prestamos, total_ms, details)
        values (${kind}, ${actor.name}, ${new Date(startedAt).toISOString()}, ${new Date(now).toISOString()}, ${attempts},
                ${timing.locked ? timing.locked - timing.attemptStarted : 0}, ${timing.locked ? now - timing.locked : 0},
                ${timing.drainedEntries}, ${timing.drainedPrestamos}, ${now - startedAt}, ${JSON.stringify(details)}::jsonb)
        returning *`,
  );
  await tx.execute(sql`update cutover_state set phase = ${phase}, changed_at = now(), changed_by = ${actor.name} where id = 1`);
  const dto = toSwitchDTO(row!);
  const action = { cut_over: "migration.cutover", revert: "migration.revert", finalize: "migration.finalize" }[kind];
  await emitEvent(tx, `cutover.${({ cut_over: "completed", revert: "reverted", finalize: "finalized" } as const)[kind]}`, { switch: dto });
  await writeAudit(tx, actor, { action, outcome: "ok", status: 200, details: { ...finalSwitchTiming(dto), ...details } });
  return dto;
}

/**
 * Before the table locks a switch drains in passes while the application still writes, until a
 * pass takes fewer entries than this: what is left for the writes held is about one pass.
 */
const PRE_LOCK_DRAIN_ENOUGH = 100;
/** How long those passes may go on; past it, a pass still this large refuses (503) rather than hold the writes for it. */
const PRE_LOCK_DRAIN_BUDGET_MS = 30_000;
const PRE_LOCK_MAX_LEFT = 1_000;
/**
 * Nor a pass this slow: the pass under the lock drains what came during the last one, so it lasts
 * about as long, and the writes wait for it. When the application writes about as fast as a pass
 * drains, the passes stop shrinking; a thousand entries then took 620 ms to drain at 1M.
 */
const PRE_LOCK_MAX_PASS_MS = 300;

/** Runs `pass` (which returns the entries it took) until the backlog is short, within the budget. */
async function passesBeforeTheLock(what: string, pass: () => Promise<number>, budgetMs = PRE_LOCK_DRAIN_BUDGET_MS): Promise<void> {
  const started = Date.now();
  for (;;) {
    const passFrom = Date.now();
    const entries = await pass();
    const passMs = Date.now() - passFrom;
    if (entries < PRE_LOCK_DRAIN_ENOUGH) return;
    if (Date.now() - started < budgetMs) continue;
    if (entries <= PRE_LOCK_MAX_LEFT && passMs <= PRE_LOCK_MAX_PASS_MS) return;
    throw new AppError(
      "UNAVAILABLE",
      `${what}: the application's changes arrive faster than the switch drains them (${fmtCount(entries)} entries in ${fmtCount(passMs)} ms in its last pass after ${Math.round((Date.now() - started) / 1000)} s). Nothing changed; try again when the application writes less.`,
      { lastPassEntries: entries, lastPassMs: passMs, retryAfterSeconds: 30 },
      { "Retry-After": "30" },
    );
  }
}

/**
 * One pass over the forward backlog inside the cut-over. Refuses when a drained prestamo fails the
 * rules (the application wrote dirty data since the gates). With the writes held ("rules"), what
 * it synced is also compared field by field with the rules; before, a pass is a background sync,
 * which the consistency gate stands for.
 */
async function forwardPass(tx: Db, timing: Timing, check: "failures" | "rules"): Promise<{ ids: number[]; entries: number; checkMs: number }> {
  const taken = await queryRows<{ prestamo_id: number }>(tx, sql`delete from capture_changes returning prestamo_id`);
  if (taken.length === 0) return { ids: [], entries: 0, checkMs: 0 };
  const ids = [...new Set(taken.map((r) => num(r.prestamo_id)))].sort((a, b) => a - b);
  const counts = await syncPrestamos(tx, ids, { take: "tracked", followPending: true });
  timing.drainedEntries += taken.length;
  timing.drainedPrestamos += ids.length;
  const from = Date.now();
  const bad =
    check === "rules"
      ? await queryRows<{ legacy_id: number; why: string }>(
          tx,
          newRowsMismatchSql(sql`cand AS MATERIALIZED (SELECT l.* FROM prestamos l WHERE l.id = ANY(${intArrayLiteral(ids)}::int[])),`, "pagos_prestamo"),
        )
      : counts.failed > 0
        ? await queryRows<{ legacy_id: number; why: string }>(
            tx,
            sql`select s.legacy_id, (select min(f.code) from migration_failures f where f.legacy_id = s.legacy_id) as why
                from migration_state s where s.legacy_id = any(${intArrayLiteral(ids)}::int[]) and s.state = 'failed' order by s.legacy_id`,
          )
        : [];
  if (bad.length) throw new AppError("CONFLICT", `Cut-over refused: ${plural(bad.length, "drained prestamo")} do not match`, { mismatches: bad.slice(0, 20) });
  return { ids, entries: taken.length, checkMs: Date.now() - from };
}

const finalSwitchTiming = (s: SwitchDTO) => ({
  lockWaitMs: s.lockWaitMs,
  writesHeldMs: s.writesHeldMs,
  drainedEntries: s.drainedEntries,
  drainedPrestamos: s.drainedPrestamos,
  attempts: s.attempts,
  totalMs: s.totalMs,
});

/**
 * The cut-over: refused (409 with the gates) while one fails; then the bounded switch. Returns the
 * switch's record (who, when, lock wait, how long writes were held, what it drained).
 */
export async function cutOver(db: Db, actor: Actor, inputs: GateInputs, opts: SwitchOptions = {}): Promise<{ phase: Phase; switch: SwitchDTO }> {
  const phase = await getPhase(db);
  if (phase !== "legacy") throw new AppError("CONFLICT", `The system is already in phase ${phase}`, { phase });
  const gates = await computeGates(db, inputs);
  const failing = gates.filter((g) => !g.ok);
  if (failing.length) {
    throw new AppError("CONFLICT", `Cut-over refused: ${failing.map((g) => g.id).join(", ")} ${failing.length === 1 ? "fails" : "fail"}`, { gates });
  }
  const result = await boundedSwitch(db, actor, opts, "Cut-over", async (tx, timing) => {
    await lockPhaseRow(tx, "legacy", "A cut-over");
    // Start, cleanup and rollback of all hold this one too: none interleaves with the switch.
    await lockCapture(tx);
    await lockWriters(tx, "exclusive");
    const active = await queryOne<{ id: number }>(tx, sql`select id from migration_runs where status in ('running','paused') limit 1`);
    if (active) throw new AppError("CONFLICT", `Run ${active.id} started meanwhile: cut-over refused`, { runId: active.id });
    const schema = await consoleSchema(tx);
    const seq = await queryOne<{ p: string | null; g: string | null }>(
      tx,
      sql`select pg_get_serial_sequence(${`${schema}.prestamos`}, 'id') as p, pg_get_serial_sequence(${`${schema}.pagos_prestamo`}, 'id') as g`,
    );
    if (!seq?.p || !seq.g) throw new AppError("CONFLICT", "Cut-over refused: the legacy ids do not come from a sequence the views could keep using", {});
    const { steps, mark } = stepClock();
    // Every prestamo has its new row, counted before the writes are held (a whole-table scan):
    // every console writer of migration_state is kept out by the writers' lock held from here, and
    // whatever the application writes from now on is a queue entry, drained and checked below.
    const scanFrom = Date.now();
    const states = await stateFigures(tx);
    if (states.pending + states.failed + states.rolledBack > 0) {
      throw new AppError("CONFLICT", "Cut-over refused: some prestamos have no new row", { ...states });
    }
    mark("stateScanMs", scanFrom);
    const preLockFrom = Date.now();
    const drained: number[] = [];
    await passesBeforeTheLock(
      "Cut-over",
      async () => {
        const pass = await forwardPass(tx, timing, "failures");
        drained.push(...pass.ids);
        return pass.entries;
      },
      opts.preLockDrainBudgetMs,
    );
    mark("preLockDrainMs", preLockFrom);
    // Forward capture ends and reverse capture begins in this transaction, before any write of the
    // application can reach the new tables.
    const ddl = [
      `DROP TRIGGER IF EXISTS ${CAPTURE_TRIGGERS.prestamos} ON ${schema}.prestamos`,
      `DROP TRIGGER IF EXISTS ${CAPTURE_TRIGGERS.pagos} ON ${schema}.pagos_prestamo`,
      ...reverseCaptureDdl(schema),
      `ALTER TABLE ${schema}.prestamos RENAME TO ${ARCHIVE.prestamos}`,
      `ALTER TABLE ${schema}.pagos_prestamo RENAME TO ${ARCHIVE.pagos}`,
      ...compatibilityDdl(schema, { prestamos: seq.p, pagos: seq.g }),
      ...archiveLensDdl(schema),
    ];
    // The trigger functions lock no table and nothing calls them until their triggers exist: they
    // are created before the writes are held, which then wait only for the DDL that needs them held.
    const createsFunction = (stmt: string) => /^\s*CREATE OR REPLACE FUNCTION /.test(stmt);
    for (const stmt of ddl.filter(createsFunction)) await tx.execute(sql.raw(stmt));
    // The application's writes queue from here; its reads go on until the renames.
    await tx.execute(sql.raw(`LOCK TABLE ${schema}.prestamos, ${schema}.pagos_prestamo IN EXCLUSIVE MODE`));
    timing.locked = Date.now();
    const dependents = await legacyDependents(tx);
    if (dependents.length) throw new AppError("CONFLICT", `Cut-over refused: ${dependents.join(", ")} would follow the rename`, { dependents });
    if (!(await isCaptureInstalled(tx))) throw new AppError("CONFLICT", "Cut-over refused: change capture is off", {});
    steps.lockedRecheckMs = 0;
    for (let pass = await forwardPass(tx, timing, "rules"); pass.entries > 0; pass = await forwardPass(tx, timing, "rules")) {
      drained.push(...pass.ids);
      steps.lockedRecheckMs += pass.checkMs;
    }
    mark("lockedDrainMs", timing.locked);
    const ddlFrom = Date.now();
    for (const stmt of ddl.filter((stmt) => !createsFunction(stmt))) await tx.execute(sql.raw(stmt));
    // Whoever could write the legacy tables writes through the views (read once renamed).
    for (const [table, view] of [
      [ARCHIVE.prestamos, "prestamos"],
      [ARCHIVE.pagos, "pagos_prestamo"],
    ]) {
      for (const stmt of await grantsLikeDdl(tx, `${schema}.${table}`, `${schema}.${view}`)) await tx.execute(sql.raw(stmt));
    }
    await tx.execute(sql`update capture_state set enabled = false, removed_at = now(), removed_by = ${`cut-over by ${actor.name}`} where id = 1`);
    mark("ddlMs", ddlFrom);
    return recordSwitch(tx, actor, "cut_over", "cut_over", timing, {
      sequences: seq,
      drainedIds: [...new Set(drained)].sort((a, b) => a - b).slice(0, 100),
      steps,
    });
  });
  return { phase: "cut_over", switch: result };
}

/**
 * The start of a revert and of finalize, in phase cut_over: the writes through either name queue
 * while the reverse backlog is applied to the archive. Returns the console's schema.
 */
async function holdNewTablesAndApplyReverse(
  tx: Db,
  timing: Timing,
  what: string,
  opts: SwitchOptions & { dropViews: boolean },
  { mark }: StepClock,
): Promise<string> {
  await lockPhaseRow(tx, "cut_over", what);
  await lockCapture(tx);
  await lockWriters(tx, "exclusive");
  const schema = await consoleSchema(tx);
  // The backlog first while the application still writes (what the background drain would do):
  // the writes are then held for about one pass.
  const applyPass = async () => {
    const pass = await takeAndApply(tx);
    timing.drainedEntries += pass.entries;
    timing.drainedPrestamos += pass.prestamos;
    return pass.entries;
  };
  const preLockFrom = Date.now();
  await passesBeforeTheLock(what, applyPass, opts.preLockDrainBudgetMs);
  mark("preLockDrainMs", preLockFrom);
  const viewsFrom = Date.now();
  // A write through a view holds the view's lock while its trigger waits for the new tables: the
  // views (to be dropped) are taken first, by dropping their triggers (that lock queues writes but
  // not reads, and, unlike LOCK on a view, does not take the new tables with it); measured under
  // live writes, tables first then views deadlocked on every attempt.
  if (opts.dropViews) {
    for (const stmt of [
      `DROP TRIGGER IF EXISTS ${VIEW_TRIGGERS.pagos} ON ${schema}.pagos_prestamo`,
      `DROP TRIGGER IF EXISTS ${VIEW_TRIGGERS.prestamos} ON ${schema}.prestamos`,
    ]) {
      await tx.execute(sql.raw(stmt));
    }
  }
  mark("viewsLockMs", viewsFrom);
  const tablesFrom = Date.now();
  await tx.execute(sql.raw(`LOCK TABLE ${schema}.prestamos_new, ${schema}.pagos_prestamo_new IN EXCLUSIVE MODE`));
  mark("tablesLockMs", tablesFrom);
  timing.locked = Date.now();
  await applyPass();
  mark("lockedDrainMs", timing.locked);
  return schema;
}

/**
 * Revert: the same bounded switch the other way. The reverse backlog is drained with the new
 * tables' writes held, the views go, the archive is renamed back, forward capture is installed
 * again: every write made through either name since the cut-over is in the legacy tables.
 */
export async function revert(db: Db, actor: Actor, opts: SwitchOptions = {}): Promise<{ phase: Phase; switch: SwitchDTO }> {
  const result = await boundedSwitch(db, actor, opts, "Revert", async (tx, timing) => {
    const clock = stepClock();
    const schema = await holdNewTablesAndApplyReverse(tx, timing, "A revert", { ...opts, dropViews: true }, clock);
    const ddlFrom = Date.now();
    for (const stmt of [
      ...dropViewsDdl(schema),
      ...dropArchiveLensDdl,
      ...dropReverseCaptureDdl(schema),
      ...dropNewDefaultsDdl(schema),
      `ALTER TABLE ${schema}.${ARCHIVE.prestamos} RENAME TO prestamos`,
      `ALTER TABLE ${schema}.${ARCHIVE.pagos} RENAME TO pagos_prestamo`,
    ]) {
      await tx.execute(sql.raw(stmt));
    }
    clock.mark("ddlMs", ddlFrom);
    const captureFrom = Date.now();
    await installCapture(tx, `revert by ${actor.name}`);
    // No gap to re-sync: the reverse capture applied every change of the new tables to the archive.
    await tx.execute(sql`update capture_state set resync_after = null, resync_started_at = null, resync_done_at = now() where id = 1`);
    clock.mark("captureMs", captureFrom);
    return recordSwitch(tx, actor, "revert", "legacy", timing, { steps: clock.steps });
  });
  return { phase: "legacy", switch: result };
}

/** Finalize: ends the reverse capture (the way back); drops the views only when asked; never the archive. */
export async function finalize(
  db: Db,
  actor: Actor,
  body: { dropViews?: boolean },
  opts: SwitchOptions = {},
): Promise<{ phase: Phase; switch: SwitchDTO; archive: { prestamos: string; pagos: string } }> {
  const result = await boundedSwitch(db, actor, opts, "Finalize", async (tx, timing) => {
    // The archive gets the last changes: a faithful copy as of this moment.
    const clock = stepClock();
    const schema = await holdNewTablesAndApplyReverse(tx, timing, "Finalize", { ...opts, dropViews: body.dropViews === true }, clock);
    const ddlFrom = Date.now();
    for (const stmt of [...dropReverseCaptureDdl(schema), ...(body.dropViews ? dropViewsDdl(schema) : [])]) await tx.execute(sql.raw(stmt));
    clock.mark("ddlMs", ddlFrom);
    return recordSwitch(tx, actor, "finalize", "finalized", timing, { dropViews: body.dropViews === true, steps: clock.steps });
  });
  return { phase: "finalized", switch: result, archive: { prestamos: ARCHIVE.prestamos, pagos: ARCHIVE.pagos } };
}
