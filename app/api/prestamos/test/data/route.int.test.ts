import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { installAppDb } from "@/lib/testing/app-db";
import { queryOne, queryRows } from "@/db/sql";
import { call, makeToken } from "@/lib/testing/auth";
import { FAILURE_CODES } from "@/lib/migration/rules";
import { openTestDb, testDriver, type TestDb } from "@/lib/testing/db";
import { POST as createRoute } from "../create-data/route";
import { DELETE as deleteRoute, GET as listRoute } from "./route";

let forgetAppDb: (() => void) | undefined;

let t: TestDb;
let adminToken: string;
let reviewerToken: string;
beforeAll(async () => {
  t = await openTestDb();
  forgetAppDb = installAppDb(t);
  adminToken = await makeToken(t.db, "admin", "admin-script");
  reviewerToken = await makeToken(t.db, "reviewer", "reviewer-script");
});
afterAll(async () => {
  forgetAppDb?.();
  await t?.dispose();
});

const CREATE = "/api/prestamos/test/create-data";
const DATA = "/api/prestamos/test/data";
const auditOf = async (action: string) =>
  Array.from(await queryRows(t.db, sql`select actor, outcome, status from console_audit_log where action = ${action} order by id`));

describe(`/api/prestamos/test on ${testDriver()}`, () => {
  it("POST create-data: admin only, strict body with caps, 201 with what it made, audited once", async () => {
    const unauth = await call(createRoute, { method: "POST", path: CREATE, body: {} });
    expect(unauth.status).toBe(401);
    const reviewer = await call(createRoute, { method: "POST", path: CREATE, token: reviewerToken, body: { count: 5 } });
    expect(reviewer.status).toBe(403);
    expect(reviewer.json.error.code).toBe("FORBIDDEN");

    for (const body of [
      { count: 5, foo: 1 },
      { count: 0 },
      { count: 1_000_001 },
      { count: 2.5 },
      { count: "10" },
      { dirtyPct: 101 },
      { dirtyPct: -1 },
      { seed: 2 ** 31 },
      { seed: 1.5 },
      [1],
    ]) {
      const res = await call(createRoute, { method: "POST", path: CREATE, token: adminToken, body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.json.error.code).toBe("VALIDATION_ERROR");
    }
    expect(await queryOne(t.db, sql`select count(*)::int as n from prestamos`)).toStrictEqual({ n: 0 });

    const made = await call(createRoute, { method: "POST", path: CREATE, token: adminToken, body: { count: 120, dirtyPct: 10, seed: 9 } });
    expect(made.status).toBe(201);
    expect(made.headers.get("x-request-id")).toBeTruthy();
    expect(made.json).toMatchObject({
      prestamos: 120,
      brokenPrestamos: 12,
      orphans: 2,
      set: { seed: 9, count: 120, dirtyPct: 10, createdBy: "token:admin-script" },
    });
    expect(Object.keys(made.json.broken).sort()).toEqual([...FAILURE_CODES].sort());

    // Defaults: count 1000, dirtyPct 10, seed 42.
    const defaults = await call(createRoute, { method: "POST", path: CREATE, token: adminToken });
    expect(defaults.status).toBe(201);
    expect(defaults.json.set).toMatchObject({ seed: 42, count: 1000, dirtyPct: 10 });

    const audit = await auditOf("testdata.create");
    expect(audit.filter((a) => a.outcome === "ok")).toStrictEqual([
      { actor: "token:admin-script", outcome: "ok", status: 201 },
      { actor: "token:admin-script", outcome: "ok", status: 201 },
    ]);
    expect(audit.filter((a) => a.outcome === "refused")).toHaveLength(12); // no credentials, the reviewer, the ten bad bodies
  });

  it("GET data lists the sets for a reviewer; DELETE data is admin only, removes them, and is idempotent", async () => {
    const list = await call(listRoute, { path: DATA, token: reviewerToken });
    expect(list.status).toBe(200);
    expect(list.json.sets.length).toBeGreaterThan(0);
    expect(list.json.totals.prestamos).toBe(1120);
    expect(list.json.sets[0]).toMatchObject({ seed: 42, tracked: { prestamos: 1000 }, presentPrestamos: 1000, migratedPrestamos: 0 });

    const refused = await call(deleteRoute, { method: "DELETE", path: DATA, token: reviewerToken });
    expect(refused.status).toBe(403);
    expect((await queryOne(t.db, sql`select count(*)::int as n from prestamos`))?.n).toBe(1120);
    expect((await call(deleteRoute, { method: "DELETE", path: DATA, token: adminToken, body: { all: true } })).status).toBe(400);

    const removed = await call(deleteRoute, { method: "DELETE", path: DATA, token: adminToken });
    expect(removed.status).toBe(200);
    expect(removed.json).toMatchObject({ prestamos: 1120 });
    expect(removed.json.sets).toHaveLength(2);
    expect(await queryOne(t.db, sql`select (select count(*) from prestamos)::int as p, (select count(*) from pagos_prestamo)::int as g`)).toStrictEqual({
      p: 0,
      g: 0,
    });

    const again = await call(deleteRoute, { method: "DELETE", path: DATA, token: adminToken });
    expect(again.status).toBe(200);
    expect(again.json).toMatchObject({ sets: [], prestamos: 0, pagos: 0 });
    expect((await call(listRoute, { path: DATA, token: reviewerToken })).json.sets).toEqual([]);

    const audit = await auditOf("testdata.delete");
    expect(audit).toStrictEqual([
      { actor: "token:reviewer-script", outcome: "refused", status: 403 },
      { actor: "token:admin-script", outcome: "refused", status: 400 },
      { actor: "token:admin-script", outcome: "ok", status: 200 },
      { actor: "token:admin-script", outcome: "ok", status: 200 },
    ]);
  });

  // Last: its audit rows would count in the tests above.
  it("refuses to create test data (403, audited, nothing written) with DATABASE_URL unless ALLOW_TEST_DATA is on", async () => {
    const saved = { DATABASE_URL: process.env.DATABASE_URL, ALLOW_TEST_DATA: process.env.ALLOW_TEST_DATA };
    const legacyRows = async () => (await queryOne<{ n: number }>(t.db, sql`select count(*)::int as n from prestamos`))!.n;
    const before = await legacyRows();
    try {
      // Only read by the switch here: the handle of this test's database is already installed.
      process.env.DATABASE_URL = "postgres://lender@db.example.com:5432/loans";
      delete process.env.ALLOW_TEST_DATA;
      const res = await call(createRoute, { method: "POST", path: CREATE, token: adminToken, body: { count: 5 } });
      expect(res.status).toBe(403);
      expect(res.json.error).toMatchObject({ code: "FORBIDDEN", message: expect.stringMatching(/ALLOW_TEST_DATA=on/), details: { reason: "TEST_DATA_OFF" } });
      expect(await legacyRows()).toBe(before);
      expect((await auditOf("testdata.create")).at(-1)).toMatchObject({ outcome: "refused", status: 403 });
      process.env.ALLOW_TEST_DATA = "on";
      expect((await call(createRoute, { method: "POST", path: CREATE, token: adminToken, body: { count: 5 } })).status).toBe(201);
      expect(await legacyRows()).toBe(before + 5);
      expect((await call(deleteRoute, { method: "DELETE", path: DATA, token: adminToken })).status).toBe(200);
    } finally {
      for (const [k, v] of Object.entries(saved))
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
    }
  });
});
