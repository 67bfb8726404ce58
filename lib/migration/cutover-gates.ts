/**
 * The gates of a cut-over (MIGRATION-SPEC §9), each measured from the database with its figure,
 * and the checks of the way back: every new row maps back to the legacy shape, and, once cut
 * over, the archive is what the new tables map back to.
 */
import { sql } from "drizzle-orm";
import { queryOne, queryRows } from "@/db/sql";
import { captureBacklog, isCaptureInstalled } from "./capture";
import type { ConsistencySummary } from "./consistency";
import { ARCHIVE } from "./reverse-capture";
import { newRowsMismatchSql, wayBackMismatchSql } from "./sql-builder";
import { fmtCount } from "./vocabulary";
import type { Exec as Tx } from "@/db/client";

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

/** What the caller knows of things computed elsewhere (the route reads the consistency cache and the throttle). */
export interface GateInputs {
  consistency: { summary: ConsistencySummary; ageMs: number } | null;
  throttle?: { active: boolean; reasons: string[] } | null;
}

type Exec = Tx;

const num = (v: unknown) => Number(v ?? 0);
export const plural = (n: number, one: string, many = `${one}s`) => `${fmtCount(n)} ${n === 1 ? one : many}`;

/** Views, rules and foreign keys of others on the legacy tables: they would follow a rename to the archive. */
export async function legacyDependents(db: Exec): Promise<string[]> {
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
    const rows = await queryRows<{ legacy_id: number; why: string | null }>(db, wayBackMismatchSql(lo, Math.min(lo + WAY_BACK_CHUNK, num(range.hi))));
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
    const archive = sql.raw(ARCHIVE.prestamos);
    const rows = [
      ...(await queryRows<{ legacy_id: number; why: string | null }>(
        db,
        newRowsMismatchSql(sql`cand AS MATERIALIZED (SELECT l.* FROM ${archive} l WHERE l.id > ${lo}::bigint AND l.id <= ${hi}::bigint),`, ARCHIVE.pagos),
      )),
      ...(await queryRows<{ legacy_id: number; why: string | null }>(
        db,
        sql`select n.legacy_id, 'not in the archive' as why from prestamos_new n
            where n.legacy_id > ${lo}::bigint and n.legacy_id <= ${hi}::bigint and not exists (select 1 from ${archive} a where a.id = n.legacy_id)`,
      )),
    ];
    count += rows.length;
    for (const r of rows) if (sample.length < limit) sample.push({ legacyId: num(r.legacy_id), why: r.why ?? "differs" });
  }
  return { count, sample };
}

/**
 * Prestamos without a new row, by state. A pending one the capture queue names (a loan the
 * application just added) is not counted: the switch drains the queue and refuses if a drained
 * prestamo fails the rules (what it drains with the writes held is compared field by field).
 */
export async function stateFigures(db: Exec): Promise<{ pending: number; failed: number; rolledBack: number }> {
  const row = await queryOne(
    db,
    sql`select count(*) filter (where s.legacy_id is null and l.id not in (select prestamo_id from capture_changes))::int as pending,
               count(*) filter (where s.state = 'failed')::int as failed,
               count(*) filter (where s.state = 'rolled_back')::int as rolled_back
        from prestamos l left join migration_state s on s.legacy_id = l.id`,
  );
  return { pending: num(row?.pending), failed: num(row?.failed), rolledBack: num(row?.rolled_back) };
}

function consistencyGate(input: GateInputs["consistency"]): Gate {
  const id = "consistency" as const;
  if (!input)
    return {
      id,
      ok: false,
      figure: "not computed",
      why: "No consistency check has run yet: open the Consistency page (or GET …/consistency) and let it finish.",
    };
  const { summary: c, ageMs } = input;
  const minutes = Math.floor(ageMs / 60_000);
  const r = c.relationships;
  const relationshipProblems =
    r.missingPagos + r.wrongPrestamoPagos + r.orphanNewPrestamos + r.orphanNewPagos + r.missingNewPrestamos + r.untrackedNewPrestamos;
  const checks = [
    { name: "field match", ok: c.fieldMatch.mismatching === 0 && c.nowFails === 0, figure: `${c.fieldMatch.matchingPct ?? 100} %` },
    {
      name: "payment totals",
      ok: c.paymentTotals.differenceCents === "0" && c.paymentTotals.prestamosDiffering === 0,
      figure: `${c.paymentTotals.accuracyPct} %`,
    },
    { name: "status", ok: c.status.mismatching === 0, figure: `${plural(c.status.mismatching, "estado")} differing` },
    { name: "relationships", ok: relationshipProblems === 0, figure: `${plural(relationshipProblems, "problem")}` },
  ];
  if (c.migrated === 0) return { id, ok: false, figure: "nothing migrated", why: "A check over no migrated prestamo proves nothing: migrate first." };
  const failing = checks.filter((k) => !k.ok);
  const fresh = ageMs <= CUTOVER_DEFAULTS.consistencyMaxAgeMs;
  const figure = `${checks.map((k) => `${k.name} ${k.figure}`).join(", ")}; computed ${minutes === 0 ? "less than a minute" : plural(minutes, "minute")} ago`;
  if (!fresh)
    return { id, ok: false, figure, why: "The last consistency check is older than 30 minutes: run it again so the cut-over relies on the data as it is." };
  if (failing.length)
    return {
      id,
      ok: false,
      figure,
      why: `Not at 100 %: ${failing.map((k) => k.name).join(", ")}. Fix the mismatches first (orphan legacy pagos and the business warnings do not count).`,
    };
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
          ? `More than ${fmtCount(CUTOVER_DEFAULTS.maxBacklog)} entries: the switch drains the backlog while the application's writes wait; let the background sync catch up first.`
          : "Capture is on and the switch drains what is left while writes wait.",
    },
    {
      id: "all_migrated",
      ok: missing === 0,
      figure: `${fmtCount(states.pending)} pending, ${fmtCount(states.failed)} failed, ${fmtCount(states.rolledBack)} rolled back`,
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
      why: throttle?.active
        ? "The database is under strain: the switch makes the application's writes wait, so wait until it is calm."
        : "The database is not under strain.",
    },
    {
      id: "way_back",
      ok: wayBack.count === 0,
      figure:
        wayBack.count === 0
          ? "every new row maps back"
          : `${plural(wayBack.count, "prestamo")} would not map back (${wayBack.sample.map((s) => `${s.legacyId}: ${s.why}`).join(", ")})`,
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
