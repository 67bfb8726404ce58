import fs from "node:fs";
import postgres from "postgres";
import { openDb } from "@/db/client";
import { prepareDatabase } from "@/lib/migration/prepare";
import { PG_ADMIN_URL, pglitePath, pgUrl, templateDbName, testDriver } from "./db";

/** Builds the migrated template once per run: a PGlite dump, or a PostgreSQL template database. */
export default async function globalSetup() {
  process.env.TEST_RUN_TAG ??= `${process.pid}`;
  if (testDriver() === "pglite") {
    const handle = await openDb();
    await prepareDatabase(handle);
    const dump = await (handle.db as unknown as { $client: { dumpDataDir(c?: string): Promise<Blob> } }).$client.dumpDataDir("gzip");
    fs.writeFileSync(pglitePath(), Buffer.from(await dump.arrayBuffer()));
    await handle.close();
    return () => fs.rmSync(pglitePath(), { force: true });
  }
  const admin = postgres(PG_ADMIN_URL, { max: 1, onnotice: () => {}, connect_timeout: 5 });
  try {
    await admin`select 1`;
  } catch (err) {
    throw new Error(`PostgreSQL at ${PG_ADMIN_URL} is unreachable: integration tests on PostgreSQL fail rather than skip. (${String(err)})`);
  }
  const name = templateDbName();
  await admin.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await admin.unsafe(`CREATE DATABASE "${name}"`);
  const handle = await openDb({ url: pgUrl(name), max: 1 });
  await prepareDatabase(handle);
  await handle.close();
  return async () => {
    await admin.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.end();
  };
}
