/**
 * Server-only read for the prestamos explorer (imports the database; never import it from a
 * client file). Keyset paging by legacy id: `p.id > after ORDER BY p.id LIMIT n+1` (or `< before`
 * descending for the previous page), so a page costs an index range scan whatever the table size,
 * and nothing counts the whole table. State comes from a left join on migration_state (no row =
 * pending, README), stale from capture_changes, the failure filter from migration_failures.
 */
import { sql, type SQL } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "@/db/client";
import { isoTime, queryRows } from "@/db/sql";
import { PositiveIntString } from "@/lib/api/schemas";
import { FAILURE_CODE_NAMES } from "@/lib/migration/vocabulary";

export const EXPLORER_STATES = ["pending", "migrated", "failed", "rolled_back", "stale"] as const;
export type ExplorerState = (typeof EXPLORER_STATES)[number];
export const EXPLORER_PAGE_SIZE = 50;

/** The page's URL state; a bad value is dropped (the page says so) rather than failing the page. */
export const ExplorerQuery = z.object({
  state: z.enum(EXPLORER_STATES).optional().catch(undefined),
  code: z.enum(FAILURE_CODE_NAMES).optional().catch(undefined),
  after: PositiveIntString.optional().catch(undefined),
  before: PositiveIntString.optional().catch(undefined),
});
export type ExplorerQuery = z.infer<typeof ExplorerQuery>;

export interface ExplorerRow {
  id: number;
  clienteNombre: string | null;
  monto: string | null;
  moneda: string | null;
  estado: string | null;
  state: "pending" | "migrated" | "failed" | "rolled_back";
  stale: boolean;
  stateUpdatedAt: string | null;
  pagos: number;
  codes: string[];
}

export interface ExplorerPage {
  rows: ExplorerRow[];
  /** The id to pass as ?after= for the next page, or null when this is the last. */
  nextAfter: number | null;
  /** The id to pass as ?before= for the previous page, or null on the first. */
  prevBefore: number | null;
}

const STATE_FILTER: Record<ExplorerState, SQL> = {
  pending: sql`s.legacy_id is null`,
  migrated: sql`s.state = 'migrated'`,
  failed: sql`s.state = 'failed'`,
  rolled_back: sql`s.state = 'rolled_back'`,
  stale: sql`s.state = 'migrated' and exists (select 1 from capture_changes c where c.prestamo_id = p.id)`,
};

export async function listLegacyPrestamos(db: Db, q: ExplorerQuery, limit = EXPLORER_PAGE_SIZE): Promise<ExplorerPage> {
  const backwards = q.before !== undefined && q.after === undefined;
  const conds: SQL[] = [];
  if (backwards) conds.push(sql`p.id < ${q.before}`);
  else if (q.after !== undefined) conds.push(sql`p.id > ${q.after}`);
  if (q.state) conds.push(STATE_FILTER[q.state]);
  if (q.code) conds.push(sql`exists (select 1 from migration_failures f where f.legacy_id = p.id and f.code = ${q.code})`);
  const where = conds.length ? sql`where ${sql.join(conds, sql` and `)}` : sql``;

  const raw = await queryRows<{
    id: number;
    cliente_nombre: string | null;
    monto: string | null;
    moneda: string | null;
    estado: string | null;
    state: ExplorerRow["state"] | null;
    updated_at: unknown;
    stale: boolean;
    pagos: number;
    codes: string | null;
  }>(
    db,
    sql`select p.id, p.cliente_nombre, p.monto::text as monto, p.moneda, p.estado, s.state, s.updated_at,
               exists (select 1 from capture_changes c where c.prestamo_id = p.id) as stale,
               (select count(*) from pagos_prestamo g where g.prestamo_id = p.id)::int as pagos,
               (select string_agg(distinct f.code, ',') from migration_failures f where f.legacy_id = p.id) as codes
        from prestamos p
        left join migration_state s on s.legacy_id = p.id
        ${where}
        order by p.id ${backwards ? sql`desc` : sql`asc`}
        limit ${limit + 1}`,
  );
  const more = raw.length > limit;
  const page = raw.slice(0, limit);
  if (backwards) page.reverse();
  const rows: ExplorerRow[] = page.map((r) => ({
    id: Number(r.id),
    clienteNombre: r.cliente_nombre,
    monto: r.monto,
    moneda: r.moneda,
    estado: r.estado,
    state: r.state ?? "pending",
    stale: Boolean(r.stale) && r.state === "migrated",
    stateUpdatedAt: isoTime(r.updated_at),
    pagos: Number(r.pagos),
    codes: r.codes ? r.codes.split(",") : [],
  }));
  const first = rows[0]?.id ?? null;
  const last = rows[rows.length - 1]?.id ?? null;
  return {
    rows,
    nextAfter: last === null ? null : backwards ? last : more ? last : null,
    prevBefore: first === null ? null : backwards ? (more ? first : null) : q.after !== undefined ? first : null,
  };
}
