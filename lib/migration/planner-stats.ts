import { sql } from "drizzle-orm";
import type { Exec } from "@/db/client";
import { queryRows } from "@/db/sql";

/** The console's own tables that a run fills from empty (the legacy tables are the application's). */
const FILLED_BY_RUNS = ["prestamos_new", "pagos_prestamo_new", "migration_state", "migration_failures"];

/**
 * ANALYZEs those of the console's tables whose size moved by more than a fifth since their last
 * ANALYZE (pages now against the pages the planner last saw: no wait for the statistics
 * collector, which lags behind a run that just ended). A run fills them from empty faster than
 * autovacuum notices: with the statistics of empty tables the planner sized one hash join of the
 * consistency check for millions of rows (1,024 batches on disk for 15,000 rows), 3.2 s a chunk
 * instead of 0.14 s at 1,000,000 prestamos.
 */
export async function refreshPlannerStats(db: Exec): Promise<string[]> {
  const stale = await queryRows<{ relname: string }>(
    db,
    sql`select c.relname from pg_class c
        where c.relnamespace = current_schema()::regnamespace and c.relkind = 'r'
          and c.relname in (${sql.join(
            FILLED_BY_RUNS.map((t) => sql`${t}`),
            sql`, `,
          )})
          and abs(pg_relation_size(c.oid) / current_setting('block_size')::int - c.relpages) > greatest(10, c.relpages / 5)`,
  );
  const tables = stale.map((r) => r.relname).filter((t) => FILLED_BY_RUNS.includes(t));
  if (tables.length) await db.execute(sql.raw(`analyze ${tables.join(", ")}`));
  return tables;
}
