import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { installAppDb } from "@/lib/testing/app-db";
import { assertSignInAllowed, beginSignInAttempt, clientIp, endSignInAttempt, PEER_ADDRESS_HEADER } from "@/lib/http/rate-limit";
import { makeUser } from "@/lib/testing/auth";
import { openTestDb, testDriver, type TestDb } from "@/lib/testing/db";
import { POST } from "./route";

let forgetAppDb: (() => void) | undefined;

let t: TestDb;
beforeAll(async () => {
  t = await openTestDb();
  forgetAppDb = installAppDb(t);
});
afterAll(async () => {
  forgetAppDb?.();
  await t?.dispose();
});

/** A wrong password as authenticate() counts it (without scrypt's cost). */
async function failedAttempt(email: string, ip: string) {
  await beginSignInAttempt(t.db, email, ip);
  await endSignInAttempt(t.db, email, ip, "failed");
}

const signIn = (body: string, type: string, headers: Record<string, string> = {}) =>
  POST(new Request("http://localhost/api/auth/callback/credentials", { method: "POST", headers: { "content-type": type, ...headers }, body }), {
    params: Promise.resolve({ nextauth: ["callback", "credentials"] }),
  });

describe(`POST /api/auth/callback/credentials on ${testDriver()}`, () => {
  it("answers 429 RATE_LIMITED with Retry-After once an e-mail used up its failed attempts (JSON and form bodies)", async () => {
    const u = await makeUser(t.db, "admin");
    for (let i = 0; i < 5; i++) await failedAttempt(u.email, "192.0.2.1");
    for (const res of [
      await signIn(JSON.stringify({ email: u.email.toUpperCase(), password: "whatever", csrfToken: "x" }), "application/json"),
      await signIn(new URLSearchParams({ email: u.email, password: "whatever", csrfToken: "x", json: "true" }).toString(), "application/x-www-form-urlencoded"),
    ]) {
      expect(res.status).toBe(429);
      expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
      expect(res.headers.get("x-request-id")).toBeTruthy();
      const body = await res.json();
      expect(body.error).toMatchObject({ code: "RATE_LIMITED" });
      expect(body.error.message).toMatch(/Too many failed sign-in attempts for this e-mail: sign-in is slowed down/);
    }
  });

  it("limits by the socket's address, whatever X-Forwarded-For the client writes", async () => {
    for (let i = 0; i < 20; i++) await failedAttempt(`spray${i}@example.com`, "198.51.100.7");
    for (const forged of [undefined, "203.0.113.9", "203.0.113.9, 10.0.0.1"]) {
      const headers: Record<string, string> = { [PEER_ADDRESS_HEADER]: "198.51.100.7", ...(forged ? { "x-forwarded-for": forged } : {}) };
      const res = await signIn(JSON.stringify({ email: "fresh@example.com", password: "x" }), "application/json", headers);
      expect(res.status, forged).toBe(429);
      expect((await res.json()).error.details).toMatchObject({ scope: "ip" });
    }
    // Another socket is not slowed down, even when it claims the slowed address.
    const other = new Headers({ [PEER_ADDRESS_HEADER]: "198.51.100.8", "x-forwarded-for": "198.51.100.7" });
    await expect(assertSignInAllowed(t.db, "fresh@example.com", clientIp(other))).resolves.toBeUndefined();
  });
});
