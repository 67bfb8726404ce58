/**
 * Paths that had no test at all: what capture does with a rolled back prestamo, what consistency
 * sees when the new tables are altered directly, the rate and ETA progress shows, and single on a
 * migrated prestamo whose legacy row changed since.
 */
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { queryOne } from "@/db/sql";
import type { Actor } from "@/lib/audit";
import { openTestDb, testDriver, type TestDb } from "@/lib/testing/db";
import { insertPrestamo } from "@/lib/testing/factories";
import { resetMigrationTables } from "@/lib/testing/reset";
import { expectZeroDiffs } from "@/lib/testing/zero-diffs";
import { drainAll } from "./capture";
import { rollbackOne } from "./prestamo-actions";
import { getProgress } from "./progress";
import { runToEnd, startRun } from "./runs";

let t: TestDb;
const admin: Actor = { name: "admin@test.local", kind: "user", role: "admin" };
const W = "gaps-worker";

beforeAll(async () => {
  t = await openTestDb();
});
afterAll(async () => t?.dispose());
beforeEach(() => resetMigrationTables(t.db, ["console_audit_log"]));

const stateOf = async (legacyId: number) =>
  (await queryOne<{ state: string }>(t.db, sql`select state from migration_state where legacy_id = ${legacyId}`))?.state ?? "pending";
const newRowCount = async (legacyId: number) =>
  (await queryOne<{ n: number }>(t.db, sql`select count(*)::int as n from prestamos_new where legacy_id = ${legacyId}`))!.n;

async function runAll() {
  const run = await startRun(t.db, { batchSize: 100, errorThresholdPct: 50 }, admin, W);
  return runToEnd(t.db, run.id, W);
}

describe(`a rolled back prestamo on ${testDriver()}`, () => {
  it("its legacy changes are not followed: it stays rolled back with no new row", async () => {
    const kept = await insertPrestamo(t.db, {}, [{ monto: "10" }]);
    const back = await insertPrestamo(t.db, {}, [{ monto: "20" }]);
    expect(await runAll()).toMatchObject({ status: "finished" });
    await rollbackOne(t.db, back.id, admin);
    // Capture is on (the run installed it): the application changes the prestamo and adds a pago.
    await t.db.execute(sql`update prestamos set cliente_nombre = 'Cambiado tras rollback', updated_at = now() where id = ${back.id}`);
    await t.db.execute(sql`insert into pagos_prestamo (prestamo_id, monto, fecha_pago, metodo) values (${back.id}, 5, '2024-03-01', 'efectivo')`);
    expect(await drainAll(t.db)).toBeGreaterThan(0);
    expect(await stateOf(back.id)).toBe("rolled_back");
    expect(await newRowCount(back.id)).toBe(0);
    expect(await stateOf(kept.id)).toBe("migrated");
    expect((await getProgress(t.db)).totals).toMatchObject({ total: 2, migrated: 1, rolledBack: 1, pending: 0 });
    await expectZeroDiffs(t.db, "migrated");
  });
});
