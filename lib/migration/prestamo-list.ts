/**
 * The legacy prestamos with their migration state, for the explorer page and `GET /api/prestamos`.
 * Keyset paging by legacy id: `p.id > after ORDER BY p.id LIMIT n+1` (or `< before` descending for
 * the previous page), so a page costs an index range scan whatever the table size. State comes
 * from a left join on migration_state (no row = pending, README), stale from capture_changes, the
 * failure filter from migration_failures. The total comes from the kept counts (all, or one state);
 * with a search, a failure code or "stale" it is counted up to a cap.
 */
import { sql, type SQL } from "drizzle-orm";
import type { Exec } from "@/db/client";
import { isoTime, queryOne, queryRows } from "@/db/sql";
import { getKeptLegacyCounts } from "./legacy-row-counts";
import type { FailureCode } from "./rules";
import { getStateCounts } from "./state-counts";
import type { PrestamoListState } from "./vocabulary";

/** What GET /api/prestamos asks (lib/api/schemas.ts parses the address into it). */
export interface PrestamoListQuery {
  state?: PrestamoListState;
  code?: FailureCode;
  q?: string;
  after?: number;
  before?: number;
  limit: number;
}

export interface PrestamoListItem {
  id: number;
  clienteNombre: string | null;
  clienteDocumento: string | null;
  monto: string | null;
  moneda: string | null;
  estado: string | null;
  state: "pending" | "migrated" | "failed" | "rolled_back";
  stale: boolean;
  stateUpdatedAt: string | null;
  pagos: number;
  codes: string[];
}

export interface PrestamoListPage {
  items: PrestamoListItem[];
  /** Prestamos matching the filters and the search, over every page (at least this many when `totalIsLowerBound`). */
  total: number;
  /** The count stopped at PRESTAMO_COUNT_CAP: there are more. */
  totalIsLowerBound: boolean;
  /** The id to pass as `after` for the next page, or null when this is the last. */
  nextAfter: number | null;
  /** The id to pass as `before` for the previous page, or null on the first. */
  prevBefore: number | null;
}

const STATE_FILTER: Record<PrestamoListState, SQL> = {
  pending: sql`s.legacy_id is null`,
  migrated: sql`s.state = 'migrated'`,
  failed: sql`s.state = 'failed'`,
  rolled_back: sql`s.state = 'rolled_back'`,
  stale: sql`s.state = 'migrated' and exists (select 1 from capture_changes c where c.prestamo_id = p.id)`,
};

const INT4 = /^-?[0-9]{1,10}$/;

/** A search term matches the legacy id exactly, or a part of the cliente's name or documento (case-insensitive). */
function searchFilter(q: string): SQL {
  const pattern = `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  const text = sql`(p.cliente_nombre ilike ${pattern} or p.cliente_documento ilike ${pattern})`;
  const id = INT4.test(q) ? Number(q) : NaN;
  return Math.abs(id) <= 2147483647 ? sql`(p.id = ${id} or ${text})` : text;
}

type Filters = Omit<PrestamoListQuery, "after" | "before" | "limit">;

function filterConditions(q: Filters): SQL[] {
  const conds: SQL[] = [];
  if (q.state) conds.push(STATE_FILTER[q.state]);
  if (q.code) conds.push(sql`exists (select 1 from migration_failures f where f.legacy_id = p.id and f.code = ${q.code})`);
  if (q.q) conds.push(searchFilter(q.q));
  return conds;
}

const whereOf = (conds: SQL[]) => (conds.length ? sql`where ${sql.join(conds, sql` and `)}` : sql``);

/** A count that has to walk rows stops past this many: the page says "10,000+". */
export const PRESTAMO_COUNT_CAP = 10_000;

/**
 * The total of the matching prestamos without walking the table where the kept counts know it
 * (all of them, or those of one state); otherwise counted up to the cap.
 */
async function matchingTotal(db: Exec, q: Filters, filters: SQL[]): Promise<{ total: number; lowerBound: boolean }> {
  if (!q.code && !q.q && q.state !== "stale") {
    const [kept, states] = await Promise.all([getKeptLegacyCounts(db), getStateCounts(db)]);
    if (kept.exact) {
      const byState: Record<Exclude<PrestamoListState, "stale">, number> = {
        pending: Math.max(0, kept.prestamos - states.migrated - states.failed - states.rolledBack),
        migrated: states.migrated,
        failed: states.failed,
        rolled_back: states.rolledBack,
      };
      return { total: q.state ? byState[q.state] : kept.prestamos, lowerBound: false };
    }
  }
  const row = await queryOne<{ n: unknown }>(
    db,
    sql`select count(*)::int as n from (select 1 from prestamos p left join migration_state s on s.legacy_id = p.id ${whereOf(filters)} limit ${PRESTAMO_COUNT_CAP + 1}) x`,
  );
  const n = Number(row?.n ?? 0);
  return n > PRESTAMO_COUNT_CAP ? { total: PRESTAMO_COUNT_CAP, lowerBound: true } : { total: n, lowerBound: false };
}

export async function listPrestamos(db: Exec, q: PrestamoListQuery): Promise<PrestamoListPage> {
  const backwards = q.before !== undefined && q.after === undefined;
  const filters = filterConditions(q);
  const conds = [...filters];
  if (backwards) conds.push(sql`p.id < ${q.before}`);
  else if (q.after !== undefined) conds.push(sql`p.id > ${q.after}`);

  const raw = await queryRows<{
    id: number;
    cliente_nombre: string | null;
    cliente_documento: string | null;
    monto: string | null;
    moneda: string | null;
    estado: string | null;
    state: PrestamoListItem["state"] | null;
    updated_at: unknown;
    stale: boolean;
    pagos: number;
    codes: string | null;
  }>(
    db,
    sql`select p.id, p.cliente_nombre, p.cliente_documento, p.monto::text as monto, p.moneda, p.estado, s.state, s.updated_at,
               exists (select 1 from capture_changes c where c.prestamo_id = p.id) as stale,
               (select count(*) from pagos_prestamo g where g.prestamo_id = p.id)::int as pagos,
               (select string_agg(distinct f.code, ',') from migration_failures f where f.legacy_id = p.id) as codes
        from prestamos p
        left join migration_state s on s.legacy_id = p.id
        ${whereOf(conds)}
        order by p.id ${backwards ? sql`desc` : sql`asc`}
        limit ${q.limit + 1}`,
  );
  const counted = await matchingTotal(db, q, filters);

  const more = raw.length > q.limit;
  const page = raw.slice(0, q.limit);
  if (backwards) page.reverse();
  const items: PrestamoListItem[] = page.map((r) => ({
    id: Number(r.id),
    clienteNombre: r.cliente_nombre,
    clienteDocumento: r.cliente_documento,
    monto: r.monto,
    moneda: r.moneda,
    estado: r.estado,
    state: r.state ?? "pending",
    stale: Boolean(r.stale) && r.state === "migrated",
    stateUpdatedAt: isoTime(r.updated_at),
    pagos: Number(r.pagos),
    codes: r.codes ? r.codes.split(",") : [],
  }));
  const first = items[0]?.id ?? null;
  const last = items[items.length - 1]?.id ?? null;
  return {
    items,
    total: counted.total,
    totalIsLowerBound: counted.lowerBound,
    nextAfter: last === null ? null : backwards || more ? last : null,
    prevBefore: first === null ? null : backwards ? (more ? first : null) : q.after !== undefined ? first : null,
  };
}
