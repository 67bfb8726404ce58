import { sql } from "drizzle-orm";
import type { Exec } from "@/db/client";
import { queryOne } from "@/db/sql";
import { CAPTURE_TRIGGERS } from "@/lib/migration/capture";
import { LEGACY_ROW_TRIGGERS } from "@/lib/migration/legacy-row-counts";
import { dropArchiveLensDdl } from "@/lib/migration/cutover-lens";
import { dropNewDefaultsDdl, dropViewsDdl } from "@/lib/migration/cutover-sql";
import { ARCHIVE, dropReverseCaptureDdl } from "@/lib/migration/reverse-capture";

/** The legacy tables and everything the engine keeps: what a test starts from empty. */
const ENGINE_TABLES = [
  "prestamos",
  "pagos_prestamo",
  "prestamos_new",
  "pagos_prestamo_new",
  "migration_state",
  "migration_failures",
  "migration_runs",
  "migration_chunks",
  "migration_batches",
  "capture_changes",
  "capture_state",
  "cutover_switches",
  "reverse_changes",
  "throttle_episodes",
  "throttle_samples",
];

/** Undoes a cut-over a test left behind (views, archive names, reverse triggers, phase). */
async function resetCutover(db: Exec): Promise<void> {
  const state = await queryOne<{ archived: boolean; views: boolean }>(
    db,
    sql`select to_regclass(${ARCHIVE.prestamos}) is not null as archived,
               exists (select 1 from pg_class where relname = 'prestamos' and relkind = 'v' and relnamespace = current_schema()::regnamespace) as views`,
  );
  const schema = "public";
  if (state?.views) for (const stmt of dropViewsDdl(schema)) await db.execute(sql.raw(stmt));
  for (const stmt of dropArchiveLensDdl) await db.execute(sql.raw(stmt));
  if (state?.archived) {
    for (const stmt of [`alter table ${ARCHIVE.prestamos} rename to prestamos`, `alter table ${ARCHIVE.pagos} rename to pagos_prestamo`])
      await db.execute(sql.raw(stmt));
  }
  for (const stmt of [...dropReverseCaptureDdl(schema), ...dropNewDefaultsDdl(schema)]) await db.execute(sql.raw(stmt));
  await db.execute(sql`update cutover_state set phase = 'legacy', changed_at = null, changed_by = null where id = 1`);
}

/** Removes the capture triggers and empties the engine's tables (and `also`), ids restarted. */
export async function resetMigrationTables(db: Exec, also: string[] = []): Promise<void> {
  await resetCutover(db);
  await db.execute(sql.raw(`drop trigger if exists ${CAPTURE_TRIGGERS.prestamos} on prestamos`));
  await db.execute(sql.raw(`drop trigger if exists ${CAPTURE_TRIGGERS.pagos} on pagos_prestamo`));
  await db.execute(sql.raw(`truncate ${[...ENGINE_TABLES, ...also].join(", ")} restart identity cascade`));
  // A test that disabled every user trigger (DISABLE TRIGGER USER) disabled the row-count triggers
  // too: the next test starts with them as start-up leaves them.
  for (const { table, name } of LEGACY_ROW_TRIGGERS) await db.execute(sql.raw(`alter table ${table} enable always trigger ${name}`));
}
