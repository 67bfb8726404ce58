import { and, eq, inArray, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { installAppDb } from "@/lib/testing/app-db";
import { apiTokens, auditLog, users } from "@/db/schema";
import { systemActor } from "@/lib/audit";
import { call, makeToken, makeUser, sessionCookie } from "@/lib/testing/auth";
import { deleteUser, updateUser } from "@/lib/auth/users";
import { openTestDb, testDriver, type TestDb } from "@/lib/testing/db";
import { GET as readAuditRoute } from "../audit/route";
import { GET as listTokensRoute, POST as createTokenRoute } from "./route";
import { DELETE as revokeTokenRoute } from "./[id]/route";

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

describe(`/api/tokens on ${testDriver()}`, () => {
  it("creates a token shown once, lists it without secret, and revokes it (then 401 with it)", async () => {
    const created = await call(createTokenRoute, {
      method: "POST",
      path: "/api/tokens",
      token: adminToken,
      body: { name: " nightly check ", role: "reviewer" },
    });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ name: "nightly check", role: "reviewer", createdBy: "token:admin-script", revokedAt: null });
    const token = created.json.token as string;
    expect(token).toMatch(/^pc_[A-Za-z0-9_-]{43}$/);

    expect((await call(readAuditRoute, { path: "/api/audit", token })).status).toBe(200);
    const list = await call(listTokensRoute, { path: "/api/tokens", token: adminToken });
    expect(list.status).toBe(200);
    const listed = list.json.tokens.find((x: { id: number }) => x.id === created.json.id);
    expect(listed).toMatchObject({ prefix: token.slice(0, 9), role: "reviewer" });
    expect(listed.lastUsedAt).not.toBeNull();
    const [row] = await t.db.select().from(apiTokens).where(eq(apiTokens.id, created.json.id));
    expect(list.text).not.toContain(token);
    expect(list.text).not.toContain(row.tokenHash);

    const revoked = await call(revokeTokenRoute, {
      method: "DELETE",
      path: `/api/tokens/${created.json.id}`,
      token: adminToken,
      params: { id: String(created.json.id) },
    });
    expect(revoked.status).toBe(200);
    expect(revoked.json.revokedAt).not.toBeNull();
    const after = await call(readAuditRoute, { path: "/api/audit", token });
    expect(after.status).toBe(401);
    expect(after.json.error.code).toBe("UNAUTHENTICATED");
    expect(
      (await call(revokeTokenRoute, { method: "DELETE", path: `/api/tokens/${created.json.id}`, token: adminToken, params: { id: String(created.json.id) } }))
        .status,
    ).toBe(409);
    expect((await call(revokeTokenRoute, { method: "DELETE", path: "/api/tokens/424242", token: adminToken, params: { id: "424242" } })).status).toBe(404);

    const audit = await t.db
      .select()
      .from(auditLog)
      .where(eq(auditLog.target, `token:${created.json.id}`))
      .orderBy(auditLog.id);
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

  it("ties a token to the admin who made it: removing, demoting or disabling that admin revokes it", async () => {
    const other = await makeUser(t.db, "admin"); // never the last admin
    for (const [change, reason] of [
      [(id: number) => deleteUser(t.db, id, systemActor()), "creator removed"],
      [(id: number) => updateUser(t.db, id, { role: "reviewer" }, systemActor()), "creator demoted"],
      [(id: number) => updateUser(t.db, id, { disabled: true }, systemActor()), "creator disabled"],
    ] as const) {
      const admin = await makeUser(t.db, "admin");
      const cookie = await sessionCookie(admin);
      const bySession = await call(createTokenRoute, { method: "POST", path: "/api/tokens", cookie, body: { name: "admin's script", role: "admin" } });
      expect(bySession.status).toBe(201);
      // A token made with that admin's token is the admin's too.
      const byToken = await call(createTokenRoute, {
        method: "POST",
        path: "/api/tokens",
        token: bySession.json.token,
        body: { name: "made by the script", role: "reviewer" },
      });
      expect(byToken.status).toBe(201);
      for (const tok of [bySession.json.token, byToken.json.token]) expect((await call(readAuditRoute, { path: "/api/audit", token: tok })).status).toBe(200);

      await change(admin.id);
      for (const tok of [bySession.json.token, byToken.json.token]) {
        const res = await call(readAuditRoute, { path: "/api/audit", token: tok });
        expect(res.status, reason).toBe(401);
        expect(res.json.error.code).toBe("UNAUTHENTICATED");
      }
      const rows = await t.db
        .select()
        .from(apiTokens)
        .where(inArray(apiTokens.id, [bySession.json.id, byToken.json.id]));
      expect(rows.every((r) => r.revokedAt !== null)).toBe(true);
      const revokes = await t.db
        .select()
        .from(auditLog)
        .where(and(eq(auditLog.action, "token.revoke"), eq(auditLog.target, `token:${bySession.json.id}`)));
      expect(revokes[0].details).toMatchObject({ reason });
    }
    // The other admin's tokens were not touched.
    const mine = await call(createTokenRoute, {
      method: "POST",
      path: "/api/tokens",
      cookie: await sessionCookie(other),
      body: { name: "other's", role: "reviewer" },
    });
    expect((await call(readAuditRoute, { path: "/api/audit", token: mine.json.token })).status).toBe(200);
  });

  it("refuses an admin token whose creator lost the admin role by any path, and a reviewer token whose creator was disabled", async () => {
    const admin = await makeUser(t.db, "admin");
    const made = await call(createTokenRoute, {
      method: "POST",
      path: "/api/tokens",
      cookie: await sessionCookie(admin),
      body: { name: "direct", role: "admin" },
    });
    // Not through updateUser (e.g. by hand in SQL): the token still dies with its creator's role.
    await t.db.update(users).set({ role: "reviewer" }).where(eq(users.id, admin.id));
    expect((await call(readAuditRoute, { path: "/api/audit", token: made.json.token })).status).toBe(401);
  });

  it("expires a token created with expiresInDays (401 after), shows the expiry, and keeps tokens without it", async () => {
    const res = await call(createTokenRoute, {
      method: "POST",
      path: "/api/tokens",
      token: adminToken,
      body: { name: "short-lived", role: "reviewer", expiresInDays: 30 },
    });
    expect(res.status).toBe(201);
    const days = (Date.parse(res.json.expiresAt) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(29.9);
    expect(days).toBeLessThanOrEqual(30);
    const listed = (await call(listTokensRoute, { path: "/api/tokens", token: adminToken })).json.tokens.find((x: { id: number }) => x.id === res.json.id);
    expect(listed.expiresAt).toBe(res.json.expiresAt);
    expect((await call(readAuditRoute, { path: "/api/audit", token: res.json.token })).status).toBe(200);
    // Time passes (in the database): the token has expired.
    await t.db.execute(sql`UPDATE console_api_tokens SET expires_at = now() - interval '1 second' WHERE id = ${res.json.id}`);
    const expired = await call(readAuditRoute, { path: "/api/audit", token: res.json.token });
    expect(expired.status).toBe(401);
    expect(expired.json.error.message).toMatch(/expired/);
    expect((await call(readAuditRoute, { path: "/api/audit", token: reviewerToken })).status).toBe(200);
  });

  it("validates the body", async () => {
    for (const body of [
      { name: "", role: "admin" },
      { name: "x", role: "root" },
      { name: "x", role: "admin", expires: 1 },
      {},
      { name: "x", role: "admin", expiresInDays: 0 },
      { name: "x", role: "admin", expiresInDays: 1.5 },
      { name: "x", role: "admin", expiresInDays: "30" },
      { name: "x", role: "admin", expiresInDays: 3651 },
    ]) {
      const res = await call(createTokenRoute, { method: "POST", path: "/api/tokens", token: adminToken, body });
      expect(res.status).toBe(400);
      expect(res.json.error.code).toBe("VALIDATION_ERROR");
    }
  });
});
