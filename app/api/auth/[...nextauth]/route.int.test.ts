import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setDbHandleForTests } from "@/db/client";
import { authenticate } from "@/lib/auth/sign-in";
import { makeUser } from "@/lib/auth/testing";
import { openTestDb, testDriver, type TestDb } from "@/lib/testing/db";
import { POST } from "./route";

let t: TestDb;
beforeAll(async () => {
  t = await openTestDb();
  setDbHandleForTests(t);
});
afterAll(async () => {
  setDbHandleForTests(undefined);
  await t?.dispose();
});

const signIn = (body: string, type: string, headers: Record<string, string> = {}) =>
  POST(new Request("http://localhost/api/auth/callback/credentials", { method: "POST", headers: { "content-type": type, ...headers }, body }), {
    params: Promise.resolve({ nextauth: ["callback", "credentials"] }),
  });

describe(`POST /api/auth/callback/credentials on ${testDriver()}`, () => {
  it("answers 429 RATE_LIMITED with Retry-After once an e-mail used up its failed attempts (JSON and form bodies)", async () => {
    const u = await makeUser(t.db, "admin");
    for (let i = 0; i < 5; i++) await authenticate(t.db, { email: u.email, password: "wrong password!!" }, "192.0.2.1");
    for (const res of [
      await signIn(JSON.stringify({ email: u.email.toUpperCase(), password: "whatever", csrfToken: "x" }), "application/json"),
      await signIn(new URLSearchParams({ email: u.email, password: "whatever", csrfToken: "x", json: "true" }).toString(), "application/x-www-form-urlencoded"),
    ]) {
      expect(res.status).toBe(429);
      expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
      expect(res.headers.get("x-request-id")).toBeTruthy();
      const body = await res.json();
      expect(body.error).toMatchObject({ code: "RATE_LIMITED" });
      expect(body.error.message).toMatch(/Too many failed sign-in attempts/);
    }
  });

  it("limits by address too (first X-Forwarded-For hop)", async () => {
    for (let i = 0; i < 20; i++) await authenticate(t.db, { email: `spray${i}@example.com`, password: "wrong password!!" }, "198.51.100.7");
    const res = await signIn(JSON.stringify({ email: "fresh@example.com", password: "x" }), "application/json", { "x-forwarded-for": "198.51.100.7, 10.0.0.1" });
    expect(res.status).toBe(429);
    expect((await res.json()).error.details).toMatchObject({ scope: "ip" });
  });
});
