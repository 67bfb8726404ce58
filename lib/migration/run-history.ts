/**
 * Every run, newest first, and one run in full: who started it, when, how long it took, how it
 * ended and why, with the settings it ran with and the pre-flight it started over.
 * Keyset paged on the run id (no OFFSET: the list only grows).
 */
import { sql } from "drizzle-orm";
import type { Exec } from "@/db/client";
import { queryOne, queryRows } from "@/db/sql";
import { AppError } from "@/lib/errors";
import type { PreflightSnapshot } from "./preflight";
import { toRunDTO, type RunDTO } from "./runs";

export interface RunHistoryItem extends RunDTO {
  /** From start to end (or to now while active), whole seconds; null without a start time. */
  durationSeconds: number | null;
}

export interface RunsPage {
  items: RunHistoryItem[];
  /** Pass as `before` for the next (older) page; null on the last page. */
  nextBefore: number | null;
  /** Every run recorded. */
  total: number;
}

export interface RunDetail {
  run: RunHistoryItem;
  /** The settings as asked at start (the run's current tunables are in `run`). */
  settings: Record<string, unknown> | null;
  preflight: PreflightSnapshot | null;
  /** Batches of the run by kind: the charts read them from GET /metrics?runId=. */
  batchCount: number;
}

const withDuration = (row: Record<string, unknown>): RunHistoryItem => ({
  ...toRunDTO(row),
  durationSeconds: row.duration_s == null ? null : Math.max(0, Math.round(Number(row.duration_s))),
});

const DURATION = sql`extract(epoch from coalesce(ended_at, now()) - started_at)::float8 as duration_s`;

export async function listRuns(db: Exec, opts: { before?: number; limit: number }): Promise<RunsPage> {
  const before = opts.before ?? null;
  const rows = await queryRows(
    db,
    sql`select *, ${DURATION} from migration_runs
        where (${before}::int is null or id < ${before}::int)
        order by id desc limit ${opts.limit + 1}`,
  );
  const total = await queryOne<{ n: number }>(db, sql`select count(*)::int as n from migration_runs`);
  const items = rows.slice(0, opts.limit).map(withDuration);
  return { items, nextBefore: rows.length > opts.limit ? items[items.length - 1].id : null, total: Number(total?.n ?? 0) };
}

export async function getRunDetail(db: Exec, id: number): Promise<RunDetail> {
  const row = await queryOne(db, sql`select *, ${DURATION} from migration_runs where id = ${id}`);
  if (!row) throw new AppError("NOT_FOUND", `No run ${id}`);
  const batches = await queryOne<{ n: number }>(db, sql`select count(*)::int as n from migration_batches where run_id = ${id}`);
  const parse = <T>(v: unknown): T | null => (v == null ? null : ((typeof v === "string" ? JSON.parse(v) : v) as T));
  return {
    run: withDuration(row),
    settings: parse<Record<string, unknown>>(row.settings),
    preflight: parse<PreflightSnapshot>(row.preflight),
    batchCount: Number(batches?.n ?? 0),
  };
}
