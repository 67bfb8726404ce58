import { sql } from "drizzle-orm";
import type { Db, Exec } from "@/db/client";
import { isoTime, queryOne } from "@/db/sql";

export interface StateCounts {
  migrated: number;
  failed: number;
  rolledBack: number;
}

type CountsRow = { migrated: number; failed: number; rolled_back: number };
const toCounts = (row: CountsRow | undefined): StateCounts => ({ migrated: row?.migrated ?? 0, failed: row?.failed ?? 0, rolledBack: row?.rolled_back ?? 0 });

/**
 * How many prestamos are in each state, from the changes the triggers of drizzle/0005 append on
 * every write to migration_state: a sum over a few rows, exact, whatever the table's size.
 */
export async function getStateCounts(db: Exec): Promise<StateCounts> {
  const row = await queryOne<CountsRow>(
    db,
    sql`select coalesce(sum(delta) filter (where state = 'migrated'), 0)::int as migrated,
               coalesce(sum(delta) filter (where state = 'failed'), 0)::int as failed,
               coalesce(sum(delta) filter (where state = 'rolled_back'), 0)::int as rolled_back
        from migration_state_counts`,
  );
  return toCounts(row);
}

/**
 * Folds the appended changes into one row per state, in one statement: a change appended by a
 * transaction that has not committed yet is not seen, so not deleted, and still counts once.
 * A rollback of all in the meantime waits for it (its TRUNCATE trigger locks the counts, 0007).
 */
export async function compactStateCounts(db: Exec): Promise<void> {
  await db.execute(sql`with gone as (delete from migration_state_counts returning state, delta)
                       insert into migration_state_counts (state, delta) select state, sum(delta) from gone group by state having sum(delta) <> 0`);
}

export interface StateCountsCheck {
  checkedAt: string;
  /** The kept counts equalled the real ones. */
  ok: boolean;
  kept: StateCounts;
  real: StateCounts;
  /** They differed and the kept counts were rebuilt from the real ones. */
  repaired: boolean;
}

const CHECK_KEY = "check.state_counts";

// Kept and real counts read by ONE statement, so from one snapshot: every write to
// migration_state commits with its delta, so the two agree unless the counts drifted.
const compareSql = sql`select
    (select coalesce(sum(delta) filter (where state = 'migrated'), 0)::int from migration_state_counts) as kept_migrated,
    (select coalesce(sum(delta) filter (where state = 'failed'), 0)::int from migration_state_counts) as kept_failed,
    (select coalesce(sum(delta) filter (where state = 'rolled_back'), 0)::int from migration_state_counts) as kept_rolled_back,
    (select count(*) filter (where state not in ('migrated','failed','rolled_back')) from (select state from migration_state_counts group by state having sum(delta) <> 0) s)::int as kept_other,
    (select count(*) filter (where state = 'migrated') from migration_state)::int as migrated,
    (select count(*) filter (where state = 'failed') from migration_state)::int as failed,
    (select count(*) filter (where state = 'rolled_back') from migration_state)::int as rolled_back`;

type CompareRow = CountsRow & { kept_migrated: number; kept_failed: number; kept_rolled_back: number; kept_other: number };

const compare = async (db: Exec) => {
  const row = await queryOne<CompareRow>(db, compareSql);
  const kept = toCounts({ migrated: row!.kept_migrated, failed: row!.kept_failed, rolled_back: row!.kept_rolled_back });
  const real = toCounts(row);
  const ok = row!.kept_other === 0 && kept.migrated === real.migrated && kept.failed === real.failed && kept.rolledBack === real.rolledBack;
  return { kept, real, ok };
};

/**
 * The console's self-check of the kept counts: compares them with a real count of
 * migration_state and, when they differ, rebuilds them from it (the writers of migration_state
 * wait for that moment, at most 2 s, else the repair is retried at the next check). The result
 * is kept in the database for progress to show.
 */
export async function checkStateCounts(db: Db, log: (event: Record<string, unknown>) => void = () => {}): Promise<StateCountsCheck> {
  const first = await compare(db);
  let repaired = false;
  if (!first.ok) {
    await db.transaction(async (tx) => {
      await tx.execute(sql`set local lock_timeout = '2s'`);
      // The order every writer takes: migration_state, then its counts (compaction too waits).
      await tx.execute(sql`lock table migration_state in share mode`);
      await tx.execute(sql`lock table migration_state_counts in share row exclusive mode`);
      if ((await compare(tx)).ok) return;
      await tx.execute(sql`delete from migration_state_counts`);
      await tx.execute(sql`insert into migration_state_counts (state, delta) select state, count(*) from migration_state group by state`);
      repaired = true;
    });
    log({ msg: "state counts differed from migration_state", kept: first.kept, real: first.real, repaired });
  }
  const result = { ok: first.ok, kept: first.kept, real: first.real, repaired };
  const row = await queryOne<{ at: string }>(
    db,
    sql`insert into console_settings (key, value, updated_by, updated_at) values (${CHECK_KEY}, ${JSON.stringify(result)}::jsonb, 'system', now())
        on conflict (key) do update set value = excluded.value, updated_by = excluded.updated_by, updated_at = now()
        returning updated_at::text as at`,
  );
  return { checkedAt: isoTime(row!.at)!, ...result };
}

/** The last self-check's result, or null when none ran yet. */
export async function getLastStateCountsCheck(db: Exec): Promise<StateCountsCheck | null> {
  const row = await queryOne<{ value: unknown; at: string }>(db, sql`select value, updated_at::text as at from console_settings where key = ${CHECK_KEY}`);
  if (!row) return null;
  const value = (typeof row.value === "string" ? JSON.parse(row.value) : row.value) as Omit<StateCountsCheck, "checkedAt">;
  return { checkedAt: isoTime(row.at)!, ...value };
}
