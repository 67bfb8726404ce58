/**
 * access: EVERY mutating route under app/api (walked, not listed) refuses no token, a
 * malformed bearer, a revoked token, a reviewer token and a reviewer session (401/403), and an
 * admin session from another site (Origin or Sec-Fetch-Site: 403). Each refusal leaves one audit
 * row with outcome "refused", and nothing else changes in the database.
 */
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { queryOne, queryRows } from "@/db/sql";
import { authOptions, sessionCookieName } from "@/lib/auth/options";
import { makeToken, makeUser, sessionCookie } from "@/lib/testing/auth";
import { createToken, revokeToken } from "@/lib/auth/tokens";
import { systemActor } from "@/lib/audit";
import { startRun } from "@/lib/migration/runs";
import { runToEnd } from "@/lib/testing/run-to-end";
import { loadRoutes, MUTATING, type Handler, type RouteFile } from "@/lib/testing/api-routes";
import { installAppDb } from "@/lib/testing/app-db";
import { openTestDb, testDriver, type TestDb } from "@/lib/testing/db";
import { fingerprint } from "@/lib/testing/fingerprint";
import { seedLegacy } from "@/lib/testing/legacy-seed";

let t: TestDb;
let forget: () => void;
let routes: RouteFile[];
const creds: Record<string, { headers: Record<string, string>; status: number; code: string }> = {};

beforeAll(async () => {
  t = await openTestDb();
  forget = installAppDb(t);
  await seedLegacy(t.db, 40, 9);
  const run = await startRun(t.db, { batchSize: 20, errorThresholdPct: 50 }, { name: "access", kind: "system" }, "access:1:x");
  await runToEnd(t.db, run.id, "access:1:x");
  const revoked = await createToken(t.db, { name: "revoked", role: "admin", createdBy: "test" });
  await revokeToken(t.db, revoked.id, systemActor());
  const reviewer = await makeUser(t.db, "reviewer");
  const admin = await makeUser(t.db, "admin");
  const adminCookie = await sessionCookie(admin);
  creds["no token"] = { headers: {}, status: 401, code: "UNAUTHENTICATED" };
  creds["malformed bearer"] = { headers: { authorization: "Bearer not a token" }, status: 401, code: "UNAUTHENTICATED" };
  creds["unknown bearer"] = { headers: { authorization: "Bearer pc_0000000000000000000000000000000000000000000" }, status: 401, code: "UNAUTHENTICATED" };
  creds["revoked admin token"] = { headers: { authorization: `Bearer ${revoked.token}` }, status: 401, code: "UNAUTHENTICATED" };
  creds["forged session cookie"] = {
    headers: { cookie: `${sessionCookieName()}=eyJhbGciOiJub25lIn0.eyJ1aWQiOjEsInJvbGUiOiJhZG1pbiJ9.` },
    status: 401,
    code: "UNAUTHENTICATED",
  };
  creds["reviewer token"] = { headers: { authorization: `Bearer ${await makeToken(t.db, "reviewer")}` }, status: 403, code: "FORBIDDEN" };
  creds["reviewer session"] = { headers: { cookie: await sessionCookie(reviewer) }, status: 403, code: "FORBIDDEN" };
  // An admin's own browser, but the request comes from another site.
  creds["admin session, Origin of another site"] = {
    headers: { cookie: adminCookie, origin: "https://evil.example", host: "localhost" },
    status: 403,
    code: "FORBIDDEN",
  };
  creds["admin session, Origin null"] = { headers: { cookie: adminCookie, origin: "null", host: "localhost" }, status: 403, code: "FORBIDDEN" };
  creds["admin session, Sec-Fetch-Site cross-site (no Origin)"] = {
    headers: { cookie: adminCookie, "sec-fetch-site": "cross-site" },
    status: 403,
    code: "FORBIDDEN",
  };
  creds["admin session, Sec-Fetch-Site same-site (a sibling subdomain)"] = {
    headers: { cookie: adminCookie, "sec-fetch-site": "same-site", origin: "http://localhost", host: "localhost" },
    status: 403,
    code: "FORBIDDEN",
  };
  routes = await loadRoutes();
}, 120_000);

afterAll(async () => {
  forget?.();
  await t?.dispose();
});

function mutatingHandlers(): { label: string; pattern: string; method: string; handler: Handler; params: Record<string, string | string[]> }[] {
  return routes.flatMap((r) =>
    Object.entries(r.handlers)
      .filter(([m, h]) => MUTATING.has(m) && h.routeMeta?.action && h.routeMeta.role !== "public")
      .map(([method, handler]) => ({
        label: `${method} ${r.pattern}`,
        pattern: r.pattern,
        method,
        handler,
        params: Object.fromEntries(r.dynamic.map((d) => [d.name, d.catchAll ? ["1"] : "1"])),
      })),
  );
}

describe(`access to every mutating route (${testDriver()})`, () => {
  it("finds the mutating routes, and every one of them is admin-only", () => {
    const found = mutatingHandlers();
    expect(found.length).toBeGreaterThanOrEqual(15);
    for (const f of found) expect(f.handler.routeMeta?.role, f.label).toBe("admin");
    expect(found.map((f) => f.label)).toEqual(
      expect.arrayContaining([
        "POST /api/prestamos/migration/start",
        "POST /api/prestamos/migration/rollback",
        "DELETE /api/prestamos/test/data",
        "POST /api/tokens",
        "POST /api/users",
      ]),
    );
  });

  it("refuses every credential that is not an admin's own (401/403), audits each refusal, changes nothing", async () => {
    const before = await fingerprint(t.db);
    const problems: string[] = [];
    let calls = 0;
    for (const f of mutatingHandlers()) {
      for (const [name, c] of Object.entries(creds)) {
        // A body an admin could send for real (the refusal must come before it is read).
        const body = f.pattern.endsWith("/rollback") ? JSON.stringify({ confirm: "ROLLBACK ALL" }) : "{}";
        const req = new Request(`http://localhost${f.pattern.replace(/\[\.{0,3}[^\]]+\]/g, "1")}`, {
          method: f.method,
          headers: { "content-type": "application/json", ...c.headers },
          body,
        });
        calls++;
        const res = await f.handler(req, { params: Promise.resolve(f.params) });
        const json = (await res.json().catch(() => null)) as { error?: { code?: string } } | null;
        const requestId = res.headers.get("x-request-id");
        if (res.status !== c.status || json?.error?.code !== c.code) {
          problems.push(`${f.label} with ${name}: ${res.status} ${JSON.stringify(json).slice(0, 200)}`);
          continue;
        }
        const audit = await queryRows<{ action: string; outcome: string; status: number }>(
          t.db,
          sql`select action, outcome, status from console_audit_log where request_id = ${requestId}`,
        );
        if (audit.length !== 1 || audit[0].outcome !== "refused" || audit[0].action !== f.handler.routeMeta?.action || Number(audit[0].status) !== c.status) {
          problems.push(`${f.label} with ${name}: audit ${JSON.stringify(audit)}`);
        }
      }
    }
    const after = await fingerprint(t.db);
    console.log(
      `[access ${testDriver()}] ${mutatingHandlers().length} mutating handlers × ${Object.keys(creds).length} credentials = ${calls} calls, ${problems.length} problems`,
    );
    expect(problems).toEqual([]);
    expect(Object.keys(before).filter((k) => before[k] !== after[k])).toEqual([]);
  });

  it("lets a same-origin admin session through the origin check (the refusals above are not a blanket 403)", async () => {
    const stop = mutatingHandlers().find((f) => f.label === "POST /api/prestamos/migration/stop")!;
    const admin = await makeUser(t.db, "admin");
    const res = await stop.handler(
      new Request("http://localhost/api/prestamos/migration/stop", {
        method: "POST",
        headers: { cookie: await sessionCookie(admin), origin: "http://localhost", host: "localhost", "sec-fetch-site": "same-origin" },
      }),
      { params: Promise.resolve({}) },
    );
    expect(res.status).toBe(409); // no run is active: past the origin check, into the engine
    const n = await queryOne<{ n: number }>(
      t.db,
      sql`select count(*)::int as n from console_audit_log where request_id = ${res.headers.get("x-request-id")} and outcome = 'refused'`,
    );
    expect(n!.n).toBe(1);
  });
});

describe("session cookie attributes (next-auth options)", () => {
  it("httpOnly and SameSite=Lax always; Secure and the __Secure- name behind HTTPS", () => {
    const saved = process.env.NEXTAUTH_URL;
    try {
      process.env.NEXTAUTH_URL = "http://localhost:3000";
      let c = authOptions.cookies!.sessionToken!;
      expect(c.options).toMatchObject({ httpOnly: true, sameSite: "lax", secure: false, path: "/" });
      process.env.NEXTAUTH_URL = "https://console.example.com";
      c = authOptions.cookies!.sessionToken!;
      expect(c.name).toBe("__Secure-next-auth.session-token");
      expect(c.options).toMatchObject({ httpOnly: true, sameSite: "lax", secure: true });
      // next-auth marks its other cookies (csrf, callback url) Secure from this flag.
      expect(authOptions.useSecureCookies).toBe(true);
    } finally {
      if (saved === undefined) delete process.env.NEXTAUTH_URL;
      else process.env.NEXTAUTH_URL = saved;
    }
  });
});
