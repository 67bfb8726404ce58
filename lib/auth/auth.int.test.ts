import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditLog, apiTokens, users } from "@/db/schema";
import { queryOne } from "@/db/sql";
import { openTestDb, testDriver, type TestDb } from "@/lib/testing/db";
import { SIGN_IN_MAX_FAILURES_PER_IP, signInEmailKey } from "@/lib/http/rate-limit";
import { ensureAdminFromEnv, seedDemoUsers } from "./bootstrap";
import { DEMO_USERS } from "./demo";
import { verifyPassword } from "./passwords";
import { principalFromBearer, resolvePrincipal } from "./principal";
import { getSessionPrincipal } from "./session";
import { authenticate } from "./sign-in";
import { makeUser, sessionCookie, TEST_PASSWORD } from "./testing";
import { createToken, listTokens, revokeToken } from "./tokens";
import { updateUser, deleteUser } from "./users";
import { systemActor } from "@/lib/audit";

process.env.NEXTAUTH_SECRET ??= "test-secret-for-session-cookies-0123456789";

let t: TestDb;
beforeAll(async () => {
  t = await openTestDb();
});
afterAll(async () => {
  await t?.dispose();
});

describe(`auth on ${testDriver()}`, () => {
  describe("bootstrap", () => {
    it("creates the admin, then changes nothing, then updates role/disabled/password", async () => {
      const first = await ensureAdminFromEnv(t.db, " Boss@Example.com ", "first-password-123");
      expect(first.action).toBe("created");
      expect(await ensureAdminFromEnv(t.db, "boss@example.com", "first-password-123")).toEqual({ action: "unchanged", id: first.id });

      await t.db.update(users).set({ role: "reviewer", disabled: true }).where(eq(users.id, first.id));
      const again = await ensureAdminFromEnv(t.db, "boss@example.com", "second-password-456");
      expect(again).toEqual({ action: "updated", id: first.id });
      const [row] = await t.db.select().from(users).where(eq(users.id, first.id));
      expect(row).toMatchObject({ email: "boss@example.com", role: "admin", disabled: false });
      expect(await verifyPassword("second-password-456", row.passwordHash)).toBe(true);

      const audits = await t.db.select().from(auditLog).where(eq(auditLog.target, `user:${first.id}`));
      expect(audits.map((a) => a.action)).toEqual(["user.create", "user.update"]);
      expect(JSON.stringify(audits)).not.toMatch(/password-|scrypt\$/);
    });

    it("refuses a short ADMIN_PASSWORD and a bad ADMIN_EMAIL", async () => {
      await expect(ensureAdminFromEnv(t.db, "x@example.com", "short")).rejects.toMatchObject({ code: "VALIDATION_ERROR" });
      await expect(ensureAdminFromEnv(t.db, "not an email", "long-enough-password")).rejects.toMatchObject({ code: "VALIDATION_ERROR" });
    });

    it("seeds the demo users once", async () => {
      expect(await seedDemoUsers(t.db)).toEqual(DEMO_USERS.map((u) => u.email));
      expect(await seedDemoUsers(t.db)).toEqual([]);
      for (const demo of DEMO_USERS) {
        const r = await authenticate(t.db, { email: demo.email, password: demo.password }, null);
        expect(r).toMatchObject({ ok: true, user: { email: demo.email, role: demo.role } });
      }
    });
  });

  describe("sign-in", () => {
    it("accepts the right password, refuses a wrong one, an unknown e-mail and a disabled account", async () => {
      const u = await makeUser(t.db, "reviewer");
      expect(await authenticate(t.db, { email: u.email.toUpperCase(), password: TEST_PASSWORD }, "10.0.0.1")).toMatchObject({ ok: true, user: { id: u.id } });
      expect(await authenticate(t.db, { email: u.email, password: "wrong password!" }, "10.0.0.1")).toEqual({ ok: false, error: "CredentialsSignin" });
      expect(await authenticate(t.db, { email: "nobody@example.com", password: TEST_PASSWORD }, "10.0.0.1")).toEqual({ ok: false, error: "CredentialsSignin" });
      expect(await authenticate(t.db, {}, null)).toEqual({ ok: false, error: "CredentialsSignin" });
      // A NUL byte (found by the e2e sweep: PostgreSQL text refuses it) is a wrong sign-in, not a 500.
      expect(await authenticate(t.db, { email: "\u0000", password: "p".repeat(20) }, "10.0.0.1")).toEqual({ ok: false, error: "CredentialsSignin" });
      expect(await authenticate(t.db, { email: u.email, password: "pass\u0000word-long" }, "10.0.0.1")).toEqual({ ok: false, error: "CredentialsSignin" });
      await updateUser(t.db, u.id, { disabled: true }, systemActor());
      expect(await authenticate(t.db, { email: u.email, password: TEST_PASSWORD }, "10.0.0.1")).toEqual({ ok: false, error: "AccountDisabled" });
    });

    it("refuses the 6th attempt after 5 failures for an e-mail; successes do not count; the window's end recovers", async () => {
      const u = await makeUser(t.db, "admin");
      const ip = "10.0.0.2";
      for (let i = 0; i < 4; i++) expect((await authenticate(t.db, { email: u.email, password: `wrong-${i}-password` }, ip)).ok).toBe(false);
      // A success in between does not count.
      expect((await authenticate(t.db, { email: u.email, password: TEST_PASSWORD }, ip)).ok).toBe(true);
      expect(await authenticate(t.db, { email: u.email, password: "wrong-5-password" }, ip)).toEqual({ ok: false, error: "CredentialsSignin" });
      const refused = await authenticate(t.db, { email: u.email, password: TEST_PASSWORD }, ip);
      expect(refused).toMatchObject({ ok: false, error: "RATE_LIMITED" });
      expect((refused as { retryAfter: number }).retryAfter).toBeGreaterThan(800);
      expect((refused as { retryAfter: number }).retryAfter).toBeLessThanOrEqual(900);
      // The window started 15 minutes ago: a new one begins.
      await t.db.execute(sql`UPDATE console_rate_limits SET window_start = now() - interval '15 minutes 1 second' WHERE key = ${signInEmailKey(u.email)}`);
      expect((await authenticate(t.db, { email: u.email, password: TEST_PASSWORD }, ip)).ok).toBe(true);
    });

    it("limits failures per address across e-mails", async () => {
      const ip = "10.0.0.3";
      for (let i = 0; i < SIGN_IN_MAX_FAILURES_PER_IP; i++) await authenticate(t.db, { email: `spray${i}@example.com`, password: "wrong password!" }, ip);
      const u = await makeUser(t.db, "reviewer");
      expect(await authenticate(t.db, { email: u.email, password: TEST_PASSWORD }, ip)).toMatchObject({ ok: false, error: "RATE_LIMITED" });
      expect((await authenticate(t.db, { email: u.email, password: TEST_PASSWORD }, "10.0.0.4")).ok).toBe(true);
    });
  });

  describe("session principal", () => {
    it("decodes the session cookie and re-checks the user: role changes apply, disabled and deleted users lose access", async () => {
      const admin = await makeUser(t.db, "admin");
      const u = await makeUser(t.db, "admin");
      const req = async () => new Request("http://localhost/api/x", { headers: { cookie: `other=1; ${await sessionCookie(u)}` } });
      expect(await getSessionPrincipal(t.db, await req())).toEqual({ kind: "user", id: u.id, name: u.email, role: "admin", displayName: "" });
      await updateUser(t.db, u.id, { role: "reviewer" }, systemActor());
      expect((await resolvePrincipal(await req(), t.db))?.role).toBe("reviewer");
      await updateUser(t.db, u.id, { disabled: true }, systemActor());
      expect(await resolvePrincipal(await req(), t.db)).toBeNull();
      await updateUser(t.db, u.id, { disabled: false }, systemActor());
      await deleteUser(t.db, u.id, systemActor());
      expect(await resolvePrincipal(await req(), t.db)).toBeNull();
      // A forged or foreign cookie is nobody.
      expect(await resolvePrincipal(new Request("http://localhost/", { headers: { cookie: "next-auth.session-token=forged" } }), t.db)).toBeNull();
      expect(admin.id).toBeGreaterThan(0);
    });
  });

  describe("tokens", () => {
    it("returns the token once, stores only its hash, throttles last_used_at, and a revoked token is refused", async () => {
      const created = await createToken(t.db, { name: "ci", role: "reviewer", createdBy: "test" });
      expect(created.token).toMatch(/^pc_[A-Za-z0-9_-]{43}$/);
      expect(created.token.startsWith(created.prefix)).toBe(true);
      const [row] = await t.db.select().from(apiTokens).where(eq(apiTokens.id, created.id));
      expect(row.tokenHash).toMatch(/^[0-9a-f]{64}$/);
      expect(JSON.stringify(await listTokens(t.db))).not.toContain(created.token);
      expect(JSON.stringify(await listTokens(t.db))).not.toContain(row.tokenHash);
      const audit = await t.db.select().from(auditLog).where(eq(auditLog.target, `token:${created.id}`));
      expect(audit.map((a) => a.action)).toEqual(["token.create"]);
      expect(JSON.stringify(audit)).not.toContain(created.token);

      expect(await principalFromBearer(t.db, created.token)).toEqual({ kind: "token", id: created.id, name: "ci", role: "reviewer" });
      const lastUsed = () => queryOne<{ t: string }>(t.db, sql`SELECT last_used_at::text AS t FROM console_api_tokens WHERE id = ${created.id}`);
      const first = (await lastUsed())?.t;
      expect(first).toBeTruthy();
      await principalFromBearer(t.db, created.token);
      expect((await lastUsed())?.t).toBe(first); // within the minute: no write
      await t.db.execute(sql`UPDATE console_api_tokens SET last_used_at = now() - interval '2 minutes' WHERE id = ${created.id}`);
      const stale = (await lastUsed())?.t;
      await principalFromBearer(t.db, created.token);
      expect((await lastUsed())?.t).not.toBe(stale);

      await revokeToken(t.db, created.id, systemActor());
      await expect(principalFromBearer(t.db, created.token)).rejects.toMatchObject({ code: "UNAUTHENTICATED" });
      await expect(revokeToken(t.db, created.id, systemActor())).rejects.toMatchObject({ code: "CONFLICT" });
      await expect(revokeToken(t.db, 999999, systemActor())).rejects.toMatchObject({ code: "NOT_FOUND" });
    });
  });
});
