import { and, count, desc, eq, gte, like, lt, lte, type SQL } from "drizzle-orm";
import type { Db } from "@/db/client";
import { auditLog } from "@/db/schema";
import { csvLine, csvStream } from "@/lib/csv";

/** One audit row as the API returns it (JSON-safe: no Date, no bigint). */
export interface AuditEntryDto {
  id: number;
  at: string;
  actor: string;
  actorKind: string;
  action: string;
  target: string | null;
  outcome: string;
  status: number | null;
  requestId: string | null;
  details: unknown;
}

export interface AuditFilters {
  actor?: string;
  /** Prefix: "user." matches user.create, user.update, … */
  action?: string;
  outcome?: string;
  target?: string;
  /** ISO time or date, inclusive. */
  from?: string;
  /** ISO time (inclusive) or date (the whole day included). */
  to?: string;
}

export interface AuditPage {
  items: AuditEntryDto[];
  page: number;
  limit: number;
  total: number;
  hasMore: boolean;
}

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);
const isDateOnly = (s: string) => /^\d{4}-\d{2}-\d{2}$/.test(s);

function where(f: AuditFilters): SQL | undefined {
  const conds: SQL[] = [];
  if (f.actor) conds.push(eq(auditLog.actor, f.actor));
  if (f.action) conds.push(like(auditLog.action, `${escapeLike(f.action)}%`));
  if (f.outcome) conds.push(eq(auditLog.outcome, f.outcome));
  if (f.target) conds.push(eq(auditLog.target, f.target));
  if (f.from) conds.push(gte(auditLog.at, new Date(isDateOnly(f.from) ? `${f.from}T00:00:00Z` : f.from)));
  if (f.to) {
    if (isDateOnly(f.to)) conds.push(lt(auditLog.at, new Date(new Date(`${f.to}T00:00:00Z`).getTime() + 86_400_000)));
    else conds.push(lte(auditLog.at, new Date(f.to)));
  }
  return conds.length ? and(...conds) : undefined;
}

function toDto(row: typeof auditLog.$inferSelect): AuditEntryDto {
  return {
    id: Number(row.id),
    at: row.at.toISOString(),
    actor: row.actor,
    actorKind: row.actorKind,
    action: row.action,
    target: row.target,
    outcome: row.outcome,
    status: row.status,
    requestId: row.requestId,
    details: row.details ?? null,
  };
}

/**
 * The audit log newest first (by id: the order rows were written), a page at a time. Offset
 * paging is fine for a page someone reads; the CSV export walks the log by keyset instead.
 */
export async function queryAudit(db: Db, filters: AuditFilters & { page: number; limit: number }): Promise<AuditPage> {
  const cond = where(filters);
  const rows = await db
    .select()
    .from(auditLog)
    .where(cond)
    .orderBy(desc(auditLog.id))
    .limit(filters.limit + 1)
    .offset((filters.page - 1) * filters.limit);
  const [{ total }] = await db.select({ total: count() }).from(auditLog).where(cond);
  return {
    items: rows.slice(0, filters.limit).map(toDto),
    page: filters.page,
    limit: filters.limit,
    total: Number(total),
    hasMore: rows.length > filters.limit,
  };
}

/** Every matching row newest first, in batches by keyset on id (constant cost per batch, whatever the log's size). */
export async function* iterateAudit(db: Db, filters: AuditFilters, batchSize = 500): AsyncGenerator<AuditEntryDto[]> {
  let before: number | null = null;
  for (;;) {
    const cond = where(filters);
    const rows: (typeof auditLog.$inferSelect)[] = await db
      .select()
      .from(auditLog)
      .where(before === null ? cond : and(cond, lt(auditLog.id, before)))
      .orderBy(desc(auditLog.id))
      .limit(batchSize);
    if (rows.length === 0) return;
    yield rows.map(toDto);
    if (rows.length < batchSize) return;
    before = Number(rows[rows.length - 1].id);
  }
}

// ---- CSV ----

export const AUDIT_CSV_COLUMNS = ["id", "at", "actor", "actor_kind", "action", "target", "outcome", "status", "request_id", "details"] as const;

const auditCsvCells = (e: AuditEntryDto) => [e.id, e.at, e.actor, e.actorKind, e.action, e.target, e.outcome, e.status, e.requestId, e.details];

export function auditCsvRow(e: AuditEntryDto): string {
  return csvLine(auditCsvCells(e));
}

/** The whole filtered log as a CSV byte stream, read in keyset batches while the client downloads. */
export function auditCsvStream(db: Db, filters: AuditFilters): ReadableStream<Uint8Array> {
  return csvStream(AUDIT_CSV_COLUMNS, iterateAudit(db, filters), auditCsvCells);
}
