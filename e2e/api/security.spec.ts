import fs from "node:fs";
import path from "node:path";
import { expect, test } from "@playwright/test";
import { DEMO_USERS } from "../../lib/auth/demo";
import { expectEnvelope } from "../support";

/**
 * browser security against the production build (`next start`): security headers on
 * pages and API answers alike (next.config.ts headers()), the session cookie's attributes as the
 * real sign-in sets them, cross-site refusal of cookie-authenticated mutations (Origin and
 * Sec-Fetch-Site), and no secret in the server's log (e2e/start-server.sh tees it to a file).
 */
const LOG = path.join(process.cwd(), ".data", `e2e-server-${process.env.E2E_PORT ?? 3100}.log`);
const admin = DEMO_USERS.find((u) => u.role === "admin")!;
const WRONG_PASSWORD = "e2e-Wrong-Secret-Password-5c1d";
const BAD_BEARER = "pc_e2eBadBearerSecret_0123456789abcdefghijklmnopqrstuvw";

function expectSecurityHeaders(headers: Record<string, string>, what: string) {
  const csp = headers["content-security-policy"] ?? "";
  expect(csp, what).toContain("frame-ancestors 'none'");
  expect(csp, what).toContain("default-src 'self'");
  expect(csp, what).toContain("object-src 'none'");
  expect(csp, what).not.toContain("unsafe-eval"); // development only
  expect(headers["x-content-type-options"], what).toBe("nosniff");
  expect(headers["x-frame-options"], what).toBe("DENY");
  expect(headers["referrer-policy"], what).toBeTruthy();
  expect(headers["permissions-policy"], what).toContain("camera=()");
}

/** Signs in through next-auth's own endpoints; returns the session cookie and its Set-Cookie line. */
async function signIn(request: import("@playwright/test").APIRequestContext, password: string) {
  const csrf = (await (await request.get("/api/auth/csrf")).json()) as { csrfToken: string };
  const res = await request.post("/api/auth/callback/credentials", {
    form: { email: admin.email, password, csrfToken: csrf.csrfToken, json: "true" },
    maxRedirects: 0,
  });
  const setCookie = res
    .headersArray()
    .filter((h) => h.name.toLowerCase() === "set-cookie")
    .map((h) => h.value);
  return { res, sessionLine: setCookie.find((c) => c.startsWith("next-auth.session-token=") || c.startsWith("__Secure-next-auth.session-token=")) };
}

test.describe("browser security", () => {
  test("every page and API answer carries the security headers", async ({ request }) => {
    for (const p of ["/signin", "/", "/migration", "/api/health", "/api/no-such-endpoint", "/api/prestamos/migration/progress", "/api/openapi.json"]) {
      const res = await request.get(p, { maxRedirects: 0 });
      expect(res.status(), p).toBeLessThan(500);
      expectSecurityHeaders(res.headers(), `${p} (${res.status()})`);
    }
  });

  test("the sign-in page renders and runs under its CSP (no violation reported)", async ({ page }) => {
    const violations: string[] = [];
    page.on("console", (m) => {
      if (/Content Security Policy|Refused to (execute|load|apply)/i.test(m.text())) violations.push(m.text());
    });
    await page.goto("/signin");
    await expect(page.getByRole("button", { name: "Sign in", exact: true })).toBeVisible();
    await page.getByLabel(/^e-?mail$/i).fill(admin.email); // hydrated: the form is interactive
    expect(violations).toEqual([]);
  });

  test("the session cookie is httpOnly and SameSite=Lax (Secure only behind https)", async ({ playwright, baseURL }) => {
    const request = await playwright.request.newContext({ baseURL });
    const { sessionLine } = await signIn(request, admin.password);
    expect(sessionLine).toBeTruthy();
    expect(sessionLine).toMatch(/;\s*HttpOnly/i);
    expect(sessionLine).toMatch(/;\s*SameSite=Lax/i);
    expect(sessionLine).not.toMatch(/;\s*Secure/i); // NEXTAUTH_URL is http:// here; the https case is lib/http/access.int.test.ts
    await request.dispose();
  });

  test("a cookie-authenticated mutation from another site is refused: Origin, and Sec-Fetch-Site", async ({ playwright, baseURL }) => {
    const request = await playwright.request.newContext({ baseURL });
    await signIn(request, admin.password);
    const origin = new URL(baseURL!).origin;
    const crossSite: Record<string, string>[] = [{ origin: "https://evil.example" }, { "sec-fetch-site": "cross-site" }, { origin: "null" }];
    for (const headers of crossSite) {
      const res = await request.post("/api/prestamos/migration/stop", { headers, data: {} });
      const body = await expectEnvelope(res, 403, "FORBIDDEN");
      expect(body.error.message).toMatch(/cross-site/i);
    }
    // The same session from our own origin gets past the check (409: no run is active).
    const ok = await request.post("/api/prestamos/migration/stop", { headers: { origin, "sec-fetch-site": "same-origin" }, data: {} });
    expect([200, 409]).toContain(ok.status());
    await request.dispose();
  });

  test("next-auth's endpoints (not sweepable in-process) take hostile input without a 500 or a stack", async ({ request }) => {
    const paths = [
      "session",
      "csrf",
      "providers",
      "signin",
      "signout",
      "callback/credentials",
      "error",
      "_log",
      "..%2F..%2Fetc",
      "x".repeat(2000),
      "signin/%00",
      "callback/%E2%80%AE",
    ];
    const bodies: { data?: string; headers?: Record<string, string> }[] = [
      { data: "{", headers: { "content-type": "application/json" } },
      { data: '{"email":{"$ne":null},"password":[1],"csrfToken":"' + "a".repeat(10_000) + '"}', headers: { "content-type": "application/json" } },
      { data: "email=%00&password=" + "p".repeat(5000) + "&csrfToken=x", headers: { "content-type": "application/x-www-form-urlencoded" } },
      { data: '{"a":'.repeat(10_000) + "1" + "}".repeat(10_000), headers: { "content-type": "application/json" } },
    ];
    let calls = 0;
    for (const p of paths) {
      const g = await request.get(`/api/auth/${p}?callbackUrl=https://evil.example&error=%00${"&x=1".repeat(200)}`, { maxRedirects: 0 });
      calls++;
      expect(g.status(), `GET ${p}`).toBeLessThan(500);
      for (const b of bodies) {
        const r = await request.post(`/api/auth/${p}`, { ...b, maxRedirects: 0 });
        calls++;
        expect(r.status(), `POST ${p}`).toBeLessThan(500);
        expect(await r.text(), `POST ${p}`).not.toMatch(/\n\s+at |node_modules/);
        const location = r.headers()["location"] ?? "";
        expect(location, `POST ${p} redirects off-site`).not.toMatch(/^https?:\/\/evil\.example/);
      }
      expect(g.headers()["location"] ?? "", `GET ${p} redirects off-site`).not.toMatch(/^https?:\/\/evil\.example/);
    }
    expect(calls).toBe(paths.length * (1 + bodies.length));
  });

  test("no password or token reaches the server log", async ({ playwright, baseURL }) => {
    const request = await playwright.request.newContext({ baseURL });
    await signIn(request, WRONG_PASSWORD);
    expect((await request.get("/api/prestamos/migration/progress", { headers: { authorization: `Bearer ${BAD_BEARER}` } })).status()).toBe(401);
    await signIn(request, admin.password);
    const created = await request.post("/api/tokens", { headers: { origin: new URL(baseURL!).origin }, data: { name: "e2e-secret-check", role: "reviewer" } });
    expect(created.status()).toBe(201);
    const token = ((await created.json()) as { token: string }).token;
    expect((await request.get("/api/prestamos/migration/progress", { headers: { authorization: `Bearer ${token}` } })).status()).toBe(200);
    await request.dispose();
    await new Promise((r) => setTimeout(r, 500)); // let the log lines reach the file
    const log = fs.readFileSync(LOG, "utf8");
    expect(log.length).toBeGreaterThan(0);
    for (const secret of [
      WRONG_PASSWORD,
      BAD_BEARER,
      token,
      admin.password,
      ...DEMO_USERS.map((u) => u.password),
      process.env.NEXTAUTH_SECRET ?? "e2e-only-secret-not-used-anywhere-else-0123456789",
    ]) {
      expect(log.includes(secret), `a secret (${secret.slice(0, 6)}…) in ${LOG}`).toBe(false);
    }
  });
});
