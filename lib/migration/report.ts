/**
 * The migration report: the archive of a migration — every run with its settings, rates,
 * ending and pre-flight snapshot; the pre-flight and checklist with their confirmations; failures
 * by code with EVERY failing prestamo and rule; the consistency summary; the audit log of the
 * period (first run start − 1 day to now). JSON for machines, HTML for people, from the same data.
 *
 * It streams: the small parts (runs, checklist, summary) are read first, then failures, batches
 * and audit rows are paged with keyset queries (PAGE rows at a time) while the document is written,
 * so memory stays flat whatever their number. Each page is its own statement (no long transaction:
 * on the embedded database it would hold the only connection for the whole download), so the
 * streamed sections are read as of their page, bounded by the report's `to` time where they have one.
 * This is the archive's data; lib/report/ writes it as JSON or HTML.
 */
import { sql } from "drizzle-orm";
import type { Db, Exec } from "@/db/client";
import { isoTime, queryOne, queryRows } from "@/db/sql";
import { getChecklist, type Checklist } from "./checklist";
import { getPhaseView, type PhaseView } from "./cutover-phase";
import { allConfirmations, type Confirmation } from "./confirmations";
import type { ConsistencySummary } from "./consistency";
import { latestConsistency } from "./jobs";
import { AppError } from "@/lib/errors";
import { getPreflight, type PreflightContext, type PreflightReport } from "./preflight";
import { FAILURE_CODES, type FailureCode } from "./rules";
import { toRunDTO, type RunDTO } from "./runs";
import { listEpisodes, type EpisodeDTO } from "./throttle";

export const REPORT_PAGE = 5000;
/** Points per chart: batches are summed into at most this many buckets. */
export const CHART_POINTS = 240;

export interface ReportRun extends RunDTO {
  settings: unknown;
  preflight: unknown;
  elapsedSec: number | null;
  prestamosPerSec: number | null;
  pagosPerSec: number | null;
  /** Run batches summed into at most CHART_POINTS buckets, for the charts. */
  chart: { batches: number; prestamos: number; pagos: number; failures: number; durationMs: number }[];
}

export interface ReportHead {
  kind: "prestamos-migration-report";
  version: 1;
  generatedAt: string;
  generatedBy: string;
  period: { from: string; to: string; rule: string };
  database: { driver: string; version: string };
  runs: ReportRun[];
  preflight: PreflightReport;
  checklist: Checklist;
  confirmations: Confirmation[];
  consistency: ConsistencySummary;
  failuresByCode: Record<FailureCode, { prestamos: number; rules: number }>;
  failedPrestamos: number;
  /** MIGRATION-SPEC §8: every throttle episode (run, start, end, the signals at their worst), oldest first. */
  throttleEpisodes: EpisodeDTO[];
  /** MIGRATION-SPEC §9: where the cut-over stands, and each switch. */
  cutover: PhaseView;
}

export interface ReportOptions {
  pageSize?: number;
  /** Called once per page read (tests count them). */
  onPage?: (section: "failures" | "batches" | "audit", rows: number) => void;
}

/** Everything but the paged sections, read before the first byte is sent (an error here is still a JSON error). */
export async function prepareReport(db: Db, ctx: PreflightContext, generatedBy: string): Promise<ReportHead> {
  const generatedAt = new Date().toISOString();
  const runRows = await queryRows<Record<string, unknown>>(db, sql`SELECT * FROM migration_runs ORDER BY id`);
  const runs: ReportRun[] = [];
  for (const r of runRows) {
    const dto = toRunDTO(r);
    const end = dto.endedAt ? Date.parse(dto.endedAt) : Date.now();
    const elapsed = dto.startedAt ? Math.max(0, (end - Date.parse(dto.startedAt)) / 1000) : null;
    const chart = await queryRows<Record<string, unknown>>(
      db,
      sql`WITH b AS (SELECT id, prestamos, pagos, failures, duration_ms, row_number() OVER (ORDER BY id) AS rn, count(*) OVER () AS total
                     FROM migration_batches WHERE run_id = ${dto.id} AND kind = 'run')
          SELECT ((rn - 1) * ${CHART_POINTS} / total)::int AS bucket, count(*)::int AS batches, sum(prestamos)::float8 AS prestamos,
                 sum(pagos)::float8 AS pagos, sum(failures)::float8 AS failures, sum(duration_ms)::float8 AS duration_ms
          FROM b GROUP BY 1 ORDER BY 1`,
    );
    const jsonb = (v: unknown) => (typeof v === "string" ? JSON.parse(v) : (v ?? null));
    runs.push({
      ...dto,
      settings: jsonb(r.settings),
      preflight: jsonb(r.preflight),
      elapsedSec: elapsed === null ? null : Math.round(elapsed),
      prestamosPerSec: elapsed ? Math.round((dto.processed / elapsed) * 100) / 100 : null,
      pagosPerSec: elapsed ? Math.round((dto.pagos / elapsed) * 100) / 100 : null,
      chart: chart.map((c) => ({
        batches: Number(c.batches),
        prestamos: Number(c.prestamos),
        pagos: Number(c.pagos),
        failures: Number(c.failures),
        durationMs: Number(c.duration_ms),
      })),
    });
  }
  const firstStart = runs.find((r) => r.startedAt)?.startedAt ?? null;
  const from = new Date((firstStart ? Date.parse(firstStart) : Date.parse(generatedAt)) - 86_400_000).toISOString();
  // The consistency walk is a background job: the report carries its latest result (and the
  // checklist says whether it still holds); without one there is nothing to report on yet.
  const latest = await latestConsistency<ConsistencySummary>(db);
  if (!latest) {
    throw new AppError(
      "CONFLICT",
      "No consistency check has finished yet: ask for one (POST /api/prestamos/migration/consistency/refresh), then download the report",
      {
        consistency: null,
      },
    );
  }
  const consistency = latest.summary;
  const checklist = await getChecklist(db, { consistency: latest });
  const preflight = await getPreflight(db, ctx, { dryRun: "cached" });
  const counts = await queryRows<{ code: string; prestamos: number; rules: number }>(
    db,
    sql`SELECT f.code, count(DISTINCT f.legacy_id)::int AS prestamos, count(*)::int AS rules
        FROM migration_failures f JOIN migration_state s ON s.legacy_id = f.legacy_id AND s.state = 'failed' GROUP BY f.code`,
  );
  const failuresByCode = Object.fromEntries(FAILURE_CODES.map((c) => [c, { prestamos: 0, rules: 0 }])) as ReportHead["failuresByCode"];
  for (const c of counts) failuresByCode[c.code as FailureCode] = { prestamos: Number(c.prestamos), rules: Number(c.rules) };
  const meta = await queryOne<{ failed: number; version: string }>(
    db,
    sql`SELECT (SELECT count(*) FROM migration_state WHERE state = 'failed')::int AS failed, version() AS version`,
  );
  return {
    kind: "prestamos-migration-report",
    version: 1,
    generatedAt,
    generatedBy,
    period: { from, to: generatedAt, rule: firstStart ? "first run start − 1 day to the report's time" : "no run yet: the last day" },
    database: { driver: ctx.driver, version: String(meta?.version ?? "") },
    runs,
    preflight,
    checklist,
    confirmations: await allConfirmations(db),
    consistency,
    failuresByCode,
    failedPrestamos: Number(meta?.failed ?? 0),
    throttleEpisodes: (await listEpisodes(db, { limit: 10_000 })).reverse(),
    cutover: await getPhaseView(db),
  };
}

/* ── the paged sections ────────────────────────────────────────────────────────────── */

export interface FailureRow {
  legacyId: number;
  runId: number | null;
  failedAt: string | null;
  /** null only for a failed prestamo with no recorded rule (the checklist flags it). */
  code: string | null;
  field: string | null;
  value: string | null;
  pagoId: number | null;
}

export interface AuditRow {
  id: number;
  at: string | null;
  actor: string;
  actorKind: string;
  action: string;
  target: string | null;
  outcome: string;
  status: number | null;
  requestId: string | null;
  details: unknown;
}

export interface BatchRow {
  id: number;
  runId: number | null;
  kind: string;
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: number;
  fromId: number | null;
  toId: number | null;
  prestamos: number;
  pagos: number;
  failures: number;
}

/** Every failing rule of every failed prestamo, in (legacy id, rule) order: keyset pages. */
export async function* failurePages(db: Exec, size: number, onPage?: ReportOptions["onPage"]): AsyncGenerator<FailureRow[]> {
  let a = 0;
  let b = -1;
  for (;;) {
    const rows = await queryRows<Record<string, unknown>>(
      db,
      sql`SELECT s.legacy_id, coalesce(f.id, 0) AS fid, s.run_id, s.updated_at::text AS failed_at, f.code, f.field, f.value, f.pago_id
          FROM migration_state s LEFT JOIN migration_failures f ON f.legacy_id = s.legacy_id
          WHERE s.state = 'failed' AND (s.legacy_id, coalesce(f.id, 0)) > (${a}, ${b})
          ORDER BY s.legacy_id, coalesce(f.id, 0) LIMIT ${size}`,
    );
    onPage?.("failures", rows.length);
    if (rows.length === 0) return;
    yield rows.map((r) => ({
      legacyId: Number(r.legacy_id),
      runId: r.run_id == null ? null : Number(r.run_id),
      failedAt: isoTime(r.failed_at),
      code: (r.code as string | null) ?? null,
      field: (r.field as string | null) ?? null,
      value: (r.value as string | null) ?? null,
      pagoId: r.pago_id == null ? null : Number(r.pago_id),
    }));
    const last = rows[rows.length - 1];
    a = Number(last.legacy_id);
    b = Number(last.fid);
    if (rows.length < size) return;
  }
}

export async function* auditPages(db: Exec, from: string, to: string, size: number, onPage?: ReportOptions["onPage"]): AsyncGenerator<AuditRow[]> {
  let after = 0;
  for (;;) {
    const rows = await queryRows<Record<string, unknown>>(
      db,
      sql`SELECT id, at::text AS at, actor, actor_kind, action, target, outcome, status, request_id, details
          FROM console_audit_log WHERE at >= ${from}::timestamptz AND at <= ${to}::timestamptz AND id > ${after}
          ORDER BY id LIMIT ${size}`,
    );
    onPage?.("audit", rows.length);
    if (rows.length === 0) return;
    yield rows.map((r) => ({
      id: Number(r.id),
      at: isoTime(r.at),
      actor: String(r.actor),
      actorKind: String(r.actor_kind),
      action: String(r.action),
      target: (r.target as string | null) ?? null,
      outcome: String(r.outcome),
      status: r.status == null ? null : Number(r.status),
      requestId: (r.request_id as string | null) ?? null,
      details: typeof r.details === "string" ? JSON.parse(r.details) : (r.details ?? null),
    }));
    after = Number(rows[rows.length - 1].id);
    if (rows.length < size) return;
  }
}

export async function* batchPages(db: Exec, size: number, onPage?: ReportOptions["onPage"]): AsyncGenerator<BatchRow[]> {
  let after = 0;
  for (;;) {
    const rows = await queryRows<Record<string, unknown>>(
      db,
      sql`SELECT id, run_id, kind, started_at::text AS started_at, finished_at::text AS finished_at, duration_ms, from_id, to_id, prestamos, pagos, failures
          FROM migration_batches WHERE run_id IS NOT NULL AND id > ${after} ORDER BY id LIMIT ${size}`,
    );
    onPage?.("batches", rows.length);
    if (rows.length === 0) return;
    yield rows.map((r) => ({
      id: Number(r.id),
      runId: r.run_id == null ? null : Number(r.run_id),
      kind: String(r.kind),
      startedAt: isoTime(r.started_at),
      finishedAt: isoTime(r.finished_at),
      durationMs: Math.round(Number(r.duration_ms) * 10) / 10,
      fromId: r.from_id == null ? null : Number(r.from_id),
      toId: r.to_id == null ? null : Number(r.to_id),
      prestamos: Number(r.prestamos),
      pagos: Number(r.pagos),
      failures: Number(r.failures),
    }));
    after = Number(rows[rows.length - 1].id);
    if (rows.length < size) return;
  }
}
