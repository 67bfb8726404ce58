/** What the bench and the cut-over bench set up the same way: their database and its legacy data. */
import { sql } from "drizzle-orm";
import postgres from "postgres";
import type { DbHandle } from "@/db/client";
import type { Actor } from "@/lib/audit";
import { createTestData } from "@/lib/migration/test-data";

/** A PostgreSQL database of `name` on the server of `adminUrl`, dropped first if it exists. */
export async function freshPgDatabase(adminUrl: string, name: string): Promise<{ url: string; drop(): Promise<void>; end(): Promise<void> }> {
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await admin.unsafe(`CREATE DATABASE "${name}"`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () => admin.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`).then(() => undefined),
    end: () => admin.end(),
  };
}

/** The generated legacy tables (seed 7), with the time the generator took. */
export async function generateBenchData(h: DbHandle, opts: { scale: number; dirtyPct: number }, actor: Actor) {
  const t0 = performance.now();
  const data = await createTestData(h.db, { count: opts.scale, dirtyPct: opts.dirtyPct, seed: 7 }, actor);
  const generateMs = performance.now() - t0;
  await h.db.execute(sql`delete from test_data_rows`); // the bench's data is not "test data" to remove later
  // A lived-in legacy table has been vacuumed: visibility map set, hint bits written. A freshly
  // generated one has neither, and whichever phase read it first would pay for writing them.
  await h.db.execute(sql`vacuum analyze prestamos, pagos_prestamo`);
  return { data, generateMs };
}
