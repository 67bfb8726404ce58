import { sql } from "drizzle-orm";
import type { Exec } from "@/db/client";
import { queryOne } from "@/db/sql";

/** What the legacy tables hold right now (the overview's first figures). JSON-safe. */
export interface LegacyCounts {
  prestamos: number;
  pagos: number;
  /** Pagos whose prestamo_id is NULL or names no prestamo (MIGRATION-SPEC: orphans). */
  orphanPagos: number;
  /** Of those, prestamo_id IS NULL. */
  orphanPagosNull: number;
  /** Of those, prestamo_id names a prestamo that does not exist. */
  orphanPagosDangling: number;
  /** When the counts were read, ISO 8601 (the database's clock). */
  readAt: string;
}

/**
 * Counts of the legacy tables in one statement (one snapshot). Counts are int8: converted
 * explicitly, whatever the driver returns (CONVENTIONS, pattern 7).
 */
export async function getLegacyCounts(db: Exec): Promise<LegacyCounts> {
  const row = await queryOne<Record<string, unknown>>(
    db,
    sql`select
          (select count(*) from prestamos) as prestamos,
          (select count(*) from pagos_prestamo) as pagos,
          (select count(*) from pagos_prestamo where prestamo_id is null) as orphan_null,
          (select count(*) from pagos_prestamo pg
            where pg.prestamo_id is not null
              and not exists (select 1 from prestamos p where p.id = pg.prestamo_id)) as orphan_dangling,
          to_char(now() at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as read_at`,
  );
  const n = (v: unknown) => Number(v ?? 0);
  const orphanPagosNull = n(row?.orphan_null);
  const orphanPagosDangling = n(row?.orphan_dangling);
  return {
    prestamos: n(row?.prestamos),
    pagos: n(row?.pagos),
    orphanPagos: orphanPagosNull + orphanPagosDangling,
    orphanPagosNull,
    orphanPagosDangling,
    readAt: String(row?.read_at ?? new Date().toISOString()),
  };
}
