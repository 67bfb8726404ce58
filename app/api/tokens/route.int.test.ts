import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setDbHandleForTests } from "@/db/client";
import { apiTokens, auditLog } from "@/db/schema";
import { call, makeToken } from "@/lib/auth/testing";
import { openTestDb, testDriver, type TestDb } from "@/lib/testing/db";
import { GET as listUsersRoute } from "../users/route";
import { GET as listTokensRoute, POST as createTokenRoute } from "./route";
import { DELETE as revokeTokenRoute } from "./[id]/route";

let t: TestDb;
let adminToken: string;
let reviewerToken: string;
beforeAll(async () => {
  t = await openTestDb();
  setDbHandleForTests(t);
  adminToken = await makeToken(t.db, "admin", "admin-script");
  reviewerToken = await makeToken(t.db, "reviewer", "reviewer-script");
});
afterAll(async () => {
  setDbHandleForTests(undefined);
  await t?.dispose();
});

describe(`/api/tokens on ${testDriver()}`, () => {
  it("creates a token shown once, lists it without secret, and revokes it (then 401 with it)", async () => {
    const created = await call(createTokenRoute, { method: "POST", path: "/api/tokens", token: adminToken, body: { name: " nightly check ", role: "reviewer" } });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ name: "nightly check", role: "reviewer", createdBy: "token:admin-script", revokedAt: null });
    const token = created.json.token as string;
    expect(token).toMatch(/^pc_[A-Za-z0-9_-]{43}$/);

    expect((await call(listUsersRoute, { path: "/api/users", token })).status).toBe(200);
    const list = await call(listTokensRoute, { path: "/api/tokens", token: adminToken });
    expect(list.status).toBe(200);
    const listed = list.json.tokens.find((x: { id: number }) => x.id === created.json.id);
    expect(listed).toMatchObject({ prefix: token.slice(0, 9), role: "reviewer" });
    expect(listed.lastUsedAt).not.toBeNull();
    const [row] = await t.db.select().from(apiTokens).where(eq(apiTokens.id, created.json.id));
    expect(list.text).not.toContain(token);
    expect(list.text).not.toContain(row.tokenHash);

    const revoked = await call(revokeTokenRoute, { method: "DELETE", path: `/api/tokens/${created.json.id}`, token: adminToken, params: { id: String(created.json.id) } });
    expect(revoked.status).toBe(200);
    expect(revoked.json.revokedAt).not.toBeNull();
    const after = await call(listUsersRoute, { path: "/api/users", token });
    expect(after.status).toBe(401);
    expect(after.json.error.code).toBe("UNAUTHENTICATED");
    expect((await call(revokeTokenRoute, { method: "DELETE", path: `/api/tokens/${created.json.id}`, token: adminToken, params: { id: String(created.json.id) } })).status).toBe(409);
    expect((await call(revokeTokenRoute, { method: "DELETE", path: "/api/tokens/424242", token: adminToken, params: { id: "424242" } })).status).toBe(404);

    const audit = await t.db.select().from(auditLog).where(eq(auditLog.target, `token:${created.json.id}`)).orderBy(auditLog.id);
    expect(audit.map((a) => [a.action, a.outcome])).toEqual([
      ["token.create", "ok"],
      ["token.revoke", "ok"],
      ["token.revoke", "refused"],
    ]);
    expect(JSON.stringify(audit)).not.toContain(token);
  });

  it("is admin only, reads included (tokens are credentials); a refused creation is audited", async () => {
    expect((await call(listTokensRoute, { path: "/api/tokens", token: reviewerToken })).status).toBe(403);
    const res = await call(createTokenRoute, { method: "POST", path: "/api/tokens", token: reviewerToken, body: { name: "escalate", role: "admin" } });
    expect(res.status).toBe(403);
    const refused = await t.db.select().from(auditLog).where(eq(auditLog.outcome, "refused"));
    expect(refused.some((a) => a.action === "token.create" && a.actor === "token:reviewer-script" && a.status === 403)).toBe(true);
    expect((await call(listTokensRoute, { path: "/api/tokens" })).status).toBe(401);
  });

  it("validates the body", async () => {
    for (const body of [{ name: "", role: "admin" }, { name: "x", role: "root" }, { name: "x", role: "admin", expires: 1 }, {}]) {
      const res = await call(createTokenRoute, { method: "POST", path: "/api/tokens", token: adminToken, body });
      expect(res.status).toBe(400);
      expect(res.json.error.code).toBe("VALIDATION_ERROR");
    }
  });
});
