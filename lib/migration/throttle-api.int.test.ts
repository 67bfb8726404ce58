/**
 * GET / PATCH …/throttle (MIGRATION-SPEC §8) as scripts call them, on both databases: the shape
 * with §8's names, the roles, bad input (400, nothing changed, audited), a PATCH applied at once
 * and audited with the levels before and after; on the embedded database every signal is not
 * applicable and the throttle never engages.
 */
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { queryOne } from "@/db/sql";
import { SIGNAL_IDS } from "@/lib/migration/vocabulary";
import { call, makeToken } from "@/lib/testing/auth";
import { installAppDb } from "@/lib/testing/app-db";
import { openTestDb, testDriver, type TestDb } from "@/lib/testing/db";
import { resetMigrationTables } from "@/lib/testing/reset";
import * as progress from "@/app/api/prestamos/migration/progress/route";
import * as throttle from "@/app/api/prestamos/migration/throttle/route";

const PATH = "/api/prestamos/migration/throttle";
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
  await resetMigrationTables(db.db, ["console_settings"]);
});

const settingsRow = async () =>
  (await queryOne<{ value: unknown }>(db.db, sql`select value from console_settings where key = 'throttle.signals'`))?.value ?? null;
const auditOf = (requestId: string) =>
  queryOne<{ action: string; outcome: string; status: number; details: Record<string, unknown> }>(
    db.db,
    sql`select action, outcome, status, details from console_audit_log where request_id = ${requestId}`,
  );

describe("the throttle's API", () => {
  it("answers every signal of §8 with its defaults, for a reviewer", async () => {
    const res = await call(throttle.GET, { path: PATH, token: reviewerToken });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ active: false, since: null, reasons: [], episodes: [], alertAfterSeconds: 900, criticalAfterSeconds: 30 });
    expect(res.json.signals.map((s: { id: string }) => s.id)).toEqual([...SIGNAL_IDS]);
    const byId = Object.fromEntries(res.json.signals.map((s: { id: string }) => [s.id, s]));
    expect(byId.standby_lag_ms).toMatchObject({ enabled: true, threshold: 5000, resume: 2500, critical: 60_000 });
    expect(byId.standby_lag_bytes).toMatchObject({ enabled: true, threshold: 256 * 1024 * 1024, resume: 128 * 1024 * 1024, critical: 2560 * 1024 * 1024 });
    expect(byId.app_latency).toMatchObject({ enabled: true, threshold: 1.5, resume: 1.25, critical: 20 });
    expect(byId.lock_waits).toMatchObject({ enabled: true, threshold: 5, resume: 2.5, critical: 50 });
    expect(byId.active_sessions).toMatchObject({ enabled: true, threshold: 32, resume: 16, critical: 320 });
    expect(byId.wal_bytes_per_s).toMatchObject({ enabled: false });
    expect(byId.wal_unarchived).toMatchObject({ enabled: false });
    for (const s of res.json.signals)
      expect(Object.keys(s)).toEqual(expect.arrayContaining(["id", "enabled", "applicable", "value", "threshold", "resume", "critical", "state"]));
    if (testDriver() === "pglite") {
      expect(res.json.applicable).toBe(false);
      for (const s of res.json.signals) expect(s).toMatchObject({ applicable: false, value: null, state: "not_applicable" });
    } else {
      // Nothing reads the signals in this test: they are unknown, never quietly fine.
      expect(res.json.applicable).toBe(true);
      expect(byId.wal_bytes_per_s.state).toBe("disabled");
      expect(byId.lock_waits).toMatchObject({ applicable: true, value: null, state: "unknown" });
      expect(byId.lock_waits.why).toMatch(/not read yet/);
    }
    const p = await call(progress.GET, { path: "/api/prestamos/migration/progress", token: reviewerToken });
    expect(p.json.throttle).toEqual({ active: false, since: null, reasons: [], long: false });
  });

  it("changes levels at once for an admin, audited with before and after; an unset resume follows the threshold", async () => {
    const res = await call(throttle.PATCH, {
      method: "PATCH",
      path: PATH,
      token: adminToken,
      body: {
        lock_waits: { threshold: 2 },
        standby_lag_bytes: { enabled: true, threshold: 8388608 },
        wal_bytes_per_s: { enabled: true },
        criticalAfterSeconds: 0,
      },
    });
    expect(res.status).toBe(200);
    expect(res.json.criticalAfterSeconds).toBe(0);
    const byId = Object.fromEntries(res.json.signals.map((s: { id: string }) => [s.id, s]));
    expect(byId.lock_waits).toMatchObject({ threshold: 2, resume: 1, critical: 20 });
    expect(byId.standby_lag_bytes).toMatchObject({ enabled: true, threshold: 8388608, resume: 4194304 });
    expect(byId.wal_bytes_per_s).toMatchObject({ enabled: true });
    const audit = await auditOf(res.headers.get("x-request-id")!);
    expect(audit).toMatchObject({ action: "throttle.settings", outcome: "ok", status: 200 });
    expect(audit!.details.lock_waits).toMatchObject({ from: { threshold: 5 }, to: { threshold: 2 } });
    expect(audit!.details.criticalAfterSeconds).toEqual({ from: 30, to: 0 });
    // Later reads (any instance) see it.
    const again = await call(throttle.GET, { path: PATH, token: reviewerToken });
    expect(again.json.signals.find((s: { id: string }) => s.id === "lock_waits").threshold).toBe(2);
    expect(again.json.settingsUpdatedBy).toMatch(/^token:/);
  });

  it.each([
    ["an unknown signal id", { replica_lag: { threshold: 1 } }],
    ["an unknown field", { lock_waits: { threshold: 1, max: 3 } }],
    ["a negative threshold", { lock_waits: { threshold: -1 } }],
    ["a threshold that is not a number", { lock_waits: { threshold: "5" } }],
    ["enabled that is not a boolean", { lock_waits: { enabled: "yes" } }],
    ["an empty signal patch", { lock_waits: {} }],
    ["an empty body", {}],
    ["a resume level above the threshold", { lock_waits: { threshold: 4, resume: 5 } }],
    ["a critical level below the threshold", { standby_lag_ms: { critical: 1000 } }],
    ["a critical duration longer than the readings are kept", { criticalAfterSeconds: 301 }],
    ["a critical duration that is not whole seconds", { criticalAfterSeconds: 1.5 }],
    ["a body that is not an object", [1, 2]],
  ])("refuses %s with a 400 that changes nothing, audited as refused", async (_what, body) => {
    const res = await call(throttle.PATCH, { method: "PATCH", path: PATH, token: adminToken, body });
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe("VALIDATION_ERROR");
    expect(res.text).not.toMatch(/at .*\.ts/);
    expect(await settingsRow()).toBeNull();
    expect(await auditOf(res.headers.get("x-request-id")!)).toMatchObject({ action: "throttle.settings", outcome: "refused", status: 400 });
  });

  it("is read-only for reviewers and closed to the anonymous", async () => {
    const patch = await call(throttle.PATCH, { method: "PATCH", path: PATH, token: reviewerToken, body: { lock_waits: { threshold: 1 } } });
    expect(patch.status).toBe(403);
    expect(await settingsRow()).toBeNull();
    expect(await auditOf(patch.headers.get("x-request-id")!)).toMatchObject({ action: "throttle.settings", outcome: "refused", status: 403 });
    expect((await call(throttle.GET, { path: PATH })).status).toBe(401);
    expect((await call(throttle.PATCH, { method: "PATCH", path: PATH, body: { lock_waits: { threshold: 1 } } })).status).toBe(401);
    const post = await call(throttle.POST, { method: "POST", path: PATH, token: adminToken, body: {} });
    expect(post.status).toBe(405);
    expect(post.json.error).toBeDefined();
  });
});
