/**
 * `npm run db:migrate`: prepares the database the server would open (DATABASE_URL, else the
 * embedded folder) — drizzle migrations, legacy tables when absent, rule functions — prints a
 * summary and closes. Fails fast when the embedded folder is held by a running server.
 */
import { closeDb, DataDirLockedError, getDbHandle } from "@/db/client";
import { migrationStatus } from "@/db/migrate";
import { prepareDatabase } from "@/lib/migration/prepare";
import { EnvError, parseEnv } from "@/lib/server/env";

async function main(): Promise<number> {
  try {
    parseEnv();
    const started = performance.now();
    const handle = await getDbHandle();
    const before = await migrationStatus(handle);
    const { createdLegacyTables } = await prepareDatabase(handle);
    const after = await migrationStatus(handle);
    const ms = Math.round(performance.now() - started);
    console.log(`database:        ${handle.location} (${handle.driver})`);
    console.log(`migrations:      ${after.applied} applied (${after.applied - before.applied} new)`);
    console.log(`legacy tables:   ${createdLegacyTables ? "created (they were absent)" : "present, left as they are"}`);
    console.log(`rule functions:  installed`);
    console.log(`took:            ${ms} ms`);
    return 0;
  } catch (err) {
    if (err instanceof DataDirLockedError || err instanceof EnvError) console.error(err.message);
    else console.error(`db:migrate failed: ${String((err as Error)?.stack ?? err)}`);
    return 1;
  } finally {
    await closeDb().catch(() => {});
  }
}

main().then((code) => process.exit(code));
