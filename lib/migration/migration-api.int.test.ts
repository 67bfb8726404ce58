import { sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { queryOne, queryRows } from "@/db/sql";
import { call, makeToken, makeUser, sessionCookie } from "@/lib/testing/auth";
import { openTestDb, type TestDb } from "@/lib/testing/db";
import { resetMigrationTables } from "@/lib/testing/reset";
import { installAppDb } from "@/lib/testing/app-db";
import { fingerprint } from "@/lib/testing/fingerprint";
import { seedLegacy } from "@/lib/testing/legacy-seed";
import * as cleanup from "@/app/api/prestamos/migration/cleanup/route";
import * as progress from "@/app/api/prestamos/migration/progress/route";
import * as rollbackAll from "@/app/api/prestamos/migration/rollback/route";
import * as rollbackOne from "@/app/api/prestamos/migration/rollback/[id]/route";
import * as single from "@/app/api/prestamos/migration/single/[id]/route";
import * as start from "@/app/api/prestamos/migration/start/route";
import * as stop from "@/app/api/prestamos/migration/stop/route";
import { startRun } from "./runs";
import { runToEnd } from "@/lib/testing/run-to-end";

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
  await resetMigrationTables(db.db);
  await seedLegacy(db.db, 30, 10);
});

/** Everything a mutation could change (fingerprint.ts: every table, legacy ones too): bad input must change nothing. */
const checksum = () => fingerprint(db.db);

const system = { name: "test-setup", kind: "system" as const };

/**
 * A state a wrongly accepted call would change: a run finished (migrated and failed prestamos,
 * capture on), or with `active` still running after one batch of 10 (for the stop); then the
 * application edits one prestamo (a sync is owed).
 */
async function migratedState(opts: { active?: boolean } = {}): Promise<void> {
  const run = await startRun(db.db, { batchSize: 10, errorThresholdPct: 100 }, system, "setup-worker");
  const ended = await runToEnd(db.db, run.id, "setup-worker", opts.active ? 1 : undefined);
  expect(ended).toMatchObject(opts.active ? { status: "running", processed: 10 } : { status: "finished", processed: 30 });
  await db.db.execute(sql`update prestamos set monto = monto + 1 where id = 4`);
}

const auditOf = (requestId: string) =>
  queryOne<{ action: string; outcome: string; status: number; actor: string }>(
    db.db,
    sql`select action, outcome, status, actor from console_audit_log where request_id = ${requestId}`,
  );

describe("the migration API, as a script drives it", () => {
  it("starts (202), refuses a second start (409), reports progress, stops, and audits each call", async () => {
    const started = await call(start.POST, { method: "POST", path: "/api/prestamos/migration/start", token: adminToken, body: { batchSize: 10 } });
    expect(started.status).toBe(202);
    expect(started.json.run).toMatchObject({ status: "running", batchSize: 10, errorThresholdPct: 1, retry: false });
    expect(await auditOf(started.headers.get("x-request-id")!)).toMatchObject({ action: "migration.start", outcome: "ok", status: 202 });

    const again = await call(start.POST, { method: "POST", path: "/api/prestamos/migration/start", token: adminToken, body: {} });
    expect(again.status).toBe(409);
    expect(again.json.error.code).toBe("CONFLICT");
    expect(await auditOf(again.headers.get("x-request-id")!)).toMatchObject({ action: "migration.start", outcome: "refused", status: 409 });

    const p = await call(progress.GET, { path: "/api/prestamos/migration/progress", token: reviewerToken });
    expect(p.status).toBe(200);
    expect(p.json).toMatchObject({ state: "running", totals: { total: 30, pending: 30 }, capture: { enabled: true } });

    // One batch of 10 of the 30 runs before the stop: a run that merely finished would show 30 processed.
    const id = started.json.run.id;
    const owner = started.json.run.leaseOwner;
    expect((await runToEnd(db.db, id, owner, 1))?.processed).toBe(10);
    const stopped = await call(stop.POST, { method: "POST", path: "/api/prestamos/migration/stop", token: adminToken });
    expect(stopped.status).toBe(200);
    const ended = await runToEnd(db.db, id, owner);
    expect(ended).toMatchObject({ id, status: "stopped", processed: 10 });
    const after = await call(progress.GET, { path: "/api/prestamos/migration/progress", token: reviewerToken });
    expect(after.json).toMatchObject({ totals: { total: 30, pending: 20 } });
    const none = await call(stop.POST, { method: "POST", path: "/api/prestamos/migration/stop", token: adminToken });
    expect(none.status).toBe(409);
  });

  it("migrates one, rolls it back, refuses what does not apply, and rolls everything back only with the typed confirmation", async () => {
    const one = await call(single.POST, { method: "POST", path: "/api/prestamos/migration/single/3", token: adminToken, params: { id: "3" } });
    expect(one.status).toBe(200);
    expect(one.json).toMatchObject({ legacyId: 3, outcome: "migrated" });
    const failing = await call(single.POST, { method: "POST", path: "/api/prestamos/migration/single/10", token: adminToken, params: { id: "10" } });
    expect(failing.json.outcome).toBe("failed");
    expect(failing.json.failures.length).toBeGreaterThan(0);
    const rb = await call(rollbackOne.POST, { method: "POST", path: "/api/prestamos/migration/rollback/3", token: adminToken, params: { id: "3" } });
    expect(rb.status).toBe(200);
    const rbAgain = await call(rollbackOne.POST, { method: "POST", path: "/api/prestamos/migration/rollback/3", token: adminToken, params: { id: "3" } });
    expect(rbAgain.status).toBe(409);
    const unknown = await call(rollbackOne.POST, { method: "POST", path: "/api/prestamos/migration/rollback/999", token: adminToken, params: { id: "999" } });
    expect(unknown.status).toBe(404);
    const unknownSingle = await call(single.POST, { method: "POST", path: "/api/prestamos/migration/single/999", token: adminToken, params: { id: "999" } });
    expect(unknownSingle.status).toBe(404);

    const before = await checksum();
    for (const body of [{}, { confirm: "rollback all" }, { confirm: "ROLLBACK ALL", extra: 1 }]) {
      const r = await call(rollbackAll.POST, { method: "POST", path: "/api/prestamos/migration/rollback", token: adminToken, body });
      expect(r.status).toBe(400);
      expect(r.json.error.code).toBe("VALIDATION_ERROR");
    }
    expect(await checksum()).toEqual(before);
    const all = await call(rollbackAll.POST, {
      method: "POST",
      path: "/api/prestamos/migration/rollback",
      token: adminToken,
      body: { confirm: "ROLLBACK ALL" },
    });
    expect(all.status).toBe(200);
    expect((await queryOne<{ n: number }>(db.db, sql`select count(*)::int as n from migration_state`))!.n).toBe(0);
  });

  it("refuses cleanup during a run (409) and ends capture after it", async () => {
    const started = await call(start.POST, { method: "POST", path: "/api/prestamos/migration/start", token: adminToken, body: { errorThresholdPct: 100 } });
    const refused = await call(cleanup.POST, { method: "POST", path: "/api/prestamos/migration/cleanup", token: adminToken });
    expect(refused.status).toBe(409);
    await runToEnd(db.db, started.json.run.id, started.json.run.leaseOwner);
    const ok = await call(cleanup.POST, { method: "POST", path: "/api/prestamos/migration/cleanup", token: adminToken });
    expect(ok.status).toBe(200);
    expect(ok.json).toMatchObject({ removed: true });
    const p = await call(progress.GET, { path: "/api/prestamos/migration/progress", token: adminToken });
    expect(p.json.capture.enabled).toBe(false);
  });
});

describe("who may call", () => {
  const mutations = [
    { name: "start", handler: start.POST, path: "/api/prestamos/migration/start", body: {} },
    { name: "stop", handler: stop.POST, path: "/api/prestamos/migration/stop" },
    { name: "single", handler: single.POST, path: "/api/prestamos/migration/single/3", params: { id: "3" } },
    { name: "rollback one", handler: rollbackOne.POST, path: "/api/prestamos/migration/rollback/3", params: { id: "3" } },
    { name: "rollback all", handler: rollbackAll.POST, path: "/api/prestamos/migration/rollback", body: { confirm: "ROLLBACK ALL" } },
    { name: "cleanup", handler: cleanup.POST, path: "/api/prestamos/migration/cleanup" },
  ];

  it.each(mutations)("$name: a reviewer token gets 403, no token 401, a revoked-looking token 401; each refusal audited, nothing changed", async (m) => {
    await migratedState({ active: m.name === "stop" });
    const before = await checksum();
    const asReviewer = await call(m.handler, { method: "POST", path: m.path, token: reviewerToken, body: m.body, params: m.params });
    expect(asReviewer.status).toBe(403);
    expect(asReviewer.json.error.code).toBe("FORBIDDEN");
    expect(await auditOf(asReviewer.headers.get("x-request-id")!)).toMatchObject({ outcome: "refused", status: 403 });
    const anonymous = await call(m.handler, { method: "POST", path: m.path, body: m.body, params: m.params });
    expect(anonymous.status).toBe(401);
    expect(await auditOf(anonymous.headers.get("x-request-id")!)).toMatchObject({ outcome: "refused", status: 401, actor: "anonymous" });
    const bogus = await call(m.handler, { method: "POST", path: m.path, token: "pc_not-a-real-token", body: m.body, params: m.params });
    expect(bogus.status).toBe(401);
    expect(await checksum()).toEqual(before);
  });

  it("refuses a reviewer's session cookie on a mutation (403) and a cross-site cookie request (403)", async () => {
    const reviewer = await makeUser(db.db, "reviewer");
    const r = await call(start.POST, { method: "POST", path: "/api/prestamos/migration/start", cookie: await sessionCookie(reviewer), body: {} });
    expect(r.status).toBe(403);
    const adminUser = await makeUser(db.db, "admin");
    const crossSite = await call(start.POST, {
      method: "POST",
      path: "/api/prestamos/migration/start",
      cookie: await sessionCookie(adminUser),
      body: {},
      headers: { origin: "https://evil.example", host: "localhost" },
    });
    expect(crossSite.status).toBe(403);
    expect((await queryRows(db.db, sql`select 1 from migration_runs`)).length).toBe(0);
  });
});

describe("bad input changes nothing and says why", () => {
  it.each(["abc", "-1", "0", "1e3", " 7", "7 ", "99999999999", "2147483648", "1.5", "0x10"])("id %j is a 400", async (id) => {
    const r = await call(single.POST, { method: "POST", path: `/api/prestamos/migration/single/${encodeURIComponent(id)}`, token: adminToken, params: { id } });
    expect(r.status).toBe(400);
    expect(r.json.error.code).toBe("VALIDATION_ERROR");
  });

  it.each([
    ["unknown field", { batchSize: 10, colour: "red" }],
    ["wrong type", { batchSize: "10" }],
    ["out of range", { batchSize: 0 }],
    ["huge", { batchSize: 1e308 }],
    ["negative threshold", { errorThresholdPct: -1 }],
    ["array", [1, 2]],
    ["null", null],
  ])("start with %s is a 400", async (_name, body) => {
    await migratedState();
    const before = await checksum();
    const r = await call(start.POST, { method: "POST", path: "/api/prestamos/migration/start", token: adminToken, body: JSON.stringify(body) });
    expect(r.status).toBe(400);
    expect(r.json.error.code).toBe("VALIDATION_ERROR");
    expect(await checksum()).toEqual(before);
  });

  it("malformed JSON is a 400 and a body over 1 MB a 413, both JSON", async () => {
    const bad = await call(start.POST, { method: "POST", path: "/api/prestamos/migration/start", token: adminToken, body: "{batchSize:" });
    expect(bad.status).toBe(400);
    expect(bad.json.error.message).toMatch(/not valid JSON/);
    const big = await call(start.POST, {
      method: "POST",
      path: "/api/prestamos/migration/start",
      token: adminToken,
      body: JSON.stringify({ pad: "x".repeat(1_100_000) }),
    });
    expect(big.status).toBe(413);
    expect(big.json.error.code).toBe("PAYLOAD_TOO_LARGE");
  });

  it("a wrong method is a JSON 405", async () => {
    const r = await call(start.GET, { path: "/api/prestamos/migration/start", token: adminToken });
    expect(r.status).toBe(405);
    expect(r.json.error.code).toBe("METHOD_NOT_ALLOWED");
  });
});
