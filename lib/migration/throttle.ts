/**
 * The throttle (MIGRATION-SPEC §8): decides from the signals (./throttle-signals.ts) and the
 * levels (./throttle-settings.ts) whether a run may take its next batch, keeps the episodes in
 * the database, and says what the API, progress, metrics and the page show. The loop that reads
 * the signals every second lives in ./throttler.ts; this module is the part without timers.
 */
import { sql } from "drizzle-orm";
import type { Db, Driver, Exec } from "@/db/client";
import { isoTime, queryOne, queryRows } from "@/db/sql";
import { systemActor, writeAudit } from "@/lib/audit";
import { emitEvent, emitRunEvent } from "./events";
import { toRunDTO } from "./runs";
import { getThrottleSettings, type SignalLevels, type ThrottleSettings } from "./throttle-settings";
import type { Reading } from "./throttle-signals";
import { describeReason, SIGNAL_IDS, SIGNAL_META, type SignalId, type SignalState, type ThrottleReason } from "./vocabulary";

export {
  APP_LATENCY_FLOOR_MS,
  DEFAULT_ALERT_AFTER_SECONDS,
  DEFAULT_CRITICAL_AFTER_SECONDS,
  getThrottleSettings,
  setThrottleSettings,
  type SignalLevels,
  type ThrottleSettings,
} from "./throttle-settings";
export { newProbeMemory, probeBaseline, probeOnce, readSignals, type ProbeMemory, type Reading } from "./throttle-signals";

/* ── Deciding ─────────────────────────────────────────────────────────────────────── */

export interface SignalView extends Reading, SignalLevels {
  state: SignalState;
}

/**
 * A signal's state: over at threshold (≥), critical at its critical level, elevated between its
 * resume level and its threshold (an engaged throttle holds), unknown when unreadable; ok whatever
 * its value when the reading says why it is calm.
 */
export function signalState(r: Reading, levels: SignalLevels): SignalState {
  if (!r.applicable) return "not_applicable";
  if (!levels.enabled) return "disabled";
  if (r.value === null) return "unknown";
  if (r.calm) return "ok";
  if (r.value >= levels.critical) return "critical";
  if (r.value >= levels.threshold) return "over";
  if (r.value >= levels.resume) return "elevated";
  return "ok";
}

export const holdsThrottle = (s: SignalState) => s === "over" || s === "critical" || s === "unknown";

export function evaluate(readings: Reading[], settings: ThrottleSettings): SignalView[] {
  return readings.map((r) => ({ ...r, ...settings.signals[r.id], state: signalState(r, settings.signals[r.id]) }));
}

const reasonOf = (s: SignalView): ThrottleReason => ({
  signal: s.id,
  value: s.value,
  threshold: s.state === "critical" ? s.critical : s.threshold,
  ...(s.why ? { why: s.why } : {}),
});

export interface TickOutcome {
  engaged: boolean;
  opened: boolean;
  resumed: boolean;
  halted: number | null;
  alerted: boolean;
  views: SignalView[];
}

/**
 * One decision, in one transaction: records the sample, opens an episode when a signal is over
 * (or unknown), closes it when every signal is under its resume level, raises the long-throttle
 * alert once, and halts the active run at a critical level. Any instance may run it; the open
 * episode is one row (partial unique index), locked here.
 */
export async function recordTick(
  db: Db,
  views: SignalView[],
  settings: ThrottleSettings,
  opts: { instance: string } = { instance: "console" },
): Promise<TickOutcome> {
  const over = views.filter((v) => holdsThrottle(v.state));
  const stillHeld = views.some((v) => holdsThrottle(v.state) || v.state === "elevated");
  const critical = views.filter((v) => v.state === "critical");
  return db.transaction(async (tx) => {
    await tx.execute(
      sql`insert into throttle_samples (signals) values (${JSON.stringify(views.map((v) => ({ id: v.id, value: v.value, state: v.state, ...(v.why ? { why: v.why } : {}), ...(v.calm ? { calm: v.calm } : {}) })))}::jsonb)`,
    );
    await tx.execute(sql`delete from throttle_samples where at < now() - interval '10 minutes'`);
    const run = await queryOne<{ id: number; status: string }>(
      tx,
      sql`select id, status from migration_runs where status in ('running','paused') order by id desc limit 1`,
    );
    let open = await queryOne<{ id: number; started_at: string; worst: unknown; alerted_at: string | null; outcome: string | null; elapsed: number }>(
      tx,
      sql`select id, started_at::text, worst, alerted_at::text, outcome, extract(epoch from now() - started_at)::float8 as elapsed
          from throttle_episodes where ended_at is null for update`,
    );
    const result: TickOutcome = { engaged: false, opened: false, resumed: false, halted: null, alerted: false, views };
    if (!open && over.length > 0) {
      const reasons = over.map(reasonOf);
      open = await queryOne(
        tx,
        sql`insert into throttle_episodes (run_id, reasons, worst) values (${run?.id ?? null}, ${JSON.stringify(reasons)}::jsonb, '{}'::jsonb)
            on conflict do nothing
            returning id, started_at::text, worst, alerted_at::text, outcome, 0::float8 as elapsed`,
      );
      if (open) {
        result.opened = true;
        await writeAudit(tx, systemActor(), {
          action: "throttle.engaged",
          target: run ? `run:${run.id}` : null,
          outcome: "ok",
          details: { episode: Number(open.id), reasons, by: opts.instance },
        });
        const data = { episode: Number(open.id), reasons, words: reasons.map(describeReason) };
        if (run) await emitRunEvent(tx, "run.throttled", { id: run.id }, data);
        else await emitEvent(tx, "run.throttled", { run: null, ...data });
      }
    }
    if (!open) return result;
    const episodeId = Number(open.id);
    const worst = { ...((typeof open.worst === "string" ? JSON.parse(open.worst) : open.worst) as Record<string, number>) };
    for (const v of views)
      if (v.value !== null && v.state !== "not_applicable" && v.state !== "disabled") worst[v.id] = Math.max(worst[v.id] ?? -Infinity, v.value);
    if (!stillHeld) {
      await tx.execute(
        sql`update throttle_episodes set ended_at = now(), worst = ${JSON.stringify(worst)}::jsonb, outcome = coalesce(outcome, 'resumed') where id = ${episodeId}`,
      );
      await writeAudit(tx, systemActor(), {
        action: "throttle.released",
        target: run ? `run:${run.id}` : null,
        outcome: "ok",
        details: { episode: episodeId, seconds: Number(open.elapsed) },
      });
      const data = { episode: episodeId, seconds: Math.round(Number(open.elapsed) * 10) / 10 };
      if (run) await emitRunEvent(tx, "run.resumed_from_throttle", { id: run.id }, data);
      else await emitEvent(tx, "run.resumed_from_throttle", { run: null, ...data });
      result.resumed = true;
      return result;
    }
    result.engaged = true;
    let outcome: string | null = open.outcome;
    const lasting = run ? await criticalFor(tx, critical, settings.criticalAfterSeconds) : [];
    if (lasting.length > 0 && run) {
      const words = lasting.map((c) => describeReason(reasonOf(c))).join("; ");
      const detail = `halted by the throttle: ${words} (critical)`;
      const halted = await queryOne(
        tx,
        sql`update migration_runs set status = 'halted', ended_at = now(), stop_reason = 'throttle_critical', stop_detail = ${detail},
              lease_owner = null, lease_expires_at = null, heartbeat_at = now()
            where id = ${run.id} and status in ('running','paused') returning *`,
      );
      if (halted) {
        outcome = "halted";
        result.halted = run.id;
        await writeAudit(tx, systemActor(), {
          action: "migration.halt",
          target: `run:${run.id}`,
          outcome: "ok",
          details: { reason: "throttle_critical", critical: lasting.map(reasonOf), criticalAfterSeconds: settings.criticalAfterSeconds, episode: episodeId },
        });
        await emitRunEvent(tx, "run.halted", toRunDTO(halted), { reason: "throttle_critical", detail });
      }
    }
    let alertedAt = open.alerted_at;
    if (!alertedAt && Number(open.elapsed) >= settings.alertAfterSeconds) {
      alertedAt = "now";
      result.alerted = true;
      const data = { episode: episodeId, seconds: Math.round(Number(open.elapsed)), limitSeconds: settings.alertAfterSeconds, reasons: over.map(reasonOf) };
      await writeAudit(tx, systemActor(), { action: "throttle.long", target: run ? `run:${run.id}` : null, outcome: "ok", details: data });
      await emitEvent(tx, "run.throttled_long", { run: run ? { id: run.id } : null, ...data });
    }
    await tx.execute(
      sql`update throttle_episodes set worst = ${JSON.stringify(worst)}::jsonb, outcome = ${outcome},
            alerted_at = case when ${result.alerted}::boolean then now() else alerted_at end
          where id = ${episodeId}`,
    );
    return result;
  });
}

/**
 * The critical signals whose every reading (this one included) has been critical for at least
 * `seconds`: the streak starts at the first critical reading after the last one that was not.
 */
async function criticalFor(tx: Exec, critical: SignalView[], seconds: number): Promise<SignalView[]> {
  const lasting: SignalView[] = [];
  for (const v of critical) {
    const isCritical = sql`signals @> ${JSON.stringify([{ id: v.id, state: "critical" }])}::jsonb`;
    const streak = await queryOne<{ lasted: boolean }>(
      tx,
      sql`select coalesce(min(at) <= now() - make_interval(secs => ${seconds}), false) as lasted from throttle_samples
          where at > coalesce((select max(at) from throttle_samples where not ${isCritical}), '-infinity')`,
    );
    if (streak?.lasted) lasting.push(v);
  }
  return lasting;
}

/* ── What the API, progress, metrics and the page show ───────────────────────────── */

export interface EpisodeDTO {
  id: number;
  runId: number | null;
  startedAt: string | null;
  endedAt: string | null;
  seconds: number;
  reasons: ThrottleReason[];
  worst: Partial<Record<SignalId, number>>;
  outcome: "open" | "resumed" | "halted";
  alertedAt: string | null;
}

export interface ThrottleSummary {
  active: boolean;
  since: string | null;
  reasons: ThrottleReason[];
  /** The throttle has lasted longer than its alert limit. */
  long: boolean;
}

export interface ThrottleDTO extends ThrottleSummary {
  applicable: boolean;
  alertAfterSeconds: number;
  criticalAfterSeconds: number;
  readAt: string | null;
  signals: (SignalView & { label: string; unit: string })[];
  /** The last five minutes of readings, oldest first: the page's small charts. */
  history: { at: string; values: Partial<Record<SignalId, number | null>> }[];
  episodes: EpisodeDTO[];
  settingsUpdatedBy: string | null;
  settingsUpdatedAt: string | null;
}

/** Readings older than this are no readings: the signals show unknown (the reader is not running). */
const STALE_SAMPLE_SECONDS = 5;

type SampleSignal = { id: SignalId; value: number | null; state: SignalState; why?: string; calm?: string };

function toEpisode(r: Record<string, unknown>): EpisodeDTO {
  const json = (v: unknown) => (typeof v === "string" ? JSON.parse(v) : v);
  return {
    id: Number(r.id),
    runId: r.run_id == null ? null : Number(r.run_id),
    startedAt: isoTime(r.started_at),
    endedAt: isoTime(r.ended_at),
    seconds: Math.round(Number(r.seconds ?? 0) * 10) / 10,
    reasons: (json(r.reasons) as ThrottleReason[]) ?? [],
    worst: (json(r.worst) as Record<SignalId, number>) ?? {},
    outcome: r.ended_at == null ? "open" : r.outcome === "halted" ? "halted" : "resumed",
    alertedAt: isoTime(r.alerted_at),
  };
}

export async function listEpisodes(db: Exec, opts: { runId?: number; limit?: number } = {}): Promise<EpisodeDTO[]> {
  const rows = await queryRows(
    db,
    sql`select id, run_id, started_at::text, ended_at::text, reasons, worst, outcome, alerted_at::text,
               extract(epoch from coalesce(ended_at, now()) - started_at)::float8 as seconds
        from throttle_episodes
        where ${opts.runId === undefined ? sql`true` : sql`run_id = ${opts.runId}`}
        order by id desc limit ${opts.limit ?? 50}`,
  );
  return rows.map(toEpisode);
}

/** The cheap part progress carries: whether the run is throttled, since when, why (the latest reading's reasons). */
export async function getThrottleSummary(db: Exec): Promise<ThrottleSummary> {
  const row = await queryOne<{
    started_at: string;
    reasons: unknown;
    alerted_at: string | null;
    sample: unknown;
    fresh: boolean;
    limit_s: number | null;
    elapsed: number;
  }>(
    db,
    sql`select e.started_at::text, e.reasons, e.alerted_at::text, extract(epoch from now() - e.started_at)::float8 as elapsed,
               s.signals as sample, coalesce(s.at > now() - make_interval(secs => ${STALE_SAMPLE_SECONDS}), false) as fresh
        from throttle_episodes e
        left join lateral (select signals, at from throttle_samples order by id desc limit 1) s on true
        where e.ended_at is null`,
  );
  if (!row) return { active: false, since: null, reasons: [], long: false };
  const json = (v: unknown) => (typeof v === "string" ? JSON.parse(v) : v);
  const settings = row.fresh ? await getThrottleSettings(db) : null;
  const live = settings
    ? ((json(row.sample) as SampleSignal[]) ?? [])
        .filter((s) => holdsThrottle(s.state))
        .map((s) => ({
          signal: s.id,
          value: s.value,
          threshold: s.state === "critical" ? settings.signals[s.id].critical : settings.signals[s.id].threshold,
          ...(s.why ? { why: s.why } : {}),
        }))
    : [];
  return {
    active: true,
    since: isoTime(row.started_at),
    reasons: live.length > 0 ? live : ((json(row.reasons) as ThrottleReason[]) ?? []),
    long: row.alerted_at !== null,
  };
}

/** GET …/throttle: the signals as last read with their levels and states, the episode, the history. */
export async function getThrottle(db: Exec, driver: Driver): Promise<ThrottleDTO> {
  const [settings, summary, latest, history, episodes] = await Promise.all([
    getThrottleSettings(db),
    getThrottleSummary(db),
    queryOne<{ at: string; signals: unknown; age: number }>(
      db,
      sql`select at::text, signals, extract(epoch from now() - at)::float8 as age from throttle_samples order by id desc limit 1`,
    ),
    queryRows<{ at: string; signals: unknown }>(db, sql`select at::text, signals from throttle_samples where at > now() - interval '5 minutes' order by id`),
    listEpisodes(db, { limit: 20 }),
  ]);
  const json = (v: unknown) => (typeof v === "string" ? JSON.parse(v) : v);
  const applicable = driver !== "pglite";
  const fresh = latest && Number(latest.age) <= STALE_SAMPLE_SECONDS;
  const sample = new Map(((fresh ? json(latest.signals) : []) as SampleSignal[]).map((s) => [s.id, s]));
  const staleWhy = latest
    ? `no reading for ${Math.round(Number(latest.age))} s: is the console's worker running?`
    : "not read yet: is the console's worker running?";
  const signals = SIGNAL_IDS.map((id) => {
    const levels = settings.signals[id];
    const s = sample.get(id);
    const reading: Reading = !applicable
      ? { id, applicable: false, value: null, why: "the embedded database has no standbys, no other sessions and no WAL archive" }
      : s
        ? { id, applicable: s.state !== "not_applicable", value: s.value, ...(s.why ? { why: s.why } : {}), ...(s.calm ? { calm: s.calm } : {}) }
        : { id, applicable: true, value: null, why: staleWhy };
    // The state as the reader decided it; levels changed since apply at the next read.
    const state: SignalState =
      s && applicable ? (levels.enabled ? (s.state === "disabled" ? signalState(reading, levels) : s.state) : "disabled") : signalState(reading, levels);
    return { ...reading, ...levels, state, label: SIGNAL_META[id].label, unit: SIGNAL_META[id].unit };
  });
  return {
    ...summary,
    applicable,
    alertAfterSeconds: settings.alertAfterSeconds,
    criticalAfterSeconds: settings.criticalAfterSeconds,
    readAt: latest ? isoTime(latest.at) : null,
    signals,
    history: history.map((h) => ({
      at: isoTime(h.at)!,
      values: Object.fromEntries(((json(h.signals) as SampleSignal[]) ?? []).map((s) => [s.id, s.value])) as Partial<Record<SignalId, number | null>>,
    })),
    episodes,
    settingsUpdatedBy: settings.updatedBy,
    settingsUpdatedAt: settings.updatedAt,
  };
}
