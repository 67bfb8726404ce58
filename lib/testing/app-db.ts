import { openDb, setDbHandle, type DbHandle } from "@/db/client";
import { createPgDatabase, testDriver, type TestDb } from "./db";

/**
 * In-process route tests: make `getDb()` (db/client.ts) return this test's database, as if the
 * server had opened it; returns a function that forgets it again. The one way tests do this.
 */
export function installAppDb(handle: DbHandle): () => void {
  setDbHandle(handle);
  return () => setDbHandle(undefined);
}

let counter = 0;

/**
 * A database with nothing in it: not migrated, no legacy tables (unlike openTestDb, which starts
 * from the migrated template). For tests of what start-up does to a brand-new database.
 */
export async function openEmptyDb(): Promise<TestDb> {
  if (testDriver() === "pglite") {
    const handle = await openDb();
    return { ...handle, dispose: () => handle.close() };
  }
  return createPgDatabase(`prestamos_test_empty_${process.pid}_${++counter}_${Date.now() % 100000}`, { max: 3 });
}
