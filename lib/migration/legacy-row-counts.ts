/**
 * How many rows the legacy tables hold, without counting them: statement triggers on both tables
 * append (table, ±rows) to legacy_row_counts for every INSERT and DELETE statement (an UPDATE
 * changes no count and pays nothing), and a poll sums a few rows. Separate objects from the
 * capture triggers: they stay after cleanup, because progress and the Overview keep reading them.
 *
 * The count is exact only from a seed taken after the triggers exist: one REPEATABLE READ
 * transaction counts the table and deletes the deltas it can see (the changes its count already
 * holds); deltas committed later were invisible to both, so they stay and add up. A `seed:<table>`
 * row marks a seeded count. Triggers missing or disabled: the figures are the planner's estimate,
 * and say so.
 */
import { sql } from "drizzle-orm";
import type { Db, Exec } from "@/db/client";
import { queryOne, queryRows } from "@/db/sql";
import { pgErrorCode } from "@/lib/errors";
import { ddlWithRetry } from "./capture";
import { getLegacyCounts, type LegacyCounts } from "./legacy-counts";

const TABLES = ["prestamos", "pagos_prestamo"] as const;
type LegacyTable = (typeof TABLES)[number];
const EVENTS = ["inserted", "deleted", "truncated"] as const;
export const LEGACY_ROW_TRIGGERS = TABLES.flatMap((t) => EVENTS.map((e) => ({ table: t, name: `console_legacy_rows_${e}` })));

async function schemaOf(db: Exec): Promise<string> {
  return (await queryOne<{ s: string }>(db, sql`SELECT quote_ident(current_schema()) AS s`))!.s;
}

function functionBodies(s: string): Record<string, string> {
  return {
    console_legacy_rows_inserted: ` BEGIN INSERT INTO ${s}.legacy_row_counts (tbl, delta) SELECT TG_ARGV[0], count(*) FROM new_rows HAVING count(*) > 0; RETURN NULL; END `,
    console_legacy_rows_deleted: ` BEGIN INSERT INTO ${s}.legacy_row_counts (tbl, delta) SELECT TG_ARGV[0], -count(*) FROM old_rows HAVING count(*) > 0; RETURN NULL; END `,
    // The lock first: a compaction in flight has deleted the deltas and inserted their sum, which
    // this DELETE's snapshot would not see; once it committed, the DELETE sees (and removes) the sum.
    console_legacy_rows_truncated: ` BEGIN LOCK TABLE ${s}.legacy_row_counts IN EXCLUSIVE MODE; DELETE FROM ${s}.legacy_row_counts WHERE tbl = TG_ARGV[0]; RETURN NULL; END `,
  };
}

function functionsSql(s: string): string[] {
  // SECURITY DEFINER: the application's role may not write the console's table; a fixed search_path
  // so that no object of the caller's schemas is picked up instead of ours.
  return Object.entries(functionBodies(s)).map(
    ([name, body]) => `CREATE OR REPLACE FUNCTION ${s}.${name}() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
     SET search_path = pg_catalog, ${s} AS $$${body}$$`,
  );
}

/** True when the three functions exist with today's bodies (a console upgraded in place replaces older ones). */
async function functionsCurrent(db: Exec, s: string): Promise<boolean> {
  const rows = await queryRows<{ proname: string; prosrc: string }>(
    db,
    sql`SELECT proname, prosrc FROM pg_proc WHERE pronamespace = current_schema()::regnamespace AND proname LIKE 'console\_legacy\_rows\_%'`,
  );
  return Object.entries(functionBodies(s)).every(([name, body]) => rows.some((r) => r.proname === name && r.prosrc === body));
}

function triggersSql(s: string): string[] {
  // The table's name travels as an argument: it survives the rename of a cut-over.
  return TABLES.flatMap((t) => [
    ...EVENTS.map((e) => `DROP TRIGGER IF EXISTS console_legacy_rows_${e} ON ${t}`),
    `CREATE TRIGGER console_legacy_rows_inserted AFTER INSERT ON ${t} REFERENCING NEW TABLE AS new_rows
     FOR EACH STATEMENT EXECUTE FUNCTION ${s}.console_legacy_rows_inserted('${t}')`,
    `CREATE TRIGGER console_legacy_rows_deleted AFTER DELETE ON ${t} REFERENCING OLD TABLE AS old_rows
     FOR EACH STATEMENT EXECUTE FUNCTION ${s}.console_legacy_rows_deleted('${t}')`,
    `CREATE TRIGGER console_legacy_rows_truncated AFTER TRUNCATE ON ${t} FOR EACH STATEMENT EXECUTE FUNCTION ${s}.console_legacy_rows_truncated('${t}')`,
    // Writes in replica mode (logical replication, a restore) change the count too.
    ...EVENTS.map((e) => `ALTER TABLE ${t} ENABLE ALWAYS TRIGGER console_legacy_rows_${e}`),
  ]);
}

async function triggersInstalled(db: Exec): Promise<boolean> {
  const row = await queryOne<{ n: number }>(
    db,
    sql`SELECT count(*)::int AS n FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
        WHERE NOT t.tgisinternal AND c.relnamespace = current_schema()::regnamespace AND t.tgenabled = 'A'
          AND c.relname IN ('prestamos', 'pagos_prestamo') AND t.tgname LIKE 'console\\_legacy\\_rows\\_%'`,
  );
  return (row?.n ?? 0) === LEGACY_ROW_TRIGGERS.length;
}

/**
 * Installs the counting triggers when they are not all there and enabled (start-up), then seeds
 * the counts. DDL on the application's tables: a short lock timeout, retried (capture.ts).
 */
export async function installLegacyRowCounts(db: Db): Promise<boolean> {
  if (!(await functionsCurrent(db, await schemaOf(db)))) {
    await db.transaction(async (tx) => {
      // Two instances starting at once would replace the same functions concurrently.
      await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtext('console_legacy_rows functions'))`);
      for (const stmt of functionsSql(await schemaOf(tx))) await tx.execute(sql.raw(stmt));
    });
  }
  if (await triggersInstalled(db)) return false;
  await db.transaction(async (tx) => {
    const s = await schemaOf(tx);
    await ddlWithRetry(tx, triggersSql(s));
    // Deltas from before (triggers dropped and made again) describe a gap: start over.
    await tx.execute(sql`DELETE FROM legacy_row_counts`);
  });
  await seedLegacyRowCounts(db);
  return true;
}

/**
 * Exact counts of both tables in one snapshot, which become the base of the kept counts. Returns
 * them with the orphan pagos of the same snapshot when `orphans`.
 */
async function seedLegacyRowCounts(db: Db, opts: { orphans?: boolean } = {}): Promise<LegacyCounts | null> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction(
        async (tx) => {
          const counts = opts.orphans ? await getLegacyCounts(tx) : null;
          const exact =
            counts ??
            (await queryOne<{ prestamos: number; pagos: number }>(
              tx,
              sql`SELECT (SELECT count(*) FROM prestamos)::float8 AS prestamos, (SELECT count(*) FROM pagos_prestamo)::float8 AS pagos`,
            ));
          await tx.execute(sql`DELETE FROM legacy_row_counts`);
          await tx.execute(sql`INSERT INTO legacy_row_counts (tbl, delta) VALUES
            ('prestamos', ${Number(exact?.prestamos ?? 0)}), ('pagos_prestamo', ${Number(exact?.pagos ?? 0)}), ('seed:prestamos', 1), ('seed:pagos_prestamo', 1)`);
          return counts;
        },
        { isolationLevel: "repeatable read" },
      );
    } catch (err) {
      // Another instance folded the deltas meanwhile (serialization failure): count again.
      if (pgErrorCode(err) !== "40001" || attempt >= 3) throw err;
    }
  }
}

/** The exact recount job: both tables and their orphans in one snapshot; the kept counts start from it again. */
export async function recountLegacy(db: Db): Promise<LegacyCounts> {
  return (await seedLegacyRowCounts(db, { orphans: true }))!;
}

export interface KeptLegacyCounts {
  prestamos: number;
  pagos: number;
  /** true: kept by the triggers from an exact seed; false: the planner's estimate (pg_class.reltuples). */
  exact: boolean;
}

/** The rows of both legacy tables from the kept counts: a sum over a handful of rows, whatever the tables' size. */
export async function getKeptLegacyCounts(db: Exec): Promise<KeptLegacyCounts> {
  const rows = await queryRows<{ tbl: string; n: number }>(
    db,
    sql`SELECT tbl, sum(delta)::float8 AS n FROM legacy_row_counts GROUP BY tbl
        UNION ALL
        SELECT 'triggers', count(*)::float8 FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
        WHERE NOT t.tgisinternal AND c.relnamespace = current_schema()::regnamespace AND t.tgenabled = 'A'
          AND t.tgname LIKE 'console\\_legacy\\_rows\\_%'
        UNION ALL
        SELECT 'estimate:' || c.relname, greatest(c.reltuples, 0)::float8 FROM pg_class c
        WHERE c.relnamespace = current_schema()::regnamespace AND c.relname IN ('prestamos', 'pagos_prestamo')`,
  );
  const get = (k: string) => Number(rows.find((r) => r.tbl === k)?.n ?? 0);
  const exact = get("triggers") === LEGACY_ROW_TRIGGERS.length && TABLES.every((t: LegacyTable) => get(`seed:${t}`) === 1);
  if (exact) return { prestamos: get("prestamos"), pagos: get("pagos_prestamo"), exact };
  return { prestamos: Math.round(get("estimate:prestamos")), pagos: Math.round(get("estimate:pagos_prestamo")), exact };
}

/** Folds the appended deltas into one row per table (a delta of an open transaction is not seen, so it stays). */
export async function compactLegacyRowCounts(db: Exec): Promise<void> {
  await db.execute(sql`WITH gone AS (DELETE FROM legacy_row_counts RETURNING tbl, delta)
                       INSERT INTO legacy_row_counts (tbl, delta) SELECT tbl, sum(delta) FROM gone GROUP BY tbl HAVING sum(delta) <> 0`);
}
