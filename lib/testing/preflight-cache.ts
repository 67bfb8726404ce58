import type { Db } from "@/db/client";

/**
 * Forgets the pre-flight's cached dry run of a database handle, so a test measures the data it
 * has just written. The cache is the global that lib/migration/preflight.ts keeps (it is shared
 * across bundles, hence global): nothing in production clears it.
 */
export function clearPreflightCache(db: Db): void {
  (globalThis as unknown as { __prestamosDryRunCache?: WeakMap<object, unknown> }).__prestamosDryRunCache?.delete(db);
}
