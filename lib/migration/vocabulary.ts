/**
 * The engine's words, for everyone who speaks about the migration: failure codes, mismatch
 * categories, the events the engine announces, the phrases a person types to confirm, the
 * throttle's signals. No drizzle and no zod here: lib/api builds its schemas from these lists and
 * the browser imports them without pulling the engine's SQL into its bundles.
 */
/** The failure codes of MIGRATION-SPEC §3 (rules.ts attaches each rule to one of them). */
export const FAILURE_CODES = [
  "INVALID_CLIENTE",
  "INVALID_MONTO",
  "INVALID_TASA",
  "INVALID_PLAZO",
  "INVALID_FECHA",
  "UNKNOWN_ESTADO",
  "UNKNOWN_MONEDA",
  "INVALID_PAGO",
] as const;
export type FailureCode = (typeof FAILURE_CODES)[number];

/** Mismatch categories of the consistency check (MIGRATION-SPEC §5). */
export const MISMATCH_CATEGORIES = [
  "field",
  "totals",
  "status",
  "now_fails",
  "missing_new",
  "missing_pago",
  "wrong_prestamo",
  "orphan_new",
  "untracked_new",
  "orphan_legacy_pago",
  "warning:PAGADO_CON_SALDO",
  "warning:SALDO_CERO_ACTIVO",
  "warning:SOBREPAGO",
] as const;
export type MismatchCategory = (typeof MISMATCH_CATEGORIES)[number];

/** What the engine announces (./events.ts); webhooks subscribe to these names. */
export const ENGINE_EVENTS = [
  "run.started",
  "run.halted",
  "run.stopped",
  "run.finished",
  "run.resumed",
  "consistency.below_100",
  // The throttle (MIGRATION-SPEC §8): engaged, released, and lasting past its alert limit.
  "run.throttled",
  "run.resumed_from_throttle",
  "run.throttled_long",
  "cutover.completed",
  "cutover.reverted",
  "cutover.finalized",
] as const;
export type EngineEvent = (typeof ENGINE_EVENTS)[number];

/* ── What a person types or ticks to confirm ───────────────────────────────────────── */

/** The items a person confirms, by phase. */
export const CONFIRM_ITEMS = {
  preflight: ["backup_taken", "team_notified"],
  checklist: ["issues_documented", "final_backup_taken"],
} as const;
export type ConfirmPhase = keyof typeof CONFIRM_ITEMS;

export const START_ANYWAY = "START ANYWAY";
export const ROLLBACK_ALL_CONFIRMATION = "ROLLBACK ALL";
/** The typed confirmations of the cut-over, the revert and finalize (MIGRATION-SPEC §9). */
export const CUTOVER_CONFIRMATION = "CUT OVER";
export const REVERT_CONFIRMATION = "REVERT";
export const FINALIZE_CONFIRMATION = "FINALIZE";

/* ── The throttle's signals (MIGRATION-SPEC §8): names for scripts, words for people ── */

export const SIGNAL_IDS = ["standby_lag_ms", "standby_lag_bytes", "app_latency", "lock_waits", "active_sessions", "wal_bytes_per_s", "wal_unarchived"] as const;
export type SignalId = (typeof SIGNAL_IDS)[number];

export const SIGNAL_STATES = ["ok", "elevated", "over", "critical", "unknown", "disabled", "not_applicable"] as const;
export type SignalState = (typeof SIGNAL_STATES)[number];

export const SIGNAL_META: Record<SignalId, { label: string; unit: "ms" | "bytes" | "ratio" | "count" | "bytes/s" | "segments" }> = {
  standby_lag_ms: { label: "standby lag", unit: "ms" },
  standby_lag_bytes: { label: "standby lag", unit: "bytes" },
  app_latency: { label: "application latency", unit: "ratio" },
  lock_waits: { label: "sessions waiting on locks", unit: "count" },
  active_sessions: { label: "active sessions", unit: "count" },
  wal_bytes_per_s: { label: "WAL rate", unit: "bytes/s" },
  wal_unarchived: { label: "WAL segments not archived", unit: "segments" },
};

/** The readings are kept 10 minutes: a critical streak is measured on them, so it must be shorter. */
export const MAX_CRITICAL_AFTER_SECONDS = 300;

/** A change of one signal's settings; the PATCH body of lib/api/throttle.ts is checked against it. */
export interface SignalPatch {
  enabled?: boolean;
  threshold?: number;
  resume?: number;
  critical?: number;
}
export type ThrottlePatch = { [id in SignalId]?: SignalPatch } & { alertAfterSeconds?: number; criticalAfterSeconds?: number };

const round1 = (n: number) => (Math.round(n * 10) / 10).toString();

function bytes(n: number): string {
  const units = ["B", "kB", "MB", "GB", "TB"];
  let v = n;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? String(Math.round(v)) : round1(v)} ${units[i]}`;
}

/** A signal's value in its unit, as a person reads it: "7.2 s", "300 MB", "2.4×", "6". */
export function formatSignalValue(id: SignalId, value: number | null): string {
  if (value === null) return "unknown";
  switch (SIGNAL_META[id].unit) {
    case "ms":
      return value >= 1000 ? `${round1(value / 1000)} s` : `${Math.round(value)} ms`;
    case "bytes":
      return bytes(value);
    case "bytes/s":
      return `${bytes(value)}/s`;
    case "ratio":
      return `${round1(value)}×`;
    default:
      return String(Math.round(value * 10) / 10);
  }
}

export interface ThrottleReason {
  signal: SignalId;
  value: number | null;
  threshold: number;
  /** Why the value is unknown (the throttle fails closed), or what made it critical. */
  why?: string;
}

/** "standby lag 7.2 s ≥ 5 s", or "lock waits unknown: …" for a signal that could not be read. */
export function describeReason(r: ThrottleReason): string {
  const label = SIGNAL_META[r.signal]?.label ?? r.signal;
  if (r.value === null) return `${label} unknown${r.why ? `: ${r.why}` : ""}`;
  return `${label} ${formatSignalValue(r.signal, r.value)} ≥ ${formatSignalValue(r.signal, r.threshold)}`;
}

/** The prestamo explorer's state filter (GET /api/prestamos). */
export const PRESTAMO_LIST_STATES = ["pending", "migrated", "failed", "rolled_back", "stale"] as const;
export type PrestamoListState = (typeof PRESTAMO_LIST_STATES)[number];

/** A count in the engine's sentences (run outcomes, gate figures): grouped as the console prints it, "1,000". */
export const fmtCount = (n: number): string => n.toLocaleString("en-US");
