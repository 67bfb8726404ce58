/**
 * The throttle's signals (MIGRATION-SPEC §8), read from the database: the statistics views, the
 * standbys and idle slots, and the latency probe with its baseline. Each group is read on its own.
 */
import { sql } from "drizzle-orm";
import type { Driver, Exec } from "@/db/client";
import { queryOne, queryRows } from "@/db/sql";
import { rootMessage } from "@/lib/errors";
import { APP_LATENCY_FLOOR_MS } from "./throttle-settings";
import { SIGNAL_IDS, type SignalId } from "./vocabulary";

const MB = 1024 * 1024;
/** A standby this close to the primary is caught up even when it reports no replay lag (idle). */
const NEAR_ZERO_BYTES = MB;

/** A signal as read: applicable with a value, applicable but unreadable (value null + why), or not applicable. */
export interface Reading {
  id: SignalId;
  applicable: boolean;
  value: number | null;
  why?: string;
  /** Read, but cannot hold the throttle whatever its value (the latency with no application to protect, or under its floor): why. */
  calm?: string;
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
/** A session of the application that ran a statement within this long is one the latency protects. */
const APPLICATION_RECENT_MS = 5000;
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
  // Timed in fractions of a millisecond: a commit here takes about 2 ms, and whole milliseconds
  // made its median jump by halves of its baseline.
  const p0 = opts.now ? t0 : performance.now();
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
    const ms = (opts.now ? end : performance.now()) - p0;
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
  // Unknown until the sessions are read: a latency that cannot be put in context counts.
  let applicationRecent: number | null = null;

  // Sessions and WAL: one statement over the statistics views.
  try {
    const r = await queryOne<{ active: number; app_recent: number; lock_waits: number; wal: number | null; archive_mode: string; in_recovery: boolean }>(
      db,
      sql`with ours as (
            select c.oid from pg_class c
            where c.oid in (to_regclass('prestamos'), to_regclass('pagos_prestamo'), to_regclass('prestamos_new'), to_regclass('pagos_prestamo_new'))),
          this_db as (select oid from pg_database where datname = current_database()),
          others as (
            select pid from pg_stat_activity
            where backend_type = 'client backend' and pid <> pg_backend_pid()
              and coalesce(application_name, '') not like 'prestamos-console%')
          select
            (select count(*)::int from pg_stat_activity a join others o using (pid) where a.state = 'active') as active,
            -- The application is there to be protected when one of its sessions of this database
            -- ran a statement lately.
            (select count(*)::int from pg_stat_activity a join others o using (pid)
              where a.datname = current_database()
                and (a.state <> 'idle' or a.state_change > now() - make_interval(secs => ${APPLICATION_RECENT_MS / 1000}))) as app_recent,
            -- A session queued on a row waits on the holder's transaction id, not on the table:
            -- it counts when it holds a lock on one of the tables (it opened it to write).
            -- A relation's oid is unique only within its database: databases cloned from one
            -- template share them, so a lock on another database's prestamos must not count.
            (select count(distinct l.pid)::int from pg_locks l join others o using (pid)
              where not l.granted
                and ((l.database = (select oid from this_db) and l.relation in (select oid from ours))
                     or (l.locktype in ('transactionid', 'tuple')
                         and exists (select 1 from pg_locks g
                                     where g.pid = l.pid and g.granted and g.database = (select oid from this_db) and g.relation in (select oid from ours))))) as lock_waits,
            case when pg_is_in_recovery() then null else pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::float8 end as wal,
            current_setting('archive_mode') as archive_mode,
            pg_is_in_recovery() as in_recovery`,
    );
    set("active_sessions", Number(r?.active ?? 0));
    applicationRecent = Number(r?.app_recent ?? 0);
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
      const extraMs = m - baseline;
      const calm =
        applicationRecent === 0
          ? `no session of the application ran a statement in the last ${APPLICATION_RECENT_MS / 1000} s: no one waits on the database`
          : extraMs < APP_LATENCY_FLOOR_MS
            ? `${extraMs.toFixed(1)} ms slower than the baseline: under the ${APP_LATENCY_FLOOR_MS} ms floor`
            : undefined;
      if (calm) out.set("app_latency", { ...out.get("app_latency")!, calm });
    }
  }
  return SIGNAL_IDS.map((id) => out.get(id)!);
}
