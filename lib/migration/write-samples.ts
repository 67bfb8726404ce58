/**
 * The quiet period: samples of the legacy tables' write counters (pg_stat_user_tables,
 * n_tup_ins/upd/del of prestamos + pagos_prestamo) every ~10 s, and the write rate between them.
 * The counters are cumulative since the statistics were last reset; a rate is a difference of two
 * samples over their time apart. Counters that went down mean a reset (restart): no rate across it.
 */
import { sql } from "drizzle-orm";
import type { Exec } from "@/db/client";
import { isoTime, queryOne, queryRows } from "@/db/sql";

export const SAMPLE_EVERY_MS = 10_000;
export const SAMPLE_KEEP = "1 day";
/** The rate is measured over the samples of this window (the last minute). */
export const RATE_WINDOW_SECONDS = 60;

export interface WriteRate {
  /** false: fewer than two samples in the window, a counter reset, or the statistics are off. */
  measurable: boolean;
  /** Why not, in words, when not measurable. */
  reason: string | null;
  insertsPerSec: number | null;
  updatesPerSec: number | null;
  deletesPerSec: number | null;
  totalPerSec: number | null;
  /** Seconds between the two samples used. */
  overSeconds: number | null;
  samples: number;
  latestAt: string | null;
}

/** Reads the counters now and stores one sample; prunes samples older than a day. */
export async function sampleLegacyWrites(db: Exec): Promise<{ inserts: number; updates: number; deletes: number } | null> {
  const row = await queryOne<{ n: number; ins: number; upd: number; del: number }>(
    db,
    sql`SELECT count(*)::int AS n, coalesce(sum(n_tup_ins), 0)::float8 AS ins, coalesce(sum(n_tup_upd), 0)::float8 AS upd,
               coalesce(sum(n_tup_del), 0)::float8 AS del
        FROM pg_stat_user_tables
        WHERE schemaname = current_schema() AND relname IN ('prestamos', 'pagos_prestamo')`,
  );
  if (!row || Number(row.n) === 0) return null;
  const sample = { inserts: Number(row.ins), updates: Number(row.upd), deletes: Number(row.del) };
  await db.execute(sql`INSERT INTO legacy_write_samples (inserts, updates, deletes) VALUES (${sample.inserts}, ${sample.updates}, ${sample.deletes})`);
  await db.execute(sql`DELETE FROM legacy_write_samples WHERE at < now() - ${SAMPLE_KEEP}::interval`);
  return sample;
}

const g = globalThis as unknown as { __prestamosLastWriteSample?: number };

/**
 * The worker's call, once per loop: samples when ~10 s have passed since this process last did.
 * Never throws (a failed sample must not disturb the run or the capture drain).
 */
export async function maybeSampleLegacyWrites(db: Exec, now = Date.now()): Promise<void> {
  if (g.__prestamosLastWriteSample !== undefined && now - g.__prestamosLastWriteSample < SAMPLE_EVERY_MS) return;
  g.__prestamosLastWriteSample = now;
  await sampleLegacyWrites(db).catch(() => {});
}

/** The write rate over the last minute: the latest sample against the oldest one within 60 s before it. */
export async function getWriteRate(db: Exec): Promise<WriteRate> {
  const rows = await queryRows<{ at: string; ins: number; upd: number; del: number; age: number }>(
    db,
    sql`SELECT at::text AS at, inserts AS ins, updates AS upd, deletes AS del, extract(epoch FROM now() - at)::float8 AS age
        FROM legacy_write_samples
        WHERE at >= now() - make_interval(secs => ${RATE_WINDOW_SECONDS + 15})
        ORDER BY at DESC, id DESC LIMIT 50`,
  );
  const none = (reason: string): WriteRate => ({
    measurable: false,
    reason,
    insertsPerSec: null,
    updatesPerSec: null,
    deletesPerSec: null,
    totalPerSec: null,
    overSeconds: null,
    samples: rows.length,
    latestAt: isoTime(rows[0]?.at ?? null),
  });
  if (rows.length < 2) {
    return none(
      rows.length === 0
        ? "no sample of the write counters in the last minute: the console's background worker takes one every 10 s"
        : "one sample so far: a rate needs two, 10 s apart",
    );
  }
  const latest = rows[0];
  const oldest = rows[rows.length - 1];
  const secs = Number(oldest.age) - Number(latest.age);
  if (secs < 5) return none("the samples are too close together to measure a rate");
  const d = { ins: Number(latest.ins) - Number(oldest.ins), upd: Number(latest.upd) - Number(oldest.upd), del: Number(latest.del) - Number(oldest.del) };
  if (d.ins < 0 || d.upd < 0 || d.del < 0) return none("the statistics counters were reset (database restart?): measuring again");
  const r = (n: number) => Math.round((n / secs) * 100) / 100;
  return {
    measurable: true,
    reason: null,
    insertsPerSec: r(d.ins),
    updatesPerSec: r(d.upd),
    deletesPerSec: r(d.del),
    totalPerSec: r(d.ins + d.upd + d.del),
    overSeconds: Math.round(secs * 10) / 10,
    samples: rows.length,
    latestAt: isoTime(latest.at),
  };
}
