import { sql } from "drizzle-orm";
import type { Db } from "@/db/client";
import { CAPTURE_TRIGGERS } from "@/lib/migration/capture";

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
  "throttle_episodes",
  "throttle_samples",
];

/** Removes the capture triggers and empties the engine's tables (and `also`), ids restarted. */
export async function resetMigrationTables(db: Pick<Db, "execute">, also: string[] = []): Promise<void> {
  await db.execute(sql.raw(`drop trigger if exists ${CAPTURE_TRIGGERS.prestamos} on prestamos`));
  await db.execute(sql.raw(`drop trigger if exists ${CAPTURE_TRIGGERS.pagos} on pagos_prestamo`));
  await db.execute(sql.raw(`truncate ${[...ENGINE_TABLES, ...also].join(", ")} restart identity cascade`));
}
