/**
 * Cut-over and the way back (MIGRATION-SPEC §9), on both databases: the gates, the switch with the
 * old application writing through the legacy names and the new one writing the new tables, revert
 * with zero loss, finalize, the 409s of the cut-over phase and the round-trip property of the way
 * back. The interleavings with a second session are in cutover.pg.int.test.ts.
 */
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { queryOne, queryRows } from "@/db/sql";
import { call, makeToken } from "@/lib/testing/auth";
import { pgErrorCode, rootMessage } from "@/lib/errors";
import { recordConsistencySummary } from "@/lib/metrics/consistency-cache";
import { resetConsistencyCache } from "@/lib/testing/metrics";
import { installAppDb } from "@/lib/testing/app-db";
import { openTestDb, testDriver, type TestDb } from "@/lib/testing/db";
import { seedLegacy } from "@/lib/testing/legacy-seed";
import { resetMigrationTables } from "@/lib/testing/reset";
import { expectZeroDiffs } from "@/lib/testing/zero-diffs";
import * as consistencyRoute from "@/app/api/prestamos/migration/consistency/route";
import * as cutoverRoute from "@/app/api/prestamos/migration/cutover/route";
import * as finalizeRoute from "@/app/api/prestamos/migration/finalize/route";
import * as revertRoute from "@/app/api/prestamos/migration/revert/route";
import * as rollbackOneRoute from "@/app/api/prestamos/migration/rollback/[id]/route";
import * as singleRoute from "@/app/api/prestamos/migration/single/[id]/route";
import * as startRoute from "@/app/api/prestamos/migration/start/route";
import { drainCapture, isCaptureInstalled } from "./capture";
import { getChecklist } from "./checklist";
import { getConsistencySummary } from "./consistency";
import { getPhaseView, phaseSentence } from "./cutover-phase";
import { runQueuedJobs } from "./jobs";
import { archiveMismatches, cutOver, finalize, getPhase, revert, wayBackMismatches } from "./cutover";
import { drainReverse } from "./reverse-capture";
import { startRun } from "./runs";
import { runToEnd } from "@/lib/testing/run-to-end";
import { createTestData } from "./test-data";

const admin = { name: "admin@test.local", kind: "user" as const };
let db: TestDb;
let forget: () => void;
let adminToken: string;
let reviewerToken: string;

beforeAll(async () => {
  db = await openTestDb();
  forget = installAppDb(db);
  adminToken = await makeToken(db.db, "admin");
  reviewerToken = await makeToken(db.db, "reviewer");
});
afterAll(async () => {
  forget?.();
  await db?.dispose();
});
beforeEach(async () => {
  resetConsistencyCache();
  await resetMigrationTables(db.db);
});

/** Migrates everything (capture on) and records a fresh consistency summary: every gate passes. */
async function readyToCutOver() {
  const run = await startRun(db.db, { workers: 1 }, admin, "test#1");
  await runToEnd(db.db, run.id, "test#1");
  const summary = await getConsistencySummary(db.db);
  recordConsistencySummary(summary);
  return { consistency: { summary, ageMs: 0 } };
}

const relkind = async (name: string) =>
  (await queryOne<{ k: string }>(db.db, sql`select relkind::text as k from pg_class where relname = ${name} and relnamespace = current_schema()::regnamespace`))
    ?.k ?? null;
const drainReverseAll = async () => {
  while ((await drainReverse(db.db)).entries > 0);
};
async function sqlError(q: string): Promise<{ code: string | undefined; message: string }> {
  try {
    await db.db.execute(sql.raw(q));
  } catch (err) {
    return { code: pgErrorCode(err), message: rootMessage(err) };
  }
  throw new Error(`expected ${q} to fail`);
}

describe("the gates", () => {
  it("refuse a cut-over (409 with every gate in details) until each passes, and a refusal changes nothing", async () => {
    await seedLegacy(db.db, 30, 0);
    const before = await call(cutoverRoute.GET, { path: "/api/prestamos/migration/cutover", token: reviewerToken });
    expect(before.status).toBe(200);
    expect(before.json.phase).toBe("legacy");
    const byId = (gates: { id: string; ok: boolean; figure: string }[]) => Object.fromEntries(gates.map((g) => [g.id, g]));
    const g0 = byId(before.json.gates);
    expect(Object.keys(g0)).toEqual(["no_active_run", "capture_backlog", "all_migrated", "consistency", "throttle", "way_back", "no_dependents"]);
    expect(g0.no_active_run.ok).toBe(true);
    expect(g0.capture_backlog).toMatchObject({ ok: false, figure: "change capture is off" });
    expect(g0.all_migrated).toMatchObject({ ok: false, figure: "30 pending, 0 failed, 0 rolled back" });
    expect(g0.consistency.ok).toBe(false);

    const refused = await call(cutoverRoute.POST, {
      method: "POST",
      path: "/api/prestamos/migration/cutover",
      token: adminToken,
      body: { confirm: "CUT OVER" },
    });
    expect(refused.status).toBe(409);
    expect(byId(refused.json.error.details.gates).all_migrated.ok).toBe(false);
    expect(await relkind("prestamos")).toBe("r");
    expect(await getPhase(db.db)).toBe("legacy");

    // Wrong confirmation, unknown field, reviewer: refused before anything is measured.
    expect(
      (await call(cutoverRoute.POST, { method: "POST", path: "/api/prestamos/migration/cutover", token: adminToken, body: { confirm: "cut over" } })).status,
    ).toBe(400);
    expect(
      (
        await call(cutoverRoute.POST, {
          method: "POST",
          path: "/api/prestamos/migration/cutover",
          token: adminToken,
          body: { confirm: "CUT OVER", force: true },
        })
      ).status,
    ).toBe(400);
    expect(
      (await call(cutoverRoute.POST, { method: "POST", path: "/api/prestamos/migration/cutover", token: reviewerToken, body: { confirm: "CUT OVER" } })).status,
    ).toBe(403);

    await readyToCutOver();
    const ready = byId((await call(cutoverRoute.GET, { path: "/api/prestamos/migration/cutover", token: reviewerToken })).json.gates);
    expect(Object.values(ready).filter((g) => !g.ok)).toEqual([]);

    // A new row that would not survive the way back (a double space the rules would collapse).
    await db.db.execute(sql`update prestamos_new set cliente_nombre = 'Ana  Torres' where legacy_id = 7`);
    const broken = byId((await call(cutoverRoute.GET, { path: "/api/prestamos/migration/cutover", token: reviewerToken })).json.gates);
    expect(broken.way_back).toMatchObject({ ok: false, figure: "1 prestamo would not map back (7: cliente_nombre)" });

    // An application view on a legacy table would follow the rename to the archive.
    await db.db.execute(sql`update prestamos_new set cliente_nombre = 'Ana Torres' where legacy_id = 7`);
    await db.db.execute(sql`create view app_report as select id, monto from prestamos`);
    try {
      const dep = byId((await call(cutoverRoute.GET, { path: "/api/prestamos/migration/cutover", token: reviewerToken })).json.gates);
      expect(dep.no_dependents).toMatchObject({ ok: false, figure: "view app_report" });
      const res = await call(cutoverRoute.POST, { method: "POST", path: "/api/prestamos/migration/cutover", token: adminToken, body: { confirm: "CUT OVER" } });
      expect(res.status).toBe(409);
      expect(await relkind("prestamos")).toBe("r");
    } finally {
      await db.db.execute(sql`drop view app_report`);
    }
  });
});

describe("the switch, both application versions, and the way back", () => {
  it("keeps the old application working through the views, lands every write once, and reverts with zero loss", async () => {
    await seedLegacy(db.db, 40, 0);
    const inputs = await readyToCutOver();
    const maxBefore = Number((await queryOne<{ m: number }>(db.db, sql`select max(id)::int as m from prestamos`))!.m);
    // A change the background sync has not taken yet: the switch drains it inside.
    await db.db.execute(sql`update prestamos set monto = 999.99, updated_at = now() where id = 2`);

    const res = await call(cutoverRoute.POST, { method: "POST", path: "/api/prestamos/migration/cutover", token: adminToken, body: { confirm: "CUT OVER" } });
    expect(res.status).toBe(200);
    expect(res.json.phase).toBe("cut_over");
    expect(res.json.switch).toMatchObject({ kind: "cut_over", actor: expect.stringContaining("token:"), attempts: 1, drainedEntries: 1, drainedPrestamos: 1 });
    expect(res.json.switch.writesHeldMs).toBeGreaterThanOrEqual(0);
    expect(await relkind("prestamos")).toBe("v");
    expect(await relkind("prestamos_legacy")).toBe("r");
    expect(await isCaptureInstalled(db.db)).toBe(false);
    expect(Number((await queryOne<{ m: number }>(db.db, sql`select monto_cents::int as m from prestamos_new where legacy_id = 2`))!.m)).toBe(99999);
    const audit = await queryOne<{ outcome: string }>(
      db.db,
      sql`select outcome from console_audit_log where action = 'migration.cutover' order by id desc limit 1`,
    );
    expect(audit?.outcome).toBe("ok");

    // The old application, unchanged: INSERT … RETURNING id, reads in the legacy shape.
    const inserted = await queryOne<{ id: number }>(
      db.db,
      sql`insert into prestamos (cliente_nombre, monto, tasa_interes, plazo_meses, fecha_otorgamiento, estado, moneda) values (' Nuevo  Cliente ', 150.5, 12.5, 12, ' 1/2/2024 ', 'vigente', 'us$') returning id`,
    );
    expect(inserted!.id).toBe(maxBefore + 1);
    expect(
      await queryOne(
        db.db,
        sql`select cliente_nombre, monto::text, tasa_interes::text, fecha_otorgamiento, estado, moneda from prestamos where id = ${inserted!.id}`,
      ),
    ).toEqual({
      cliente_nombre: "Nuevo Cliente",
      monto: "150.50",
      tasa_interes: "12.500",
      fecha_otorgamiento: "2024-02-01",
      estado: "activo",
      moneda: "USD",
    });
    const pago = await queryOne<{ id: number }>(
      db.db,
      sql`insert into pagos_prestamo (prestamo_id, monto, fecha_pago, metodo) values (${inserted!.id}, 50, '3/3/2024', 'CASH') returning id`,
    );
    const totals = (id: number) =>
      queryOne<{ t: number; n: number; s: number }>(
        db.db,
        sql`select total_pagado_cents::int as t, pagos_count as n, saldo_cents::int as s from prestamos_new where legacy_id = ${id}`,
      );
    expect(await totals(inserted!.id)).toEqual({ t: 5000, n: 1, s: 10050 });
    // A pago moving between prestamos, an edit, a void, deletes.
    await db.db.execute(sql`update pagos_prestamo set prestamo_id = 3 where id = ${pago!.id}`);
    expect(await totals(inserted!.id)).toEqual({ t: 0, n: 0, s: 15050 });
    expect((await totals(3))!.n).toBeGreaterThan(0);
    await db.db.execute(sql`update prestamos set monto = monto + 1, updated_at = '2025-01-01 10:00:00' where id = 4`);
    const someone = await queryOne<{ id: number }>(db.db, sql`select id from pagos_prestamo where prestamo_id = 6 order by id limit 1`);
    if (someone) await db.db.execute(sql`update pagos_prestamo set anulado = true where id = ${someone.id}`);
    await db.db.execute(sql`delete from pagos_prestamo where prestamo_id = 8`);
    await db.db.execute(sql`delete from prestamos where id = 9`);

    // What the rules refuse fails with check_violation naming the failure code, and changes nothing.
    expect(
      await sqlError(
        `insert into prestamos (cliente_nombre, monto, tasa_interes, plazo_meses, fecha_otorgamiento, estado) values ('X', 0, 10, 12, '2024-01-01', 'activo')`,
      ),
    ).toMatchObject({
      code: "23514",
      message: expect.stringContaining("INVALID_MONTO"),
    });
    expect(await sqlError(`update prestamos set estado = 'raro' where id = 10`)).toMatchObject({
      code: "23514",
      message: expect.stringContaining("UNKNOWN_ESTADO"),
    });
    expect(await sqlError(`insert into pagos_prestamo (prestamo_id, monto, fecha_pago) values (999999, 10, '2024-01-01')`)).toMatchObject({
      code: "23514",
      message: expect.stringContaining("INVALID_PAGO"),
    });

    // The new application writes the new tables; its rows get a legacy id from the same sequence.
    const fresh = await queryOne<{ legacy_id: number }>(
      db.db,
      sql`insert into prestamos_new (cliente_nombre, cliente_documento, monto_cents, tasa_anual, plazo_meses, fecha_otorgamiento, fecha_vencimiento, estado, moneda, total_pagado_cents, pagos_count, saldo_cents)
          values ('Nueva App', 'AB12', 200000, 0.250000, 6, '2024-05-31', '2024-11-30', 'activo', 'PEN', 0, 0, 200000) returning legacy_id`,
    );
    // (the refused insert above drew a number too, as it would have from the legacy table)
    const last = await queryOne<{ v: number }>(db.db, sql`select last_value::int as v from prestamos_id_seq`);
    expect(fresh!.legacy_id).toBe(last!.v);
    expect(fresh!.legacy_id).toBeGreaterThan(inserted!.id);

    // Its edit of a pago alone (no prestamo row written): the trigger names the prestamo by its new id.
    const pagoOf5 = await queryOne<{ id: number; legacy_id: number }>(
      db.db,
      sql`select g.id::int as id, g.legacy_id from pagos_prestamo_new g join prestamos_new p on p.id = g.prestamo_id where p.legacy_id = 5 order by g.id limit 1`,
    );
    await db.db.execute(sql`update pagos_prestamo_new set metodo = 'cheque', fecha_pago = '2024-07-07' where id = ${pagoOf5!.id}`);
    // A console that reads only the legacy ids (an earlier version) cannot take that entry for nothing.
    expect(await sqlError(`delete from reverse_changes returning prestamo_id`)).toMatchObject({
      code: "55000",
      message: expect.stringContaining("run the same console version on every instance"),
    });

    // The archive follows through the reverse capture: the archive against the new tables by the rules.
    expect(await archiveMismatches(db.db)).not.toEqual({ count: 0, sample: [] });
    await drainReverseAll();
    expect(await queryOne(db.db, sql`select metodo, fecha_pago from pagos_prestamo_legacy where id = ${pagoOf5!.legacy_id}`)).toEqual({
      metodo: "cheque",
      fecha_pago: "2024-07-07",
    });
    expect(await archiveMismatches(db.db)).toEqual({ count: 0, sample: [] });
    expect(await queryOne(db.db, sql`select id, monto::text from prestamos_legacy where id = ${fresh!.legacy_id}`)).toEqual({
      id: fresh!.legacy_id,
      monto: "2000.00",
    });

    // Runs, single and rollbacks answer 409 with the phase.
    for (const [handler, path] of [
      [startRoute.POST, "/api/prestamos/migration/start"],
      [singleRoute.POST, "/api/prestamos/migration/single/3"],
      [rollbackOneRoute.POST, "/api/prestamos/migration/rollback/3"],
    ] as const) {
      const r = await call(handler, { method: "POST", path, token: adminToken, ...(path.endsWith("start") ? { body: {} } : { params: { id: "3" } }) });
      expect(r.status, path).toBe(409);
      expect(r.json.error.details).toEqual({ phase: "cut_over" });
    }

    // Revert: every write made through either name is in the legacy tables, capture is on again.
    const back = await call(revertRoute.POST, { method: "POST", path: "/api/prestamos/migration/revert", token: adminToken, body: { confirm: "REVERT" } });
    expect(back.status).toBe(200);
    expect(back.json).toMatchObject({ phase: "legacy", switch: { kind: "revert" } });
    expect(await relkind("prestamos")).toBe("r");
    expect(await relkind("prestamos_legacy")).toBeNull();
    expect(await isCaptureInstalled(db.db)).toBe(true);
    expect(await queryOne(db.db, sql`select cliente_nombre, monto::text from prestamos where id = ${inserted!.id}`)).toEqual({
      cliente_nombre: "Nuevo Cliente",
      monto: "150.50",
    });
    expect(await queryOne(db.db, sql`select prestamo_id from pagos_prestamo where id = ${pago!.id}`)).toEqual({ prestamo_id: 3 });
    expect(await queryOne(db.db, sql`select monto::text, updated_at::text from prestamos where id = 4`)).toMatchObject({ updated_at: "2025-01-01 10:00:00" });
    expect(await queryRows(db.db, sql`select id from prestamos where id = 9`)).toEqual([]);
    expect(await queryRows(db.db, sql`select id from pagos_prestamo where prestamo_id in (8, 9)`)).toEqual([]);
    expect(await queryOne(db.db, sql`select cliente_nombre from prestamos where id = ${fresh!.legacy_id}`)).toEqual({ cliente_nombre: "Nueva App" });
    await expectZeroDiffs(db.db);

    // The legacy tables are the source of truth again: a legacy write reaches the new tables.
    await db.db.execute(sql`update prestamos set monto = 77 where id = 11`);
    await drainCapture(db.db);
    expect(Number((await queryOne<{ m: number }>(db.db, sql`select monto_cents::int as m from prestamos_new where legacy_id = 11`))!.m)).toBe(7700);
    expect(
      (await call(revertRoute.POST, { method: "POST", path: "/api/prestamos/migration/revert", token: adminToken, body: { confirm: "REVERT" } })).status,
    ).toBe(409);
    // A second cut-over after the round trip is possible.
    await cutOver(db.db, admin, { consistency: { summary: await getConsistencySummary(db.db), ageMs: 0 } });
    expect(await getPhase(db.db)).toBe("cut_over");
    void inputs;
  });
});

describe("finalize", () => {
  it("ends the reverse capture, keeps the views unless asked, never drops the archive", async () => {
    await seedLegacy(db.db, 20, 0);
    await cutOver(db.db, admin, await readyToCutOver());
    await db.db.execute(sql`update prestamos set monto = 321 where id = 1`);
    expect(
      (await call(finalizeRoute.POST, { method: "POST", path: "/api/prestamos/migration/finalize", token: adminToken, body: { confirm: "FINALISE" } })).status,
    ).toBe(400);
    const res = await call(finalizeRoute.POST, { method: "POST", path: "/api/prestamos/migration/finalize", token: adminToken, body: { confirm: "FINALIZE" } });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      phase: "finalized",
      switch: { kind: "finalize", drainedPrestamos: 1 },
      archive: { prestamos: "prestamos_legacy", pagos: "pagos_prestamo_legacy" },
    });
    // The archive got the last change before the way back ended.
    expect(await queryOne(db.db, sql`select monto::text from prestamos_legacy where id = 1`)).toEqual({ monto: "321.00" });
    // Views still serve the old application; nothing is queued for an archive nobody follows.
    await db.db.execute(sql`update prestamos set monto = 400 where id = 2`);
    expect(await queryRows(db.db, sql`select 1 from reverse_changes`)).toEqual([]);
    expect(
      (await call(revertRoute.POST, { method: "POST", path: "/api/prestamos/migration/revert", token: adminToken, body: { confirm: "REVERT" } })).status,
    ).toBe(409);
    const status = await call(cutoverRoute.GET, { path: "/api/prestamos/migration/cutover", token: reviewerToken });
    expect(status.json).toMatchObject({
      phase: "finalized",
      reverse: { installed: false },
      archive: { exists: true, dumpCommand: expect.stringContaining("pg_dump") },
    });
  });

  it("drops the views only with dropViews", async () => {
    await seedLegacy(db.db, 10, 0);
    await cutOver(db.db, admin, await readyToCutOver());
    await finalize(db.db, admin, { dropViews: true });
    expect(await relkind("prestamos")).toBeNull();
    expect(await relkind("prestamos_legacy")).toBe("r");
    expect(Number((await queryOne<{ n: number }>(db.db, sql`select count(*)::int as n from prestamos_legacy`))!.n)).toBe(10);
  });
});

describe("a reverse backlog larger than the passes before the lock can drain", () => {
  it("refuses a revert with 503 rather than hold the writes while it drains; nothing changes; a drained backlog lets it through", async () => {
    await seedLegacy(db.db, 200, 0);
    await cutOver(db.db, admin, await readyToCutOver());
    const montoOf7 = async () => Number((await queryOne<{ m: string }>(db.db, sql`select monto::text as m from prestamos where id = 7`))!.m);
    const before = await montoOf7();
    // Changes through the views (each writes its new row twice: the row, then its totals), and a
    // budget already spent after the first pass.
    for (let k = 0; k < 6; k++) await db.db.execute(sql`update prestamos set monto = monto + 1 where id <= 200`);
    const backlog = Number((await queryOne<{ n: number }>(db.db, sql`select count(*)::int as n from reverse_changes`))!.n);
    expect(backlog).toBeGreaterThan(1000);
    const err = await revert(db.db, admin, { preLockDrainBudgetMs: 0 }).catch((e) => e);
    expect(err).toMatchObject({ code: "UNAVAILABLE", status: 503, details: { lastPassEntries: backlog } });
    expect(err.message).toMatch(/^A revert: the application's changes arrive faster than the switch drains them/);
    expect(await getPhase(db.db)).toBe("cut_over");
    expect(await queryOne(db.db, sql`select count(*)::int as n from reverse_changes`)).toEqual({ n: backlog });
    // With the default budget the passes before the lock take all of it.
    const back = await revert(db.db, admin);
    expect(back.switch).toMatchObject({ drainedEntries: backlog, drainedPrestamos: 200 });
    expect(await relkind("prestamos")).toBe("r");
    expect(await montoOf7()).toBe(before + 6);
    await expectZeroDiffs(db.db);
  });
});

describe("the way back is total", () => {
  it("maps every valid new row of dirty generated data back to a legacy row that the rules turn into the same row", async () => {
    await createTestData(db.db, { count: 400, dirtyPct: 5, seed: 11 }, admin);
    const run = await startRun(db.db, { workers: 1, errorThresholdPct: 100 }, admin, "test#1");
    await runToEnd(db.db, run.id, "test#1");
    const migrated = Number((await queryOne<{ n: number }>(db.db, sql`select count(*)::int as n from prestamos_new`))!.n);
    expect(migrated).toBeGreaterThan(350);
    expect(await wayBackMismatches(db.db)).toEqual({ count: 0, sample: [] });
    // And the check can fail: values the legacy shape cannot hold are found, with the column.
    await db.db.execute(sql`update prestamos_new set tasa_anual = 0.1234565 where legacy_id = (select min(legacy_id) from prestamos_new)`);
    await db.db.execute(sql`update pagos_prestamo_new set fecha_pago = '1850-01-01' where id = (select max(id) from pagos_prestamo_new)`);
    const found = await wayBackMismatches(db.db);
    expect(found.count).toBe(2);
    expect(found.sample.map((s) => s.why).sort()).toEqual(["INVALID_PAGO", "tasa_anual"]);
  });
});

describe("revert and finalize outside their phase", () => {
  it("answer 409 in the legacy phase and change nothing", async () => {
    await seedLegacy(db.db, 5, 0);
    await expect(revert(db.db, admin)).rejects.toMatchObject({ code: "CONFLICT" });
    await expect(finalize(db.db, admin, {})).rejects.toMatchObject({ code: "CONFLICT" });
    expect(await getPhase(db.db)).toBe("legacy");
    expect(await relkind("prestamos")).toBe("r");
  });
});

describe("the consistency check once the legacy names are views", () => {
  /** GET …/consistency with a fresh check run to its end: the route's answer. */
  const freshConsistency = async () => {
    expect((await call(consistencyRoute.GET, { path: "/api/prestamos/migration/consistency?fresh=1", token: reviewerToken })).status).toBe(200);
    await runQueuedJobs(db.db, "test-runner", testDriver());
    const res = await call(consistencyRoute.GET, { path: "/api/prestamos/migration/consistency", token: reviewerToken });
    expect(res.status).toBe(200);
    return res.json;
  };

  it("compares the new tables with the archive, so a way back that drifted is found, and says so in every phase", async () => {
    await seedLegacy(db.db, 20, 0);
    const before = await freshConsistency();
    expect(before.summary.comparedWith).toMatchObject({ against: "legacy", prestamos: "prestamos" });
    expect((await getPhaseView(db.db)).shown).toBe("not_cut_over");

    await cutOver(db.db, admin, await readyToCutOver());
    const cut = await freshConsistency();
    expect(cut.summary.comparedWith).toMatchObject({ against: "archive", prestamos: "prestamos_legacy", pagos: "pagos_prestamo_legacy" });
    expect(cut.summary.fieldMatch).toMatchObject({ mismatching: 0, matchingPct: 100 });
    const fieldMatch = (await getChecklist(db.db)).items.find((i) => i.id === "field_match");
    expect(fieldMatch).toMatchObject({ state: "pass", figure: expect.stringContaining("against the archive prestamos_legacy and pagos_prestamo_legacy") });
    expect(phaseSentence(await getPhaseView(db.db))).toMatch(/^Cut over since .* by admin@test\.local \(writes held \d/);

    // The archive drifts (a write nobody captured): the view would still match the new tables, the check does not.
    await db.db.execute(sql`update prestamos_legacy set monto = monto + 1 where id = 5`);
    const drifted = await freshConsistency();
    expect(drifted.summary.fieldMatch.mismatching).toBe(1);
    expect(drifted.mismatches.items.filter((i: { category: string }) => i.category === "field")).toEqual([
      expect.objectContaining({ legacyId: 5, category: "field", columns: ["monto_cents", "saldo_cents"] }),
    ]);
    // A write through the view reaches the archive through reverse capture: in step again.
    await db.db.execute(sql`update prestamos set monto = monto where id = 5`);
    await drainReverseAll();
    expect((await freshConsistency()).summary.fieldMatch.mismatching).toBe(0);

    await finalize(db.db, admin, {});
    const fin = await freshConsistency();
    expect(fin.summary.comparedWith).toMatchObject({ against: "archive", words: expect.stringMatching(/^Finalized .*no way back/) });
    await db.db.execute(sql`update prestamos set monto = 999 where id = 6`);
    expect((await freshConsistency()).summary.fieldMatch.mismatching).toBe(1);
    expect((await getPhaseView(db.db)).shown).toBe("finalized");
  });

  it("after a revert compares the legacy tables again, and the phase reads reverted", async () => {
    await seedLegacy(db.db, 10, 0);
    await cutOver(db.db, admin, await readyToCutOver());
    await revert(db.db, admin);
    expect(await queryOne(db.db, sql`select to_regnamespace('console_archive_lens') as s`)).toEqual({ s: null });
    expect((await freshConsistency()).summary.comparedWith).toMatchObject({ against: "legacy" });
    const view = await getPhaseView(db.db);
    expect(view).toMatchObject({ phase: "legacy", shown: "reverted", switches: [{ kind: "revert" }, { kind: "cut_over" }] });
  });
});
