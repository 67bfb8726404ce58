import { sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { queryRows } from "@/db/sql";
import { call, makeToken } from "@/lib/testing/auth";
import { installAppDb } from "@/lib/testing/app-db";
import { openTestDb, testDriver, type TestDb } from "@/lib/testing/db";
import { insertPago, insertPrestamo } from "@/lib/testing/factories";
import { seedLegacy } from "@/lib/testing/legacy-seed";
import { resetMigrationTables } from "@/lib/testing/reset";
import * as predicted from "@/app/api/prestamos/migration/failures/predicted/route";
import * as recheck from "@/app/api/prestamos/migration/failures/recheck/route";
import * as preflight from "@/app/api/prestamos/migration/preflight/route";
import * as runDetail from "@/app/api/prestamos/migration/runs/[id]/route";
import * as runs from "@/app/api/prestamos/migration/runs/route";
import * as preview from "@/app/api/prestamos/migration/start/preview/route";
import * as start from "@/app/api/prestamos/migration/start/route";
import * as stop from "@/app/api/prestamos/migration/stop/route";
import { PREDICTED_SCAN, type PredictedFailure } from "./predicted-failures";
import { runQueuedJobs } from "./jobs";
import { runToEnd } from "@/lib/testing/run-to-end";

let db: TestDb;
let forget: () => void;
let admin: string;
let reviewer: string;

beforeAll(async () => {
  db = await openTestDb();
  forget = installAppDb(db);
  admin = await makeToken(db.db, "admin");
  reviewer = await makeToken(db.db, "reviewer");
});
afterAll(async () => {
  forget?.();
  await db?.dispose();
});
beforeEach(async () => {
  await resetMigrationTables(db.db, ["console_jobs"]);
});

const get = (handler: typeof runs.GET, path: string, params?: Record<string, string>) => call(handler, { path, token: reviewer, params });

/** Every page of the predicted failures, following `next` (each page bounded). */
async function allPredicted(query = ""): Promise<{ items: PredictedFailure[]; pages: number; maxScanned: number }> {
  const items: PredictedFailure[] = [];
  let after: number | null = null;
  let pages = 0;
  let maxScanned = 0;
  do {
    const qs = new URLSearchParams(query);
    if (after !== null) qs.set("after", String(after));
    const r = await get(predicted.GET, `/api/prestamos/migration/failures/predicted?${qs}`);
    expect(r.status).toBe(200);
    items.push(...r.json.items);
    maxScanned = Math.max(maxScanned, r.json.scanned.prestamos);
    after = r.json.next;
    pages++;
  } while (after !== null && pages < 100);
  return { items, pages, maxScanned };
}

describe("run history", () => {
  it("lists every run newest first, pages with `before`, and opens one with its settings and reason", async () => {
    await seedLegacy(db.db, 30, 10);
    const ids: number[] = [];
    for (let i = 0; i < 3; i++) {
      const s = await call(start.POST, { method: "POST", path: "/api/prestamos/migration/start", token: admin, body: { errorThresholdPct: 50, retry: i > 0 } });
      expect(s.status).toBe(202);
      ids.push(s.json.run.id);
      if (i < 2) await runToEnd(db.db, s.json.run.id, s.json.run.leaseOwner);
    }
    await call(stop.POST, { method: "POST", path: "/api/prestamos/migration/stop", token: admin });

    const first = await get(runs.GET, "/api/prestamos/migration/runs?limit=2");
    expect(first.status).toBe(200);
    expect(first.json.total).toBe(3);
    expect(first.json.items.map((r: { id: number }) => r.id)).toEqual([ids[2], ids[1]]);
    expect(first.json.nextBefore).toBe(ids[1]);
    const second = await get(runs.GET, `/api/prestamos/migration/runs?limit=2&before=${first.json.nextBefore}`);
    expect(second.json.items.map((r: { id: number }) => r.id)).toEqual([ids[0]]);
    expect(second.json.nextBefore).toBeNull();

    const finished = second.json.items[0];
    expect(finished).toMatchObject({ status: "finished", processed: 30, failed: 3, startedBy: expect.any(String) });
    expect(finished.durationSeconds).toBeGreaterThanOrEqual(0);

    const detail = await get(runDetail.GET, `/api/prestamos/migration/runs/${ids[0]}`, { id: String(ids[0]) });
    expect(detail.status).toBe(200);
    expect(detail.json.run).toMatchObject({ id: ids[0], status: "finished", errorThresholdPct: 50 });
    expect(detail.json.settings).toMatchObject({ errorThresholdPct: 50, retry: false });
    expect(detail.json.batchCount).toBeGreaterThan(0);
    expect(detail.json.preflight).toMatchObject({ overall: expect.any(String) });
  });

  it("answers 404 for an unknown run and 400 for a bad id or cursor", async () => {
    expect((await get(runDetail.GET, "/api/prestamos/migration/runs/999", { id: "999" })).status).toBe(404);
    expect((await get(runDetail.GET, "/api/prestamos/migration/runs/x", { id: "x" })).status).toBe(400);
    const bad = await get(runs.GET, "/api/prestamos/migration/runs?before=-1");
    expect(bad.status).toBe(400);
    expect(bad.json.error.code).toBe("VALIDATION_ERROR");
  });
});

describe("start preview", () => {
  it("says nothing is known before a dry run, then predicts the halt from the latest dry run and clears it with a higher threshold", async () => {
    await seedLegacy(db.db, 100, 10); // 10 invalid of 100: 10 %
    const before = await get(preview.GET, "/api/prestamos/migration/start/preview");
    expect(before.status).toBe(200);
    expect(before.json).toMatchObject({ toTake: 100, dryRun: null, dryRunRefreshing: false, predictedHalt: null, capture: { enabled: false, turnsOn: true } });

    // The pre-flight's refresh asks for the dry run (a background job): the preview says one is coming.
    expect((await get(preflight.GET, "/api/prestamos/migration/preflight?refresh=1")).status).toBe(200);
    expect((await get(preview.GET, "/api/prestamos/migration/start/preview")).json).toMatchObject({ dryRun: null, dryRunRefreshing: true });
    expect(await runQueuedJobs(db.db, "test-runner", db.driver)).toBe(1);
    const halts = await get(preview.GET, "/api/prestamos/migration/start/preview?errorThresholdPct=1");
    expect(halts.json).toMatchObject({
      toTake: 100,
      predictedHalt: true,
      dryRunRefreshing: false,
      dryRun: { checked: 100, invalid: 10, expectedFailures: 10, expectedPct: 10 },
    });
    // Exact arithmetic: 10 of 100 does not exceed 10 %.
    expect((await get(preview.GET, "/api/prestamos/migration/start/preview?errorThresholdPct=10")).json.predictedHalt).toBe(false);
    expect((await get(preview.GET, "/api/prestamos/migration/start/preview?errorThresholdPct=9.99")).json.predictedHalt).toBe(true);

    // What the preview predicted is what the run does.
    const s = await call(start.POST, { method: "POST", path: "/api/prestamos/migration/start", token: admin, body: {} });
    const ended = await runToEnd(db.db, s.json.run.id, s.json.run.leaseOwner);
    expect(ended?.status).toBe("halted");

    // Afterwards the recorded failures are not taken again without retry: nothing left to halt on.
    const after = await get(preview.GET, "/api/prestamos/migration/start/preview");
    expect(after.json.capture).toEqual({ enabled: true, turnsOn: false });
    expect(after.json.dryRun.expectedFailures).toBeLessThanOrEqual(after.json.toTake);
    const retry = await get(preview.GET, "/api/prestamos/migration/start/preview?retry=true");
    expect(retry.json.toTake).toBe(100 - ended!.migrated);
  });

  it("a start with an empty body (the untouched form) runs adaptive batches with this database's default workers", async () => {
    await seedLegacy(db.db, 10);
    const s = await call(start.POST, { method: "POST", path: "/api/prestamos/migration/start", token: admin, body: {} });
    expect(s.status).toBe(202);
    expect(s.json.run).toMatchObject({ batchSize: 2000, targetBatchMs: 500, errorThresholdPct: 1, retry: false, workers: testDriver() === "pglite" ? 1 : 2 });
  });

  it("refuses a bad threshold with the envelope", async () => {
    const r = await get(preview.GET, "/api/prestamos/migration/start/preview?errorThresholdPct=abc");
    expect(r.status).toBe(400);
    expect(r.json.error.code).toBe("VALIDATION_ERROR");
  });
});

describe("predicted failures", () => {
  it("lists, page by bounded page, exactly the failures a run then records, zero and negative ids included", async () => {
    await seedLegacy(db.db, PREDICTED_SCAN + 500, 7);
    const neg = await insertPrestamo(db.db, { monto: "0" });
    await db.db.execute(sql`update prestamos set id = -5 where id = ${neg.id}`);
    const pagoOwner = await insertPrestamo(db.db);
    await insertPago(db.db, pagoOwner.id, { monto: "-1" });

    const { items, pages, maxScanned } = await allPredicted("limit=100");
    expect(pages).toBeGreaterThan(3);
    expect(maxScanned).toBeLessThanOrEqual(PREDICTED_SCAN);
    expect(items[0]).toMatchObject({ legacyId: -5, codes: ["INVALID_MONTO"], rules: [{ code: "INVALID_MONTO", field: "monto", value: "0.00", pagoId: null }] });
    expect(items.find((i) => i.legacyId === pagoOwner.id)?.rules).toEqual([
      expect.objectContaining({ code: "INVALID_PAGO", field: "monto", pagoId: expect.any(Number) }),
    ]);
    const ids = items.map((i) => i.legacyId);
    expect(new Set(ids).size).toBe(ids.length);

    // The independent side: a run records its failures (ids > 0 only here, the run takes them all).
    const s = await call(start.POST, { method: "POST", path: "/api/prestamos/migration/start", token: admin, body: { errorThresholdPct: 100 } });
    await runToEnd(db.db, s.json.run.id, s.json.run.leaseOwner);
    const recorded = await queryRows<{ legacy_id: number; code: string; field: string; pago_id: number | null }>(
      db.db,
      sql`select legacy_id, code, field, pago_id from migration_failures order by legacy_id, pago_id nulls first, code, field`,
    );
    const predictedRules = items.flatMap((i) => i.rules.map((r) => ({ legacy_id: i.legacyId, code: r.code, field: r.field, pago_id: r.pagoId })));
    expect(predictedRules.filter((r) => r.legacy_id > 0)).toEqual(
      recorded.map((r) => ({ ...r, legacy_id: Number(r.legacy_id), pago_id: r.pago_id === null ? null : Number(r.pago_id) })).filter((r) => r.legacy_id > 0),
    );
  });

  it("rechecks the failed prestamos against their legacy rows as they stand now", async () => {
    await seedLegacy(db.db, 80, 10);
    const s = await call(start.POST, { method: "POST", path: "/api/prestamos/migration/start", token: admin, body: { errorThresholdPct: 100 } });
    const ended = await runToEnd(db.db, s.json.run.id, s.json.run.leaseOwner);
    expect(ended?.failed).toBe(8);
    const before = await get(recheck.GET, "/api/prestamos/migration/failures/recheck");
    expect(before.json).toEqual({ failed: 8, checked: 8, stillFailing: 8 });
    // The application fixes one (capture queues it; nothing synced yet): a retry would now take it.
    const fixed = await queryRows<{ legacy_id: number }>(db.db, sql`select f.legacy_id from migration_failures f where f.code = 'UNKNOWN_MONEDA' limit 1`);
    await db.db.execute(sql`update prestamos set moneda = 'PEN' where id = ${fixed[0].legacy_id}`);
    const after = await get(recheck.GET, "/api/prestamos/migration/failures/recheck");
    expect(after.json).toEqual({ failed: 8, checked: 8, stillFailing: 7 });
  });

  it("filters by code and refuses a bad cursor or code", async () => {
    await seedLegacy(db.db, 400, 5);
    const { items } = await allPredicted("code=UNKNOWN_MONEDA&limit=3");
    expect(items.length).toBeGreaterThan(0);
    for (const i of items) expect(i.codes).toContain("UNKNOWN_MONEDA");
    const all = await allPredicted("limit=200");
    expect(items.map((i) => i.legacyId)).toEqual(all.items.filter((i) => i.codes.includes("UNKNOWN_MONEDA")).map((i) => i.legacyId));

    for (const qs of ["after=1e3", "after=99999999999", "code=NOPE", "limit=0"]) {
      const r = await get(predicted.GET, `/api/prestamos/migration/failures/predicted?${qs}`);
      expect(r.status, qs).toBe(400);
    }
  });
});
