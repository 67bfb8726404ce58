import type { DbHandle } from "@/db/client";
import { applyMigrations, ensureLegacyTables } from "@/db/migrate";
import { installLegacyRowCounts } from "./legacy-row-counts";
import { installRuleFunctions } from "./rule-functions";

/**
 * Everything a database needs before the console uses it: the drizzle migrations, the legacy
 * tables when absent (a trial database), the SQL functions generated from the rules table, and the
 * triggers that keep the legacy tables' row counts.
 * Idempotent; called at start-up, by `npm run db:migrate` and by the test template.
 */
export async function prepareDatabase(handle: DbHandle): Promise<{ createdLegacyTables: boolean }> {
  await applyMigrations(handle);
  const createdLegacyTables = await ensureLegacyTables(handle);
  await installRuleFunctions(handle.db);
  await installLegacyRowCounts(handle.db);
  return { createdLegacyTables };
}
