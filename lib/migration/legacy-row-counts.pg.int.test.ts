/**
 * The kept legacy row counts against a compaction in flight (PostgreSQL only: the compaction's
 * transaction and the application's TRUNCATE need two sessions at once).
 */
import { sql } from "drizzle-orm";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDb, type DbHandle } from "@/db/client";
import { queryOne } from "@/db/sql";
import { openTestDb, type TestDb } from "@/lib/testing/db";
import { seedLegacy } from "@/lib/testing/legacy-seed";
import { waitForLockWaiters } from "@/lib/testing/lock-wait";
import { compactLegacyRowCounts, getKeptLegacyCounts, installLegacyRowCounts, recountLegacy } from "./legacy-row-counts";

let t: TestDb;
let app: postgres.Sql; // the application's sessions
let otherInstance: DbHandle; // another console instance's idle compaction

beforeAll(async () => {
  t = await openTestDb();
  app = postgres(t.url!, { max: 2, onnotice: () => {} });
  otherInstance = await openDb({ url: t.url!, max: 1 });
});
afterAll(async () => {
  await app?.end();
  await otherInstance?.close();
  await t?.dispose();
});

describe("legacy row counts (postgres)", () => {
  it("a TRUNCATE during a compaction in flight leaves the count at zero, as the table is (also after an upgrade in place)", async () => {
    await seedLegacy(t.db, 300, 0);
    // A console upgraded in place: its database still has the earlier body, without the lock.
    await t.db.execute(
      sql.raw(`CREATE OR REPLACE FUNCTION console_legacy_rows_truncated() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
      SET search_path = pg_catalog, public AS $$ BEGIN DELETE FROM legacy_row_counts WHERE tbl = TG_ARGV[0]; RETURN NULL; END $$`),
    );
    await installLegacyRowCounts(t.db);
    await recountLegacy(t.db);
    // Deltas to fold: the application inserts pagos one statement at a time.
    for (let i = 0; i < 5; i++) await app`insert into pagos_prestamo (prestamo_id, monto, fecha_pago, metodo) values (1, 10, '2024-01-01', 'CASH')`;
    const before = await getKeptLegacyCounts(t.db);
    expect(before.exact).toBe(true);
    expect(before.pagos).toBeGreaterThan(5);

    // The compaction has deleted the deltas and inserted their sum, and not committed yet.
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let folded!: () => void;
    const isFolded = new Promise<void>((r) => (folded = r));
    const compaction = otherInstance.db.transaction(async (tx) => {
      await compactLegacyRowCounts(tx);
      folded();
      await released;
    });
    await isFolded;
    const truncate = app`truncate pagos_prestamo`.execute();
    await waitForLockWaiters(app, 1); // the application's TRUNCATE waits for the compaction
    release();
    await compaction;
    await truncate;

    const real = await queryOne<{ n: number }>(t.db, sql`select count(*)::int as n from pagos_prestamo`);
    expect(real?.n).toBe(0);
    expect(await getKeptLegacyCounts(t.db)).toEqual({ prestamos: before.prestamos, pagos: 0, exact: true });
  });
});
