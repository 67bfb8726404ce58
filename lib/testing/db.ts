import fs from "node:fs";
import path from "node:path";
import os from "node:os";
import postgres from "postgres";
import { openDb, type DbHandle } from "@/db/client";
import { prepareDatabase } from "@/lib/migration/prepare";

/**
 * Integration tests run twice: TEST_DB=pglite (default) and TEST_DB=postgres (127.0.0.1:5432).
 * Each test file gets a fresh, migrated database made from a template built once per run in
 * global setup (lib/testing/global-setup.ts). PostgreSQL unreachable is a failure, never a skip.
 */
export type TestDriver = "pglite" | "postgres";
export const testDriver = (): TestDriver => (process.env.TEST_DB === "postgres" ? "postgres" : "pglite");

export const PG_ADMIN_URL = process.env.TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const runTag = () => process.env.TEST_RUN_TAG ?? String(process.pid);
export const templateDbName = () => `prestamos_test_tmpl_${runTag()}`;
export const pglitePath = () => path.join(os.tmpdir(), `prestamos-pglite-template-${runTag()}.tar.gz`);

export function pgUrl(dbName: string): string {
  const u = new URL(PG_ADMIN_URL);
  u.pathname = `/${dbName}`;
  return u.toString();
}

let counter = 0;

export interface TestDb extends DbHandle {
  /** PostgreSQL only: the URL of this file's database (for child processes). */
  url?: string;
  dispose(): Promise<void>;
}

export async function openTestDb(): Promise<TestDb> {
  if (testDriver() === "pglite") {
    const file = pglitePath();
    const handle = fs.existsSync(file)
      ? await openDb({ loadDataDir: new Blob([fs.readFileSync(file)]) })
      : await (async () => {
          const h = await openDb();
          await prepareDatabase(h);
          return h;
        })();
    return { ...handle, dispose: () => handle.close() };
  }
  return createPgDatabase(`prestamos_test_${runTag()}_${process.pid}_${++counter}_${Date.now() % 100000}`, { template: templateDbName(), max: 5 });
}

/** A PostgreSQL database of its own for one test file (from `template`, or empty), dropped by dispose(). */
export async function createPgDatabase(name: string, opts: { template?: string; max: number }): Promise<TestDb> {
  const admin = postgres(PG_ADMIN_URL, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`CREATE DATABASE "${name}"${opts.template ? ` TEMPLATE "${opts.template}"` : ""}`);
  } finally {
    await admin.end();
  }
  const url = pgUrl(name);
  const handle = await openDb({ url, max: opts.max, applicationName: "prestamos-console-test" });
  return {
    ...handle,
    url,
    dispose: async () => {
      await handle.close();
      const a = postgres(PG_ADMIN_URL, { max: 1, onnotice: () => {} });
      try {
        await a.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await a.end();
      }
    },
  };
}
