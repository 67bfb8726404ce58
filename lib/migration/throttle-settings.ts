/**
 * The throttle's levels (MIGRATION-SPEC §8): §8's defaults, the admin's overrides kept in
 * console_settings, and their validation (resume ≤ threshold ≤ critical), audited.
 */
import { sql } from "drizzle-orm";
import type { Db, Exec } from "@/db/client";
import { isoTime, queryOne } from "@/db/sql";
import { writeAudit, type Actor } from "@/lib/audit";
import { AppError } from "@/lib/errors";
import { SIGNAL_IDS, type SignalId, type ThrottlePatch as ThrottlePatchBody } from "./vocabulary";

export interface SignalLevels {
  enabled: boolean;
  threshold: number;
  resume: number;
  critical: number;
}

const MB = 1024 * 1024;
/** §8's defaults. Resume is half the threshold, except for the latency ratio (see resumeDefault). */
const DEFAULT_THRESHOLDS: Record<SignalId, { enabled: boolean; threshold: number; critical?: number }> = {
  standby_lag_ms: { enabled: true, threshold: 5000, critical: 60_000 },
  standby_lag_bytes: { enabled: true, threshold: 256 * MB },
  // Not §8's 2×: measured at 1M, a run that about halved the application's writes moved the
  // probe's median from 2 ms to 3.5–6.5 ms (1.75–3.25×); at 2× the throttle let most of it through.
  app_latency: { enabled: true, threshold: 1.5, critical: 20 },
  lock_waits: { enabled: true, threshold: 5 },
  active_sessions: { enabled: true, threshold: 32 },
  wal_bytes_per_s: { enabled: false, threshold: 64 * MB },
  wal_unarchived: { enabled: false, threshold: 64 },
};
/**
 * The latency probe must also be this much slower than its baseline to count. §8 says 5 ms; the
 * probe commits in about 2 ms here, and a run that about halved the application's writes made it
 * 1.5–4.5 ms slower: under 5 ms the throttle never engaged on latency.
 */
export const APP_LATENCY_FLOOR_MS = 1;
export const DEFAULT_ALERT_AFTER_SECONDS = 15 * 60;
/**
 * A critical level halts the run only once every reading for this long was critical (gh-ost's
 * critical-load-interval). §8 halts at the first; measured at 1M, a commit stall of a few seconds
 * put the probe's median at 143× and halted a run the throttle was already holding back.
 */
export const DEFAULT_CRITICAL_AFTER_SECONDS = 30;
const SETTINGS_KEY = "throttle.signals";

/**
 * The probe's value is a ratio to its baseline: half of a 2× threshold would be 1×, which a probe
 * reaches only half of the time, so a throttle would never end. Its resume level is midway
 * between the baseline (1×) and the threshold instead.
 */
const resumeDefault = (id: SignalId, threshold: number) => (id === "app_latency" ? 1 + (threshold - 1) / 2 : threshold / 2);
const criticalDefault = (id: SignalId, threshold: number) =>
  DEFAULT_THRESHOLDS[id].critical !== undefined && threshold === DEFAULT_THRESHOLDS[id].threshold ? DEFAULT_THRESHOLDS[id].critical : threshold * 10;

export interface ThrottleSettings {
  signals: Record<SignalId, SignalLevels>;
  alertAfterSeconds: number;
  criticalAfterSeconds: number;
  updatedBy: string | null;
  updatedAt: string | null;
}

type StoredSettings = { signals?: Partial<Record<SignalId, Partial<SignalLevels>>>; alertAfterSeconds?: number; criticalAfterSeconds?: number };

/** Stored overrides on top of the defaults; a resume or critical level not set follows the threshold. */
function resolve(stored: StoredSettings): Pick<ThrottleSettings, "signals" | "alertAfterSeconds" | "criticalAfterSeconds"> {
  const signals = {} as Record<SignalId, SignalLevels>;
  for (const id of SIGNAL_IDS) {
    const o = stored.signals?.[id] ?? {};
    const threshold = o.threshold ?? DEFAULT_THRESHOLDS[id].threshold;
    signals[id] = {
      enabled: o.enabled ?? DEFAULT_THRESHOLDS[id].enabled,
      threshold,
      resume: o.resume ?? resumeDefault(id, threshold),
      critical: o.critical ?? criticalDefault(id, threshold),
    };
  }
  return {
    signals,
    alertAfterSeconds: stored.alertAfterSeconds ?? DEFAULT_ALERT_AFTER_SECONDS,
    criticalAfterSeconds: stored.criticalAfterSeconds ?? DEFAULT_CRITICAL_AFTER_SECONDS,
  };
}

async function readStored(db: Exec): Promise<{ stored: StoredSettings; updatedBy: string | null; updatedAt: string | null }> {
  const row = await queryOne<{ value: unknown; updated_by: string; updated_at: string }>(
    db,
    sql`select value, updated_by, updated_at::text as updated_at from console_settings where key = ${SETTINGS_KEY}`,
  );
  const raw = typeof row?.value === "string" ? JSON.parse(row.value) : row?.value;
  return {
    stored: raw && typeof raw === "object" ? (raw as StoredSettings) : {},
    updatedBy: row?.updated_by ?? null,
    updatedAt: isoTime(row?.updated_at ?? null),
  };
}

export async function getThrottleSettings(db: Exec): Promise<ThrottleSettings> {
  const { stored, updatedBy, updatedAt } = await readStored(db);
  return { ...resolve(stored), updatedBy, updatedAt };
}

/**
 * Applies a PATCH (admin, audited with the levels before and after). Levels must keep
 * resume ≤ threshold ≤ critical once merged, else 400 and nothing changes.
 */
export async function setThrottleSettings(db: Db, patch: ThrottlePatchBody, actor: Actor): Promise<ThrottleSettings> {
  return db.transaction(async (tx) => {
    // One PATCH at a time: two admins editing different signals both keep their change.
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${SETTINGS_KEY}))`);
    const { stored } = await readStored(tx);
    const before = resolve(stored);
    const next: StoredSettings = {
      signals: { ...(stored.signals ?? {}) },
      alertAfterSeconds: patch.alertAfterSeconds ?? stored.alertAfterSeconds,
      criticalAfterSeconds: patch.criticalAfterSeconds ?? stored.criticalAfterSeconds,
    };
    for (const id of SIGNAL_IDS) {
      const p = patch[id];
      if (!p) continue;
      const merged: Partial<SignalLevels> = { ...(next.signals![id] ?? {}) };
      for (const k of ["enabled", "threshold", "resume", "critical"] as const) if (p[k] !== undefined) (merged as Record<string, unknown>)[k] = p[k];
      next.signals![id] = merged;
    }
    const after = resolve(next);
    const bad = SIGNAL_IDS.filter((id) => {
      const s = after.signals[id];
      return !(s.resume <= s.threshold && s.threshold <= s.critical);
    }).map((id) => ({
      path: [id],
      message: `${id}: resume ≤ threshold ≤ critical must hold (resume ${after.signals[id].resume}, threshold ${after.signals[id].threshold}, critical ${after.signals[id].critical})`,
    }));
    if (bad.length > 0) throw new AppError("VALIDATION_ERROR", bad.map((b) => b.message).join("; "), { issues: bad });
    await tx.execute(sql`insert into console_settings (key, value, updated_by, updated_at)
                         values (${SETTINGS_KEY}, ${JSON.stringify(next)}::jsonb, ${actor.name}, now())
                         on conflict (key) do update set value = excluded.value, updated_by = excluded.updated_by, updated_at = now()`);
    const changed = Object.fromEntries(SIGNAL_IDS.filter((id) => patch[id]).map((id) => [id, { from: before.signals[id], to: after.signals[id] }]));
    await writeAudit(tx, actor, {
      action: "throttle.settings",
      target: SETTINGS_KEY,
      outcome: "ok",
      status: 200,
      details: {
        ...changed,
        ...(patch.alertAfterSeconds !== undefined ? { alertAfterSeconds: { from: before.alertAfterSeconds, to: after.alertAfterSeconds } } : {}),
        ...(patch.criticalAfterSeconds !== undefined ? { criticalAfterSeconds: { from: before.criticalAfterSeconds, to: after.criticalAfterSeconds } } : {}),
      },
    });
    return getThrottleSettings(tx);
  });
}
