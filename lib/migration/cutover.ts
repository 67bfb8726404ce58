/**
 * Cut-over and the way back (MIGRATION-SPEC §9). The phase lives in `cutover_state`; every switch
 * (cut-over, revert, finalize) is one transaction under a short lock_timeout, retried with backoff
 * and jitter within a budget, and recorded in `cutover_switches` with what it cost the application.
 */
import { sql } from "drizzle-orm";
import type { Db, Exec as Tx } from "@/db/client";
import { isoTime, queryOne, queryRows } from "@/db/sql";
import { writeAudit, type Actor } from "@/lib/audit";
import { AppError, pgErrorCode } from "@/lib/errors";
import { emitEvent } from "./events";
import { CAPTURE_TRIGGERS, captureBacklog, installCapture, isCaptureInstalled, lockCapture } from "./capture";
import type { ConsistencySummary } from "./consistency";
import { compatibilityDdl, dropNewDefaultsDdl, dropViewsDdl, VIEW_TRIGGERS } from "./cutover-sql";
import { ARCHIVE, dropReverseCaptureDdl, reverseBacklog, reverseCaptureDdl, REVERSE_TRIGGERS, takeAndApply } from "./reverse-capture";
import { newRowsMismatchSql, WAY_BACK_MISMATCH_SQL } from "./sql-builder";
import { intArrayLiteral, lockWriters, syncPrestamos } from "./write";

export const PHASES = ["legacy", "cut_over", "finalized"] as const;
export type Phase = (typeof PHASES)[number];
export const GATE_IDS = ["no_active_run", "capture_backlog", "all_migrated", "consistency", "throttle", "way_back", "no_dependents"] as const;
export type GateId = (typeof GATE_IDS)[number];

export const CUTOVER_DEFAULTS = { lockTimeoutMs: 500, budgetMs: 60_000, maxBacklog: 1000, consistencyMaxAgeMs: 30 * 60_000 } as const;

export interface Gate {
  id: GateId;
  ok: boolean;
  /** The measured figure, in words a reviewer reads ("0 pending, 2 failed, 0 rolled back"). */
  figure: string;
  why: string;
}

export interface SwitchDTO {
  id: number;
  kind: "cut_over" | "revert" | "finalize";
  actor: string;
  startedAt: string | null;
  finishedAt: string | null;
  attempts: number;
  lockWaitMs: number;
  writesHeldMs: number;
  drainedEntries: number;
  drainedPrestamos: number;
  totalMs: number;
  details: Record<string, unknown> | null;
}

export interface CutoverStatus {
  phase: Phase;
  gates: Gate[];
  lastSwitch: SwitchDTO | null;
  switches: SwitchDTO[];
  reverse: { installed: boolean; backlog: number };
  archive: { prestamos: string; pagos: string; exists: boolean; dumpCommand: string; mismatches: { count: number; sample: { legacyId: number; why: string }[] } | null };
}

/** What the caller knows of things computed elsewhere (the route reads the consistency cache and the throttle). */
export interface GateInputs {
  consistency: { summary: ConsistencySummary; ageMs: number } | null;
  throttle?: { active: boolean; reasons: string[] } | null;
}

type Exec = Tx;

export async function getPhase(db: Exec): Promise<Phase> {
  const row = await queryOne<{ phase: Phase }>(db, sql`select phase from cutover_state where id = 1`);
  return row?.phase ?? "legacy";
}

/**
 * Runs, single migrations and rollbacks write the new tables from the legacy ones: only in the
 * legacy phase. Takes the phase row FOR SHARE, so a cut-over (FOR UPDATE) waits for the caller's
 * transaction, and the caller waits for a cut-over in flight and then sees its phase.
 */
export async function assertLegacyPhase(tx: Exec, what: string): Promise<void> {
  const row = await queryOne<{ phase: Phase }>(tx, sql`select phase from cutover_state where id = 1 for share`);
  const phase = row?.phase ?? "legacy";
  if (phase !== "legacy") {
    throw new AppError("CONFLICT", `The system is ${phase === "cut_over" ? "cut over" : "finalized"}: the new tables are the source of truth, ${what} is not possible`, { phase });
  }
}

const num = (v: unknown) => Number(v ?? 0);
const plural = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString("en-US")} ${n === 1 ? one : many}`;

async function consoleSchema(db: Exec): Promise<string> {
  return (await queryOne<{ s: string }>(db, sql`select quote_ident(current_schema()) as s`))!.s;
}

/** Views, rules and foreign keys of others on the legacy tables: they would follow a rename to the archive. */
async function legacyDependents(db: Exec): Promise<string[]> {
  const rows = await queryRows<{ name: string }>(
    db,
    sql`select distinct format('%s %s', case c.relkind when 'm' then 'materialized view' else 'view' end, c.oid::regclass::text) as name
        from pg_depend d join pg_rewrite rw on rw.oid = d.objid join pg_class c on c.oid = rw.ev_class
        where d.classid = 'pg_rewrite'::regclass and d.refclassid = 'pg_class'::regclass
          and d.refobjid in (to_regclass('prestamos'), to_regclass('pagos_prestamo')) and c.oid <> d.refobjid
        union
        select format('foreign key %s on %s', con.conname, con.conrelid::regclass::text)
        from pg_constraint con where con.contype = 'f' and con.confrelid in (to_regclass('prestamos'), to_regclass('pagos_prestamo'))
        union
        select format('function %s', p.oid::regprocedure::text)
        from pg_depend d join pg_proc p on p.oid = d.objid
        where d.classid = 'pg_proc'::regclass and d.refclassid = 'pg_class'::regclass
          and d.refobjid in (to_regclass('prestamos'), to_regclass('pagos_prestamo'))
        order by 1`,
  );
  return rows.map((r) => r.name);
}

/** Chunks of this many legacy ids for the way-back check, so no statement holds a million rows. */
const WAY_BACK_CHUNK = 50_000;

/** Every new prestamo whose way back is not total (up to `limit` listed), by chunks of legacy ids. */
export async function wayBackMismatches(db: Exec, limit = 20): Promise<{ count: number; sample: { legacyId: number; why: string }[] }> {
  const range = await queryOne<{ lo: number | null; hi: number | null }>(db, sql`select min(legacy_id) as lo, max(legacy_id) as hi from prestamos_new`);
  if (range?.lo == null || range.hi == null) return { count: 0, sample: [] };
  let count = 0;
  const sample: { legacyId: number; why: string }[] = [];
  for (let lo = num(range.lo) - 1; lo < num(range.hi); lo += WAY_BACK_CHUNK) {
    const text = WAY_BACK_MISMATCH_SQL.replaceAll("$LO", String(lo)).replaceAll("$HI", String(Math.min(lo + WAY_BACK_CHUNK, num(range.hi))));
    const rows = await queryRows<{ legacy_id: number; why: string | null }>(db, sql.raw(text));
    count += rows.length;
    for (const r of rows) if (sample.length < limit) sample.push({ legacyId: num(r.legacy_id), why: r.why ?? "differs" });
  }
  return { count, sample };
}

/**
 * Is the way back intact? The archive against the new tables by the rules (§9: consistency
 * compares the archive with the new tables): every archive prestamo with its pagos must give
 * exactly its new rows, and every new row must have its archive row.
 */
export async function archiveMismatches(db: Exec, limit = 20): Promise<{ count: number; sample: { legacyId: number; why: string }[] }> {
  const range = await queryOne<{ lo: number | null; hi: number | null }>(
    db,
    sql.raw(`select least((select min(id) from ${ARCHIVE.prestamos}), (select min(legacy_id) from prestamos_new)) as lo,
                    greatest((select max(id) from ${ARCHIVE.prestamos}), (select max(legacy_id) from prestamos_new)) as hi`),
  );
  if (range?.lo == null || range.hi == null) return { count: 0, sample: [] };
  let count = 0;
  const sample: { legacyId: number; why: string }[] = [];
  for (let lo = num(range.lo) - 1; lo < num(range.hi); lo += WAY_BACK_CHUNK) {
    const hi = Math.min(lo + WAY_BACK_CHUNK, num(range.hi));
    const text = newRowsMismatchSql(`cand AS MATERIALIZED (SELECT l.* FROM ${ARCHIVE.prestamos} l WHERE l.id > ${lo} AND l.id <= ${hi}),`, ARCHIVE.pagos);
    const rows = [
      ...(await queryRows<{ legacy_id: number; why: string | null }>(db, sql.raw(text))),
      ...(await queryRows<{ legacy_id: number; why: string | null }>(
        db,
        sql.raw(`select n.legacy_id, 'not in the archive' as why from prestamos_new n
                 where n.legacy_id > ${lo} and n.legacy_id <= ${hi} and not exists (select 1 from ${ARCHIVE.prestamos} a where a.id = n.legacy_id)`),
      )),
    ];
    count += rows.length;
    for (const r of rows) if (sample.length < limit) sample.push({ legacyId: num(r.legacy_id), why: r.why ?? "differs" });
  }
  return { count, sample };
}

/**
 * Prestamos without a new row, by state. A pending one the capture queue names (a loan the
 * application just added) is not counted: the switch drains the queue with writes held and then
 * re-checks counting them, refusing if any is left.
 */
async function stateFigures(db: Exec, opts: { countQueued: boolean } = { countQueued: false }): Promise<{ pending: number; failed: number; rolledBack: number }> {
  const row = await queryOne(
    db,
    sql`select count(*) filter (where s.legacy_id is null and (${opts.countQueued}::boolean or l.id not in (select prestamo_id from capture_changes)))::int as pending,
               count(*) filter (where s.state = 'failed')::int as failed,
               count(*) filter (where s.state = 'rolled_back')::int as rolled_back
        from prestamos l left join migration_state s on s.legacy_id = l.id`,
  );
  return { pending: num(row?.pending), failed: num(row?.failed), rolledBack: num(row?.rolled_back) };
}

function consistencyGate(input: GateInputs["consistency"]): Gate {
  const id = "consistency" as const;
  if (!input) return { id, ok: false, figure: "not computed", why: "No consistency check has run yet: open the Consistency page (or GET …/consistency) and let it finish." };
  const { summary: c, ageMs } = input;
  const minutes = Math.floor(ageMs / 60_000);
  const r = c.relationships;
  const relationshipProblems = r.missingPagos + r.wrongPrestamoPagos + r.orphanNewPrestamos + r.orphanNewPagos + r.missingNewPrestamos + r.untrackedNewPrestamos;
  const checks = [
    { name: "field match", ok: c.fieldMatch.mismatching === 0 && c.nowFails === 0, figure: `${c.fieldMatch.matchingPct ?? 100} %` },
    { name: "payment totals", ok: c.paymentTotals.differenceCents === "0" && c.paymentTotals.prestamosDiffering === 0, figure: `${c.paymentTotals.accuracyPct} %` },
    { name: "status", ok: c.status.mismatching === 0, figure: `${plural(c.status.mismatching, "estado")} differing` },
    { name: "relationships", ok: relationshipProblems === 0, figure: `${plural(relationshipProblems, "problem")}` },
  ];
  if (c.migrated === 0) return { id, ok: false, figure: "nothing migrated", why: "A check over no migrated prestamo proves nothing: migrate first." };
  const failing = checks.filter((k) => !k.ok);
  const fresh = ageMs <= CUTOVER_DEFAULTS.consistencyMaxAgeMs;
  const figure = `${checks.map((k) => `${k.name} ${k.figure}`).join(", ")}; computed ${minutes === 0 ? "less than a minute" : plural(minutes, "minute")} ago`;
  if (!fresh) return { id, ok: false, figure, why: "The last consistency check is older than 30 minutes: run it again so the cut-over relies on the data as it is." };
  if (failing.length) return { id, ok: false, figure, why: `Not at 100 %: ${failing.map((k) => k.name).join(", ")}. Fix the mismatches first (orphan legacy pagos and the business warnings do not count).` };
  return { id, ok: true, figure, why: "All four checks at 100 % (orphan legacy pagos and the business warnings are listed, not failures)." };
}

/** The gates, computed from the database (and the caller's consistency summary and throttle state). */
export async function computeGates(db: Exec, inputs: GateInputs): Promise<Gate[]> {
  const active = await queryOne<{ id: number }>(db, sql`select id from migration_runs where status in ('running','paused') order by id desc limit 1`);
  const installed = await isCaptureInstalled(db);
  const backlog = await captureBacklog(db);
  const states = await stateFigures(db);
  const wayBack = await wayBackMismatches(db, 5);
  const dependents = await legacyDependents(db);
  const missing = states.pending + states.failed + states.rolledBack;
  const throttle = inputs.throttle;
  return [
    {
      id: "no_active_run",
      ok: !active,
      figure: active ? `run ${active.id} is active` : "no active run",
      why: active ? "A run writes the new tables from the legacy ones: stop it (or let it finish) first." : "No run is writing the new tables.",
    },
    {
      id: "capture_backlog",
      ok: installed && backlog.entries <= CUTOVER_DEFAULTS.maxBacklog,
      figure: installed ? `${plural(backlog.entries, "entry", "entries")} in the backlog` : "change capture is off",
      why: !installed
        ? "Without change capture the new tables miss the application's latest writes: start a run (it installs capture) and let it finish."
        : backlog.entries > CUTOVER_DEFAULTS.maxBacklog
          ? `More than ${CUTOVER_DEFAULTS.maxBacklog.toLocaleString("en-US")} entries: the switch drains the backlog while the application's writes wait; let the background sync catch up first.`
          : "Capture is on and the switch drains what is left while writes wait.",
    },
    {
      id: "all_migrated",
      ok: missing === 0,
      figure: `${states.pending.toLocaleString("en-US")} pending, ${states.failed.toLocaleString("en-US")} failed, ${states.rolledBack.toLocaleString("en-US")} rolled back`,
      why:
        missing === 0
          ? "Every legacy prestamo has its new row."
          : "A loan without a new row would vanish from the application: fix its data (capture brings it over) or run again with retry.",
    },
    consistencyGate(inputs.consistency),
    {
      id: "throttle",
      ok: !throttle?.active,
      figure: throttle?.active ? `engaged: ${throttle.reasons.join("; ")}` : "not engaged",
      why: throttle?.active ? "The database is under strain: the switch makes the application's writes wait, so wait until it is calm." : "The database is not under strain.",
    },
    {
      id: "way_back",
      ok: wayBack.count === 0,
      figure: wayBack.count === 0 ? "every new row maps back" : `${plural(wayBack.count, "prestamo")} would not map back (${wayBack.sample.map((s) => `${s.legacyId}: ${s.why}`).join(", ")})`,
      why:
        wayBack.count === 0
          ? "Mapping every new row back to the legacy shape and applying the rules again gives the same row: a revert loses nothing."
          : "A revert would change these rows: the way back must be total before the cut-over.",
    },
    {
      id: "no_dependents",
      ok: dependents.length === 0,
      figure: dependents.length === 0 ? "none" : dependents.join(", "),
      why:
        dependents.length === 0
          ? "Nothing else refers to the legacy tables by their identity."
          : "These objects refer to the legacy tables by identity: they would follow the rename to the archive. Drop them or point them at the new tables first.",
    },
  ];
}

function toSwitchDTO(r: Record<string, unknown>): SwitchDTO {
  return {
    id: num(r.id),
    kind: r.kind as SwitchDTO["kind"],
    actor: String(r.actor),
    startedAt: isoTime(r.started_at),
    finishedAt: isoTime(r.finished_at),
    attempts: num(r.attempts),
    lockWaitMs: num(r.lock_wait_ms),
    writesHeldMs: num(r.writes_held_ms),
    drainedEntries: num(r.drained_entries),
    drainedPrestamos: num(r.drained_prestamos),
    totalMs: num(r.total_ms),
    details: (typeof r.details === "string" ? JSON.parse(r.details) : r.details) as Record<string, unknown> | null,
  };
}

export async function getCutoverStatus(db: Exec, inputs: GateInputs): Promise<CutoverStatus> {
  const phase = await getPhase(db);
  const switches = (await queryRows(db, sql`select * from cutover_switches order by id desc limit 20`)).map(toSwitchDTO);
  const archiveExists = (await queryOne<{ e: boolean }>(db, sql`select to_regclass(${ARCHIVE.prestamos}) is not null as e`))?.e === true;
  const reverseInstalled = num((await queryOne(db, sql`select count(*)::int as n from pg_trigger where tgname in (${REVERSE_TRIGGERS.prestamos}, ${REVERSE_TRIGGERS.pagos})`))?.n) === 2;
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
async function recordSwitch(
  tx: Db,
  actor: Actor,
  kind: SwitchDTO["kind"],
  phase: Phase,
  timing: Timing,
  details: Record<string, unknown>,
): Promise<SwitchDTO> {
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

/** Drains the forward backlog inside the switch (writes are locked out): returns the prestamos it synced. */
async function drainForwardLocked(tx: Db, timing: Timing): Promise<number[]> {
  const all: number[] = [];
  for (;;) {
    const taken = await queryRows<{ prestamo_id: number }>(tx, sql`delete from capture_changes returning prestamo_id`);
    if (taken.length === 0) return [...new Set(all)];
    const ids = [...new Set(taken.map((r) => num(r.prestamo_id)))].sort((a, b) => a - b);
    await syncPrestamos(tx, ids, { take: "tracked", followPending: true });
    timing.drainedEntries += taken.length;
    timing.drainedPrestamos += ids.length;
    all.push(...ids);
  }
}

const finalSwitchTiming = (s: SwitchDTO) => ({ lockWaitMs: s.lockWaitMs, writesHeldMs: s.writesHeldMs, drainedEntries: s.drainedEntries, drainedPrestamos: s.drainedPrestamos, attempts: s.attempts, totalMs: s.totalMs });

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
    // The application's writes queue from here; its reads go on until the renames.
    await tx.execute(sql.raw(`LOCK TABLE ${schema}.prestamos, ${schema}.pagos_prestamo IN EXCLUSIVE MODE`));
    timing.locked = Date.now();
    const dependents = await legacyDependents(tx);
    if (dependents.length) throw new AppError("CONFLICT", `Cut-over refused: ${dependents.join(", ")} would follow the rename`, { dependents });
    if (!(await isCaptureInstalled(tx))) throw new AppError("CONFLICT", "Cut-over refused: change capture is off", {});
    const drained = await drainForwardLocked(tx, timing);
    // Re-check, with the writes held: every prestamo has its new row, and the drained ones match.
    const states = await stateFigures(tx, { countQueued: true });
    if (states.pending + states.failed + states.rolledBack > 0) {
      throw new AppError("CONFLICT", "Cut-over refused: the last changes left prestamos without a new row", { ...states });
    }
    if (drained.length) {
      const text = newRowsMismatchSql(`cand AS MATERIALIZED (SELECT l.* FROM prestamos l WHERE l.id = ANY('${intArrayLiteral(drained)}'::int[])),`, "pagos_prestamo");
      const bad = await queryRows<{ legacy_id: number; why: string }>(tx, sql.raw(text));
      if (bad.length) throw new AppError("CONFLICT", `Cut-over refused: ${plural(bad.length, "drained prestamo")} do not match`, { mismatches: bad.slice(0, 20) });
    }
    const seq = await queryOne<{ p: string | null; g: string | null }>(
      tx,
      sql`select pg_get_serial_sequence(${`${schema}.prestamos`}, 'id') as p, pg_get_serial_sequence(${`${schema}.pagos_prestamo`}, 'id') as g`,
    );
    if (!seq?.p || !seq.g) throw new AppError("CONFLICT", "Cut-over refused: the legacy ids do not come from a sequence the views could keep using", {});
    // Forward capture ends and reverse capture begins in this transaction, before any write of the
    // application can reach the new tables.
    for (const stmt of [
      `DROP TRIGGER IF EXISTS ${CAPTURE_TRIGGERS.prestamos} ON ${schema}.prestamos`,
      `DROP TRIGGER IF EXISTS ${CAPTURE_TRIGGERS.pagos} ON ${schema}.pagos_prestamo`,
      ...reverseCaptureDdl(schema),
      `ALTER TABLE ${schema}.prestamos RENAME TO ${ARCHIVE.prestamos}`,
      `ALTER TABLE ${schema}.pagos_prestamo RENAME TO ${ARCHIVE.pagos}`,
      ...compatibilityDdl(schema, { prestamos: seq.p, pagos: seq.g }),
    ]) {
      await tx.execute(sql.raw(stmt));
    }
    await tx.execute(sql`update capture_state set enabled = false, removed_at = now(), removed_by = ${`cut-over by ${actor.name}`} where id = 1`);
    return recordSwitch(tx, actor, "cut_over", "cut_over", timing, { sequences: seq, drainedIds: drained.slice(0, 100) });
  });
  return { phase: "cut_over", switch: result };
}

/**
 * The start of a revert and of finalize, in phase cut_over: the writes through either name queue
 * while the reverse backlog is applied to the archive. Returns the console's schema.
 */
async function holdNewTablesAndApplyReverse(tx: Db, timing: Timing, what: string, opts: { dropViews: boolean }): Promise<string> {
  await lockPhaseRow(tx, "cut_over", what);
  await lockCapture(tx);
  await lockWriters(tx, "exclusive");
  const schema = await consoleSchema(tx);
  // A write through a view holds the view's lock while its trigger waits for the new tables: the
  // views (to be dropped) are taken first, by dropping their triggers (that lock queues writes but
  // not reads, and, unlike LOCK on a view, does not take the new tables with it); measured under
  // live writes, tables first then views deadlocked on every attempt.
  if (opts.dropViews) {
    for (const stmt of [`DROP TRIGGER IF EXISTS ${VIEW_TRIGGERS.pagos} ON ${schema}.pagos_prestamo`, `DROP TRIGGER IF EXISTS ${VIEW_TRIGGERS.prestamos} ON ${schema}.prestamos`]) {
      await tx.execute(sql.raw(stmt));
    }
  }
  await tx.execute(sql.raw(`LOCK TABLE ${schema}.prestamos_new, ${schema}.pagos_prestamo_new IN EXCLUSIVE MODE`));
  timing.locked = Date.now();
  const drained = await takeAndApply(tx);
  timing.drainedEntries = drained.entries;
  timing.drainedPrestamos = drained.prestamos;
  return schema;
}

/**
 * Revert: the same bounded switch the other way. The reverse backlog is drained with the new
 * tables' writes held, the views go, the archive is renamed back, forward capture is installed
 * again: every write made through either name since the cut-over is in the legacy tables.
 */
export async function revert(db: Db, actor: Actor, opts: SwitchOptions = {}): Promise<{ phase: Phase; switch: SwitchDTO }> {
  const result = await boundedSwitch(db, actor, opts, "Revert", async (tx, timing) => {
    const schema = await holdNewTablesAndApplyReverse(tx, timing, "A revert", { dropViews: true });
    for (const stmt of [
      ...dropViewsDdl(schema),
      ...dropReverseCaptureDdl(schema),
      ...dropNewDefaultsDdl(schema),
      `ALTER TABLE ${schema}.${ARCHIVE.prestamos} RENAME TO prestamos`,
      `ALTER TABLE ${schema}.${ARCHIVE.pagos} RENAME TO pagos_prestamo`,
    ]) {
      await tx.execute(sql.raw(stmt));
    }
    await installCapture(tx, `revert by ${actor.name}`);
    // No gap to re-sync: the reverse capture applied every change of the new tables to the archive.
    await tx.execute(sql`update capture_state set resync_after = null, resync_started_at = null, resync_done_at = now() where id = 1`);
    return recordSwitch(tx, actor, "revert", "legacy", timing, {});
  });
  return { phase: "legacy", switch: result };
}

/** Finalize: ends the reverse capture (the way back); drops the views only when asked; never the archive. */
export async function finalize(db: Db, actor: Actor, body: { dropViews?: boolean }, opts: SwitchOptions = {}): Promise<{ phase: Phase; switch: SwitchDTO; archive: { prestamos: string; pagos: string } }> {
  const result = await boundedSwitch(db, actor, opts, "Finalize", async (tx, timing) => {
    // The archive gets the last changes: a faithful copy as of this moment.
    const schema = await holdNewTablesAndApplyReverse(tx, timing, "Finalize", { dropViews: body.dropViews === true });
    for (const stmt of [...dropReverseCaptureDdl(schema), ...(body.dropViews ? dropViewsDdl(schema) : [])]) await tx.execute(sql.raw(stmt));
    return recordSwitch(tx, actor, "finalize", "finalized", timing, { dropViews: body.dropViews === true });
  });
  return { phase: "finalized", switch: result, archive: { prestamos: ARCHIVE.prestamos, pagos: ARCHIVE.pagos } };
}
