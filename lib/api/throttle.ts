/**
 * The throttle's signals (MIGRATION-SPEC §8): their names for scripts, their words for people,
 * and the PATCH body. No drizzle here: the engine, the route and the page share it.
 */
import { z } from "zod";

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

const Level = z.number().finite().min(0).max(1e15);
const SignalPatch = z
  .strictObject({ enabled: z.boolean().optional(), threshold: Level.optional(), resume: Level.optional(), critical: Level.optional() })
  .refine((p) => Object.values(p).some((v) => v !== undefined), { message: "Send at least one of enabled, threshold, resume, critical" });
export type SignalPatch = z.infer<typeof SignalPatch>;

/** PATCH …/throttle: any signal by id, each field optional; unknown ids and fields are 400. */
export const ThrottlePatchBody = z
  .strictObject({
    ...(Object.fromEntries(SIGNAL_IDS.map((id) => [id, SignalPatch.optional()])) as Record<SignalId, z.ZodOptional<typeof SignalPatch>>),
    /** How long a throttle lasts before it alerts (it stays throttled). */
    alertAfterSeconds: z.number().int().min(1).max(7 * 24 * 3600).optional(),
  })
  .refine((b) => Object.values(b).some((v) => v !== undefined), { message: `Send at least one of ${SIGNAL_IDS.join(", ")}, alertAfterSeconds` });
export type ThrottlePatchBody = z.infer<typeof ThrottlePatchBody>;
