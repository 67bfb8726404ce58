/**
 * The throttle (MIGRATION-SPEC §8): reads what a DBA watches, decides whether a run may take its
 * next batch, and keeps its episodes and settings in the database. The loop that reads the
 * signals every second lives in ./throttler.ts; this module is the part without timers.
 */
import { sql } from "drizzle-orm";
import type { Db, Driver, Exec } from "@/db/client";
import { isoTime, queryOne, queryRows } from "@/db/sql";
import { systemActor, writeAudit, type Actor } from "@/lib/audit";
import { AppError, rootMessage } from "@/lib/errors";
import { emitEvent, emitRunEvent } from "./events";
import { toRunDTO } from "./runs";
import { describeReason, SIGNAL_IDS, SIGNAL_META, type SignalId, type SignalState, type ThrottlePatch as ThrottlePatchBody, type ThrottleReason } from "./vocabulary";

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
  app_latency: { enabled: true, threshold: 2 },
  lock_waits: { enabled: true, threshold: 5 },
  active_sessions: { enabled: true, threshold: 32 },
  wal_bytes_per_s: { enabled: false, threshold: 64 * MB },
  wal_unarchived: { enabled: false, threshold: 64 },
};
/** The latency probe must also be this much slower than its baseline to count (§8: "+ 5 ms"). */
export const APP_LATENCY_FLOOR_MS = 5;
export const DEFAULT_ALERT_AFTER_SECONDS = 15 * 60;
/** A standby this close to the primary is caught up even when it reports no replay lag (idle). */
const NEAR_ZERO_BYTES = MB;
const SETTINGS_KEY = "throttle.signals";

/**
 * The probe's value is a ratio to its baseline: half of a 2× threshold would be 1×, which a probe
 * reaches only half of the time, so a throttle would never end. Its resume level is midway
 * between the baseline (1×) and the threshold instead.
 */
const resumeDefault = (id: SignalId, threshold: number) => (id === "app_latency" ? 1 + (threshold - 1) / 2 : threshold / 2);
const criticalDefault = (id: SignalId, threshold: number) => (id === "standby_lag_ms" && threshold === DEFAULT_THRESHOLDS[id].threshold ? DEFAULT_THRESHOLDS[id].critical! : threshold * 10);

export interface ThrottleSettings {
  signals: Record<SignalId, SignalLevels>;
  alertAfterSeconds: number;
  updatedBy: string | null;
  updatedAt: string | null;
}

type StoredSettings = { signals?: Partial<Record<SignalId, Partial<SignalLevels>>>; alertAfterSeconds?: number };

/** Stored overrides on top of the defaults; a resume or critical level not set follows the threshold. */
function resolve(stored: StoredSettings): Pick<ThrottleSettings, "signals" | "alertAfterSeconds"> {
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
  return { signals, alertAfterSeconds: stored.alertAfterSeconds ?? DEFAULT_ALERT_AFTER_SECONDS };
}

async function readStored(db: Exec): Promise<{ stored: StoredSettings; updatedBy: string | null; updatedAt: string | null }> {
  const row = await queryOne<{ value: unknown; updated_by: string; updated_at: string }>(
    db,
    sql`select value, updated_by, updated_at::text as updated_at from console_settings where key = ${SETTINGS_KEY}`,
  );
  const raw = typeof row?.value === "string" ? JSON.parse(row.value) : row?.value;
  return { stored: raw && typeof raw === "object" ? (raw as StoredSettings) : {}, updatedBy: row?.updated_by ?? null, updatedAt: isoTime(row?.updated_at ?? null) };
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
    const next: StoredSettings = { signals: { ...(stored.signals ?? {}) }, alertAfterSeconds: patch.alertAfterSeconds ?? stored.alertAfterSeconds };
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
    }).map((id) => ({ path: [id], message: `${id}: resume ≤ threshold ≤ critical must hold (resume ${after.signals[id].resume}, threshold ${after.signals[id].threshold}, critical ${after.signals[id].critical})` }));
    if (bad.length > 0) throw new AppError("VALIDATION_ERROR", bad.map((b) => b.message).join("; "), { issues: bad });
    await tx.execute(sql`insert into console_settings (key, value, updated_by, updated_at)
                         values (${SETTINGS_KEY}, ${JSON.stringify(next)}::jsonb, ${actor.name}, now())
                         on conflict (key) do update set value = excluded.value, updated_by = excluded.updated_by, updated_at = now()`);
    const changed = Object.fromEntries(
      SIGNAL_IDS.filter((id) => patch[id]).map((id) => [id, { from: before.signals[id], to: after.signals[id] }]),
    );
    await writeAudit(tx, actor, {
      action: "throttle.settings",
      target: SETTINGS_KEY,
      outcome: "ok",
      status: 200,
      details: { ...changed, ...(patch.alertAfterSeconds !== undefined ? { alertAfterSeconds: { from: before.alertAfterSeconds, to: after.alertAfterSeconds } } : {}) },
    });
    return getThrottleSettings(tx);
  });
}

/* ── Reading the signals ─────────────────────────────────────────────────────────── */

/** A signal as read: applicable with a value, applicable but unreadable (value null + why), or not applicable. */
export interface Reading {
  id: SignalId;
  applicable: boolean;
  value: number | null;
  why?: string;
}

/** What the probe and the previous reads left behind, kept by the process that reads (./throttler.ts). */
export interface ProbeMemory {
  /** Recent probe durations (ms) with when they ended. */
  probes: { at: number; ms: number }[];
  /** The last probe's failure, if the last probe failed. */
  probeError?: { at: number; message: string };
  /** When the probe in flight started (null: none in flight). */
  probeInFlightSince: number | null;
  /** The heartbeat writes with their WAL position: how old the oldest write a standby has not replayed is. */
  heartbeats: { at: number; lsn: number }[];
  /** Probe durations while no run was running; their median is the baseline. */
  idleProbes: number[];
  previousWal?: { at: number; lsn: number };
}

export const newProbeMemory = (): ProbeMemory => ({ probes: [], probeInFlightSince: null, heartbeats: [], idleProbes: [] });

const PROBE_WINDOW_MS = 5000;
/** A probe that has not answered within this long makes the latency unknown (it waits on something). */
const PROBE_STUCK_MS = 1000;
const IDLE_PROBES_KEPT = 40;

const median = (xs: number[]) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/**
 * The probe's baseline: the median of the probes taken while no run was running. Before any such
 * probe (a process that starts during a run), the fastest recent probe stands in.
 */
export function probeBaseline(mem: ProbeMemory): number | null {
  if (mem.idleProbes.length >= 3) return median(mem.idleProbes);
  if (mem.probes.length === 0) return null;
  return Math.min(...mem.probes.map((p) => p.ms));
}

/** One read and one committed write of the heartbeat row, timed; run every 500 ms by the throttler. */
export async function probeOnce(db: Exec, mem: ProbeMemory, opts: { idle: boolean; by: string; now?: () => number }): Promise<number> {
  const now = opts.now ?? Date.now;
  const t0 = now();
  mem.probeInFlightSince = t0;
  try {
    const row = await queryOne<{ lsn: number }>(
      db,
      sql`with seen as (select beat_at from throttle_heartbeat where id = 1)
          update throttle_heartbeat h set beat_at = now(), beat_by = ${opts.by}
          from seen where h.id = 1
          returning pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '0/0')::float8 as lsn`,
    );
    const end = now();
    const ms = end - t0;
    mem.probes.push({ at: end, ms });
    mem.probes = mem.probes.filter((p) => p.at > end - PROBE_WINDOW_MS);
    if (row) mem.heartbeats.push({ at: t0, lsn: Number(row.lsn) });
    // Ten minutes of heartbeats: a standby further behind is measured from the oldest one.
    mem.heartbeats = mem.heartbeats.filter((h) => h.at > end - 600_000);
    if (opts.idle) mem.idleProbes = [...mem.idleProbes, ms].slice(-IDLE_PROBES_KEPT);
    mem.probeError = undefined;
    return ms;
  } catch (err) {
    mem.probeError = { at: now(), message: rootMessage(err) };
    throw err;
  } finally {
    mem.probeInFlightSince = null;
  }
}

const all = (applicable: boolean, why?: string): Reading[] => SIGNAL_IDS.map((id) => ({ id, applicable, value: null, ...(why ? { why } : {}) }));

/**
 * Every signal now. Each group of signals is read on its own, so one that cannot be read is
 * "unknown: <why>" without blinding the others. On the embedded database none applies.
 */
export async function readSignals(db: Exec, driver: Driver, mem: ProbeMemory, now: number = Date.now()): Promise<Reading[]> {
  if (driver === "pglite") return all(false);
  const out = new Map<SignalId, Reading>();
  const set = (id: SignalId, value: number | null, why?: string, applicable = true) => out.set(id, { id, applicable, value, ...(why ? { why } : {}) });

  // Sessions and WAL: one statement over the statistics views.
  try {
    const r = await queryOne<{ active: number; lock_waits: number; wal: number | null; archive_mode: string; in_recovery: boolean }>(
      db,
      sql`with ours as (
            select c.oid from pg_class c
            where c.oid in (to_regclass('prestamos'), to_regclass('pagos_prestamo'), to_regclass('prestamos_new'), to_regclass('pagos_prestamo_new'))),
          others as (
            select pid from pg_stat_activity
            where backend_type = 'client backend' and pid <> pg_backend_pid()
              and coalesce(application_name, '') not like 'prestamos-console%')
          select
            (select count(*)::int from pg_stat_activity a join others o using (pid) where a.state = 'active') as active,
            -- A session queued on a row waits on the holder's transaction id, not on the table:
            -- it counts when it holds a lock on one of the tables (it opened it to write).
            (select count(distinct l.pid)::int from pg_locks l join others o using (pid)
              where not l.granted
                and (l.relation in (select oid from ours)
                     or (l.locktype in ('transactionid', 'tuple')
                         and exists (select 1 from pg_locks g where g.pid = l.pid and g.granted and g.relation in (select oid from ours))))) as lock_waits,
            case when pg_is_in_recovery() then null else pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::float8 end as wal,
            current_setting('archive_mode') as archive_mode,
            pg_is_in_recovery() as in_recovery`,
    );
    set("active_sessions", Number(r?.active ?? 0));
    set("lock_waits", Number(r?.lock_waits ?? 0));
    if (r?.wal == null) set("wal_bytes_per_s", null, "the database is a standby: it writes no WAL of its own", false);
    else {
      const lsn = Number(r.wal);
      const prev = mem.previousWal;
      mem.previousWal = { at: now, lsn };
      set("wal_bytes_per_s", prev && now > prev.at ? Math.max(0, ((lsn - prev.lsn) * 1000) / (now - prev.at)) : 0);
    }
    if (r?.archive_mode === "off" || r?.archive_mode === undefined) set("wal_unarchived", null, "WAL archiving is off", false);
    else {
      try {
        const a = await queryOne<{ n: number }>(db, sql`select count(*)::int as n from pg_ls_archive_statusdir() where name like '%.ready'`);
        set("wal_unarchived", Number(a?.n ?? 0));
      } catch (err) {
        set("wal_unarchived", null, rootMessage(err));
      }
    }
  } catch (err) {
    const why = rootMessage(err);
    for (const id of ["active_sessions", "lock_waits", "wal_bytes_per_s", "wal_unarchived"] as const) set(id, null, why);
  }

  // Standbys, and replication slots nobody reads that hold WAL back.
  try {
    const rows = await queryRows<{ kind: string; name: string | null; lag_ms: number | null; lag_bytes: number | null; replay_pos: number | null }>(
      db,
      sql`select 'standby' as kind, coalesce(nullif(application_name, ''), client_addr::text, pid::text) as name,
                 (extract(epoch from replay_lag) * 1000)::float8 as lag_ms,
                 pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::float8 as lag_bytes,
                 pg_wal_lsn_diff(replay_lsn, '0/0')::float8 as replay_pos
          from pg_stat_replication
          union all
          select 'slot', slot_name::text, null, pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::float8, null
          from pg_replication_slots where not active and restart_lsn is not null`,
    );
    let ms = 0;
    let bytes = 0;
    let unknown: string | undefined;
    for (const row of rows) {
      const lagBytes = row.lag_bytes == null ? null : Math.max(0, Number(row.lag_bytes));
      if (row.kind === "slot") {
        bytes = Math.max(bytes, lagBytes ?? 0);
        continue;
      }
      if (lagBytes === null || row.replay_pos == null) {
        // Without pg_monitor the positions of other users' sessions read as NULL.
        unknown = `standby ${row.name} has no replay position visible to the console (not yet reported, or the console lacks pg_monitor)`;
        continue;
      }
      bytes = Math.max(bytes, lagBytes);
      const reported = row.lag_ms == null ? null : Number(row.lag_ms);
      // replay_lag stays at its last measured value while replay is stuck: the age of the oldest
      // heartbeat the standby has not replayed is the lag a DBA means.
      const pos = Number(row.replay_pos);
      const unreplayed = mem.heartbeats.find((h) => h.lsn > pos);
      const fromHeartbeat = unreplayed ? now - unreplayed.at : 0;
      if (lagBytes <= NEAR_ZERO_BYTES) ms = Math.max(ms, reported ?? 0, fromHeartbeat);
      else if (unreplayed || reported !== null) ms = Math.max(ms, reported ?? 0, fromHeartbeat);
      else unknown = `standby ${row.name} is ${lagBytes} bytes behind and reports no replay lag`;
    }
    set("standby_lag_bytes", bytes);
    if (unknown && ms === 0) set("standby_lag_ms", null, unknown);
    else set("standby_lag_ms", ms);
    if (unknown && bytes === 0) set("standby_lag_bytes", null, unknown);
  } catch (err) {
    const why = rootMessage(err);
    set("standby_lag_ms", null, why);
    set("standby_lag_bytes", null, why);
  }

  // The probe: its median over 5 s against its baseline.
  {
    const recent = mem.probes.filter((p) => p.at > now - PROBE_WINDOW_MS);
    const baseline = probeBaseline(mem);
    if (mem.probeInFlightSince !== null && now - mem.probeInFlightSince > PROBE_STUCK_MS) {
      set("app_latency", null, `the probe has waited ${((now - mem.probeInFlightSince) / 1000).toFixed(1)} s for an answer`);
    } else if (mem.probeError && mem.probeError.at > now - PROBE_WINDOW_MS) {
      set("app_latency", null, `the probe failed: ${mem.probeError.message}`);
    } else if (recent.length === 0 || baseline === null) {
      set("app_latency", null, "no probe answered in the last 5 s");
    } else {
      const m = median(recent.map((p) => p.ms));
      set("app_latency", m / Math.max(baseline, 0.01));
      probeDetail.set(mem, { medianMs: m, baselineMs: baseline });
    }
  }
  return SIGNAL_IDS.map((id) => out.get(id)!);
}

/** The last latency figures behind the ratio, for the floor of §8 ("and the baseline + 5 ms"). */
const probeDetail = new WeakMap<ProbeMemory, { medianMs: number; baselineMs: number }>();
export const lastProbeFigures = (mem: ProbeMemory) => probeDetail.get(mem) ?? null;

/* ── Deciding ─────────────────────────────────────────────────────────────────────── */

export interface SignalView extends Reading, SignalLevels {
  state: SignalState;
}

/**
 * A signal's state: over at threshold (≥), critical at its critical level, elevated between its
 * resume level and its threshold (an engaged throttle holds), unknown when unreadable.
 * `latencyExtraMs`: how much slower than the baseline the probe is; under the floor it is ok.
 */
export function signalState(r: Reading, levels: SignalLevels, latencyExtraMs?: number): SignalState {
  if (!r.applicable) return "not_applicable";
  if (!levels.enabled) return "disabled";
  if (r.value === null) return "unknown";
  if (r.id === "app_latency" && latencyExtraMs !== undefined && latencyExtraMs < APP_LATENCY_FLOOR_MS) return "ok";
  if (r.value >= levels.critical) return "critical";
  if (r.value >= levels.threshold) return "over";
  if (r.value >= levels.resume) return "elevated";
  return "ok";
}

export const holdsThrottle = (s: SignalState) => s === "over" || s === "critical" || s === "unknown";

export function evaluate(readings: Reading[], settings: ThrottleSettings, latencyExtraMs?: number): SignalView[] {
  return readings.map((r) => ({ ...r, ...settings.signals[r.id], state: signalState(r, settings.signals[r.id], latencyExtraMs) }));
}

const reasonOf = (s: SignalView): ThrottleReason => ({ signal: s.id, value: s.value, threshold: s.state === "critical" ? s.critical : s.threshold, ...(s.why ? { why: s.why } : {}) });

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
export async function recordTick(db: Db, views: SignalView[], settings: ThrottleSettings, opts: { instance: string } = { instance: "console" }): Promise<TickOutcome> {
  const over = views.filter((v) => holdsThrottle(v.state));
  const stillHeld = views.some((v) => holdsThrottle(v.state) || v.state === "elevated");
  const critical = views.filter((v) => v.state === "critical");
  return db.transaction(async (tx) => {
    await tx.execute(sql`insert into throttle_samples (signals) values (${JSON.stringify(views.map((v) => ({ id: v.id, value: v.value, state: v.state, ...(v.why ? { why: v.why } : {}) })))}::jsonb)`);
    await tx.execute(sql`delete from throttle_samples where at < now() - interval '10 minutes'`);
    const run = await queryOne<{ id: number; status: string }>(tx, sql`select id, status from migration_runs where status in ('running','paused') order by id desc limit 1`);
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
        await writeAudit(tx, systemActor(), { action: "throttle.engaged", target: run ? `run:${run.id}` : null, outcome: "ok", details: { episode: Number(open.id), reasons, by: opts.instance } });
        const data = { episode: Number(open.id), reasons, words: reasons.map(describeReason) };
        if (run) await emitRunEvent(tx, "run.throttled", { id: run.id }, data);
        else await emitEvent(tx, "run.throttled", { run: null, ...data });
      }
    }
    if (!open) return result;
    const episodeId = Number(open.id);
    const worst = { ...((typeof open.worst === "string" ? JSON.parse(open.worst) : open.worst) as Record<string, number>) };
    for (const v of views) if (v.value !== null && v.state !== "not_applicable" && v.state !== "disabled") worst[v.id] = Math.max(worst[v.id] ?? -Infinity, v.value);
    if (!stillHeld) {
      await tx.execute(sql`update throttle_episodes set ended_at = now(), worst = ${JSON.stringify(worst)}::jsonb, outcome = coalesce(outcome, 'resumed') where id = ${episodeId}`);
      await writeAudit(tx, systemActor(), { action: "throttle.released", target: run ? `run:${run.id}` : null, outcome: "ok", details: { episode: episodeId, seconds: Number(open.elapsed) } });
      const data = { episode: episodeId, seconds: Math.round(Number(open.elapsed) * 10) / 10 };
      if (run) await emitRunEvent(tx, "run.resumed_from_throttle", { id: run.id }, data);
      else await emitEvent(tx, "run.resumed_from_throttle", { run: null, ...data });
      result.resumed = true;
      return result;
    }
    result.engaged = true;
    let outcome: string | null = open.outcome;
    if (critical.length > 0 && run) {
      const words = critical.map((c) => describeReason(reasonOf(c))).join("; ");
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
        await writeAudit(tx, systemActor(), { action: "migration.halt", target: `run:${run.id}`, outcome: "ok", details: { reason: "throttle_critical", critical: critical.map(reasonOf), episode: episodeId } });
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

type SampleSignal = { id: SignalId; value: number | null; state: SignalState; why?: string };

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
  const row = await queryOne<{ started_at: string; reasons: unknown; alerted_at: string | null; sample: unknown; fresh: boolean; limit_s: number | null; elapsed: number }>(
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
        .map((s) => ({ signal: s.id, value: s.value, threshold: s.state === "critical" ? settings.signals[s.id].critical : settings.signals[s.id].threshold, ...(s.why ? { why: s.why } : {}) }))
    : [];
  return { active: true, since: isoTime(row.started_at), reasons: live.length > 0 ? live : ((json(row.reasons) as ThrottleReason[]) ?? []), long: row.alerted_at !== null };
}

/** GET …/throttle: the signals as last read with their levels and states, the episode, the history. */
export async function getThrottle(db: Exec, driver: Driver): Promise<ThrottleDTO> {
  const [settings, summary, latest, history, episodes] = await Promise.all([
    getThrottleSettings(db),
    getThrottleSummary(db),
    queryOne<{ at: string; signals: unknown; age: number }>(db, sql`select at::text, signals, extract(epoch from now() - at)::float8 as age from throttle_samples order by id desc limit 1`),
    queryRows<{ at: string; signals: unknown }>(db, sql`select at::text, signals from throttle_samples where at > now() - interval '5 minutes' order by id`),
    listEpisodes(db, { limit: 20 }),
  ]);
  const json = (v: unknown) => (typeof v === "string" ? JSON.parse(v) : v);
  const applicable = driver !== "pglite";
  const fresh = latest && Number(latest.age) <= STALE_SAMPLE_SECONDS;
  const sample = new Map(((fresh ? json(latest.signals) : []) as SampleSignal[]).map((s) => [s.id, s]));
  const staleWhy = latest ? `no reading for ${Math.round(Number(latest.age))} s: is the console's worker running?` : "not read yet: is the console's worker running?";
  const signals = SIGNAL_IDS.map((id) => {
    const levels = settings.signals[id];
    const s = sample.get(id);
    const reading: Reading = !applicable
      ? { id, applicable: false, value: null, why: "the embedded database has no standbys, no other sessions and no WAL archive" }
      : s
        ? { id, applicable: s.state !== "not_applicable", value: s.value, ...(s.why ? { why: s.why } : {}) }
        : { id, applicable: true, value: null, why: staleWhy };
    // The state as the reader decided it (it knows the latency floor); levels changed since apply at the next read.
    const state: SignalState = s && applicable ? (levels.enabled ? (s.state === "disabled" ? signalState(reading, levels) : s.state) : "disabled") : signalState(reading, levels);
    return { ...reading, ...levels, state, label: SIGNAL_META[id].label, unit: SIGNAL_META[id].unit };
  });
  return {
    ...summary,
    applicable,
    alertAfterSeconds: settings.alertAfterSeconds,
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
