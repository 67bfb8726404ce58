import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { installAppDb } from "@/lib/testing/app-db";
import { auditLog } from "@/db/schema";
import { call, makeToken } from "@/lib/testing/auth";
import { openTestDb, testDriver, type TestDb } from "@/lib/testing/db";
import { GET } from "./route";

let forgetAppDb: (() => void) | undefined;

let t: TestDb;
let reviewerToken: string;
beforeAll(async () => {
  t = await openTestDb();
  forgetAppDb = installAppDb(t);
  reviewerToken = await makeToken(t.db, "reviewer", "auditor");
  // 30 rows: 3 actors × 10, alternating outcomes, one hostile cell, spread over January 2026.
  const rows = Array.from({ length: 30 }, (_, i) => ({
    at: new Date(Date.UTC(2026, 0, 1 + i, 12)),
    actor: ["ana@example.com", "token:ci", "system"][i % 3],
    actorKind: ["user", "token", "system"][i % 3],
    action: i % 2 ? "migration.start" : "user.update",
    target: `user:${i}`,
    outcome: i % 5 === 0 ? "refused" : "ok",
    status: i % 5 === 0 ? 403 : 200,
    details: i === 29 ? { note: '=cmd|"/c calc"!A1, and "quotes"' } : null,
  }));
  await t.db.insert(auditLog).values(rows);
});
afterAll(async () => {
  forgetAppDb?.();
  await t?.dispose();
});

const get = (qs: string, token = reviewerToken) => call(GET, { path: `/api/audit${qs}`, token });

describe(`GET /api/audit on ${testDriver()}`, () => {
  it("pages newest first", async () => {
    const p1 = await get("?action=migration.&limit=10&page=1");
    expect(p1.status).toBe(200);
    expect(p1.json).toMatchObject({ page: 1, limit: 10, total: 15, hasMore: true });
    const ids = p1.json.items.map((r: { id: number }) => r.id);
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    const p2 = await get("?action=migration.&limit=10&page=2");
    expect(p2.json).toMatchObject({ total: 15, hasMore: false });
    expect(p2.json.items).toHaveLength(5);
    expect(Math.max(...p2.json.items.map((r: { id: number }) => r.id))).toBeLessThan(Math.min(...ids));
    expect(p1.json.items[0]).toMatchObject({ action: "migration.start", target: "user:29", actor: "system", outcome: "ok" });
    expect(typeof p1.json.items[0].at).toBe("string");
  });

  it("filters by actor, action prefix, outcome, target and time", async () => {
    expect((await get("?actor=token:ci&limit=200")).json.total).toBe(10);
    expect((await get("?action=user&limit=200")).json.total).toBe(15);
    expect((await get("?action=user.update&outcome=refused")).json.items.map((r: { target: string }) => r.target)).toEqual(["user:20", "user:10", "user:0"]);
    expect((await get("?target=user:7")).json.items).toHaveLength(1);
    // January 10 to 12 inclusive (date-only `to` takes the whole day).
    expect((await get("?from=2026-01-10&to=2026-01-12&action=migration.start,user.update")).json.total).toBe(0); // prefix is literal
    const range = await get("?from=2026-01-10&to=2026-01-12");
    expect(range.json.items.map((r: { target: string }) => r.target)).toEqual(["user:11", "user:10", "user:9"]);
    expect((await get("?from=2026-01-10T12:00:00Z&to=2026-01-11T11:59:59Z")).json.total).toBe(1);
    expect((await get("?action=100%25")).json.total).toBe(0); // LIKE wildcards are literal
  });

  it("validates the query: limit ≤ 200, page ≥ 1, ISO times, known outcomes and fields", async () => {
    for (const qs of [
      "?limit=201",
      "?limit=0",
      "?page=0",
      "?page=abc",
      "?from=yesterday",
      "?outcome=maybe",
      "?sort=asc",
      "?from=2026-02-01&to=2026-01-01",
      "?format=xml",
    ]) {
      const res = await get(qs);
      expect(res.status, qs).toBe(400);
      expect(res.json.error.code).toBe("VALIDATION_ERROR");
    }
    expect((await call(GET, { path: "/api/audit" })).status).toBe(401);
  });

  it("streams the filtered log as CSV with escaping and formula neutralisation", async () => {
    const res = await get("?format=csv&actor=system&action=migration.");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/csv/);
    expect(res.headers.get("content-disposition")).toMatch(/^attachment; filename="audit-.*\.csv"$/);
    const lines = res.text.trimEnd().split("\r\n");
    expect(lines[0]).toBe("id,at,actor,actor_kind,action,target,outcome,status,request_id,details");
    expect(lines).toHaveLength(6);
    expect(lines[1]).toContain(",system,system,migration.start,user:29,ok,200,,");
    expect(lines[1]).toContain('"{""note"":""=cmd|\\""/c calc\\""!A1, and \\""quotes\\""""}"');
    await t.db
      .insert(auditLog)
      .values({ actor: '=HYPERLINK("http://evil")', actorKind: "user", action: "csv.check", target: "@SUM(A1)", outcome: "ok", details: ["-1"] });
    const hostile = (await get("?format=csv&action=csv.")).text.split("\r\n")[1];
    expect(hostile).toMatch(/^\d+,[^,]+,"'=HYPERLINK\(""http:\/\/evil""\)",user,csv\.check,'@SUM\(A1\),ok,,,"\[""-1""\]"$/);
    await t.db.delete(auditLog).where(eq(auditLog.action, "csv.check"));

    // The whole log: the 30 rows and the creation of the test token; the reviewer's GETs are not audited.
    const all = await get("?format=csv");
    expect(all.text.trimEnd().split("\r\n")).toHaveLength(1 + 31);
  });
});
