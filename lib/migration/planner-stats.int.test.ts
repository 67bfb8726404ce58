import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { queryOne } from "@/db/sql";
import { openTestDb, testDriver, type TestDb } from "@/lib/testing/db";
import { seedLegacy } from "@/lib/testing/legacy-seed";
import { getConsistencySummary } from "./consistency";
import { startRun } from "./runs";
import { runToEnd } from "@/lib/testing/run-to-end";

let t: TestDb;
beforeAll(async () => {
  t = await openTestDb();
  await seedLegacy(t.db, 3000, 50);
  await t.db.execute(sql`analyze`); // as a bench or a DBA would before a run: the new tables are empty
});
afterAll(async () => t?.dispose());

const newRowsAsThePlannerSeesThem = async () =>
  Number(
    (
      await queryOne<{ n: number }>(
        t.db,
        sql`select reltuples::float8 as n from pg_class where relname = 'pagos_prestamo_new' and relnamespace = current_schema()::regnamespace`,
      )
    )?.n ?? -1,
  );

describe(`planner statistics after a run (${testDriver()})`, () => {
  it("the consistency check first refreshes the statistics of the tables the run filled", async () => {
    const run = await startRun(t.db, { batchSize: 500, errorThresholdPct: 50, workers: 1 }, { name: "admin@test.local", kind: "user" }, "w");
    await runToEnd(t.db, run.id, "w");
    const written = Number((await queryOne<{ n: number }>(t.db, sql`select count(*)::int as n from pagos_prestamo_new`))!.n);
    expect(written).toBeGreaterThan(5_000);
    // PostgreSQL: empty as last analyzed (0 or -1 "never"); the check must not plan from that.
    expect(await newRowsAsThePlannerSeesThem()).toBeLessThan(written / 2);
    const summary = await getConsistencySummary(t.db);
    expect(summary.fieldMatch.matchingPct).toBe(100);
    expect(await newRowsAsThePlannerSeesThem()).toBeGreaterThan(written * 0.9);
  });
});
