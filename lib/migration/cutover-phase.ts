/**
 * The phase of the cut-over (MIGRATION-SPEC §9) and the record of each switch: what the pages,
 * the checklist and the report say about where the system stands. Kept in `cutover_state` and
 * `cutover_switches`; written only by the switches (./cutover.ts).
 */
import { sql } from "drizzle-orm";
import { isoTime, queryOne, queryRows } from "@/db/sql";
import { AppError } from "@/lib/errors";
import { fmtCount } from "./vocabulary";
import type { Exec as Tx } from "@/db/client";

export const PHASES = ["legacy", "cut_over", "finalized"] as const;
export type Phase = (typeof PHASES)[number];

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
    throw new AppError(
      "CONFLICT",
      `The system is ${phase === "cut_over" ? "cut over" : "finalized"}: the new tables are the source of truth, ${what} is not possible`,
      { phase },
    );
  }
}

const num = (v: unknown) => Number(v ?? 0);

export function toSwitchDTO(r: Record<string, unknown>): SwitchDTO {
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

/** The phase as a reader means it: a legacy phase after a revert is not the same as never cut over. */
export type PhaseShown = "not_cut_over" | "cut_over" | "reverted" | "finalized";

export interface PhaseView {
  phase: Phase;
  shown: PhaseShown;
  label: string;
  /** The switch that led here, in words (null before any). */
  since: string | null;
  /** What the phase means for the tables. */
  words: string;
  /** Every switch, newest first (at most 20). */
  switches: SwitchDTO[];
}

const ARCHIVE_NAMES = "prestamos_legacy and pagos_prestamo_legacy";
const SWITCH_NAME: Record<SwitchDTO["kind"], string> = { cut_over: "Cut over", revert: "Reverted", finalize: "Finalized" };

const switchTail = (s: SwitchDTO) =>
  `${s.finishedAt ? `${s.finishedAt.slice(0, 16).replace("T", " ")} UTC` : "(time unknown)"} by ${s.actor} (writes held ${fmtCount(s.writesHeldMs)} ms, ${fmtCount(s.drainedEntries)} changes drained)`;

/** One switch in words: "Cut over 2026-12-02 00:44 UTC by admin (writes held 154 ms, 45 changes drained)". */
export const switchWords = (s: SwitchDTO) => `${SWITCH_NAME[s.kind]} ${switchTail(s)}`;

/** "Cut over since …: the new tables are …" — the phase line of the pages and the report. */
export const phaseSentence = (v: PhaseView) => `${v.label}${v.since ? ` since ${v.since}` : ""}: ${v.words}`;

const MEANING: Record<PhaseShown, { label: string; words: string }> = {
  not_cut_over: { label: "Not cut over", words: "the legacy tables are the source of truth; capture keeps the new tables in step." },
  cut_over: {
    label: "Cut over",
    words: `the new tables are the source of truth; prestamos and pagos_prestamo are views over them, and the archive (${ARCHIVE_NAMES}) follows through reverse capture as the way back.`,
  },
  reverted: {
    label: "Reverted",
    words: "the legacy tables are the source of truth again, with every write made since the cut-over; capture keeps the new tables in step.",
  },
  finalized: {
    label: "Finalized",
    words: `the new tables are the only source of truth; there is no way back, and the archive (${ARCHIVE_NAMES}) is a copy as of that moment.`,
  },
};

/** The phase and the switches, read cheaply (two small tables): what every page's phase line shows. */
export async function getPhaseView(db: Exec): Promise<PhaseView> {
  const phase = await getPhase(db);
  const switches = (await queryRows(db, sql`select * from cutover_switches order by id desc limit 20`)).map(toSwitchDTO);
  const last = switches[0];
  const shown: PhaseShown = phase === "legacy" ? (last?.kind === "revert" ? "reverted" : "not_cut_over") : phase;
  return { phase, shown, ...MEANING[shown], since: last && shown !== "not_cut_over" ? switchTail(last) : null, switches };
}
