import { sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { queryRows } from "@/db/sql";
import type { Actor } from "@/lib/audit";
import { openTestDb, type TestDb } from "@/lib/testing/db";
import { insertPrestamo } from "@/lib/testing/factories";
import { resetMigrationTables } from "@/lib/testing/reset";
import { migrateSingle } from "./prestamo-actions";
import { startRun } from "./runs";
import { runToEnd } from "@/lib/testing/run-to-end";

let db: TestDb;
const admin: Actor = { name: "admin@test.local", kind: "user", role: "admin" };

beforeAll(async () => {
  db = await openTestDb();
});
afterAll(async () => db?.dispose());
beforeEach(() => resetMigrationTables(db.db));

const failureRows = () =>
  queryRows<{ legacy_id: number; code: string; field: string; value: string | null; run_id: number | null }>(
    db.db,
    sql`select legacy_id, code, field, value, run_id from migration_failures order by legacy_id, code, field`,
  );

describe("the failure records of a prestamo", () => {
  it("are one row per rule, replaced by the run that takes it again (a retry failing the same rules)", async () => {
    const { id } = await insertPrestamo(db.db, { estado: "raro", moneda: "EUR" });
    const first = await startRun(db.db, { errorThresholdPct: 100, workers: 1 }, admin, "w");
    await runToEnd(db.db, first.id, "w");
    await db.db.execute(sql`update prestamos set moneda = 'XYZ' where id = ${id}`);
    const retry = await startRun(db.db, { errorThresholdPct: 100, workers: 1, retry: true }, admin, "w");
    const ended = await runToEnd(db.db, retry.id, "w");
    expect(ended).toMatchObject({ processed: 1, failed: 1 });
    expect(await failureRows()).toEqual([
      { legacy_id: id, code: "UNKNOWN_ESTADO", field: "estado", value: "raro", run_id: retry.id },
      { legacy_id: id, code: "UNKNOWN_MONEDA", field: "moneda", value: "XYZ", run_id: retry.id },
    ]);
  });

  it("stay one row per rule when single takes a failed prestamo again and again", async () => {
    const { id } = await insertPrestamo(db.db, { plazo_meses: 0 }, [{ monto: "-1.00" }, { fecha_pago: "31/02/2021" }]);
    for (let i = 0; i < 3; i++) expect((await migrateSingle(db.db, id, admin)).failures).toHaveLength(3);
    expect((await failureRows()).map((f) => `${f.code}:${f.field}`)).toEqual(["INVALID_PAGO:fecha_pago", "INVALID_PAGO:monto", "INVALID_PLAZO:plazo_meses"]);
  });
});
