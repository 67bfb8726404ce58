import { sql } from "drizzle-orm";
import type { Db } from "@/db/client";
import { queryOne } from "@/db/sql";

export interface StateCounts {
  migrated: number;
  failed: number;
  rolledBack: number;
}

/**
 * How many prestamos are in each state, from the changes the triggers of drizzle/0005 append on
 * every write to migration_state: a sum over a few rows, exact, whatever the table's size.
 */
export async function getStateCounts(db: Pick<Db, "execute">): Promise<StateCounts> {
  const row = await queryOne<{ migrated: number; failed: number; rolled_back: number }>(
    db,
    sql`select coalesce(sum(delta) filter (where state = 'migrated'), 0)::int as migrated,
               coalesce(sum(delta) filter (where state = 'failed'), 0)::int as failed,
               coalesce(sum(delta) filter (where state = 'rolled_back'), 0)::int as rolled_back
        from migration_state_counts`,
  );
  return { migrated: row?.migrated ?? 0, failed: row?.failed ?? 0, rolledBack: row?.rolled_back ?? 0 };
}

/**
 * Folds the appended changes into one row per state, in one statement: a change appended by a
 * transaction that has not committed yet is not seen, so not deleted, and still counts once.
 */
export async function compactStateCounts(db: Pick<Db, "execute">): Promise<void> {
  await db.execute(sql`with gone as (delete from migration_state_counts returning state, delta)
                       insert into migration_state_counts (state, delta) select state, sum(delta) from gone group by state having sum(delta) <> 0`);
}
