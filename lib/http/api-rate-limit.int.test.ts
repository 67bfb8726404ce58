/**
 * rate limits on /api: per principal (token or user) and per address, in the one
 * wrapper, counted in console_rate_limits (one upsert per request, shared by every instance).
 * A burst gets 429 RATE_LIMITED with Retry-After (audited as refused on a mutation); the window
 * ending lets the caller in again (window_start moved back in the database, no sleeping);
 * /api/health is exempt.
 */
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { queryOne } from "@/db/sql";
import * as health from "@/app/api/health/route";
import * as progress from "@/app/api/prestamos/migration/progress/route";
import * as stop from "@/app/api/prestamos/migration/stop/route";
import { call, makeToken } from "@/lib/testing/auth";
import { apiRateLimits, PEER_ADDRESS_HEADER } from "@/lib/http/rate-limit";
import { installAppDb } from "@/lib/testing/app-db";
import { openTestDb, testDriver, type TestDb } from "@/lib/testing/db";

let t: TestDb;
let forget: () => void;
const saved = { p: process.env.API_RATE_LIMIT_PER_MINUTE, ip: process.env.API_RATE_LIMIT_PER_IP_PER_MINUTE };

beforeAll(async () => {
  t = await openTestDb();
  forget = installAppDb(t);
});
afterAll(async () => {
  for (const [k, v] of [
    ["API_RATE_LIMIT_PER_MINUTE", saved.p],
    ["API_RATE_LIMIT_PER_IP_PER_MINUTE", saved.ip],
  ] as const) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  forget?.();
  await t?.dispose();
});
beforeEach(async () => {
  process.env.API_RATE_LIMIT_PER_MINUTE = "5";
  delete process.env.API_RATE_LIMIT_PER_IP_PER_MINUTE;
  await t.db.execute(sql`delete from console_rate_limits`);
});

const get = (token: string, ip?: string) =>
  call(progress.GET, { path: "/api/prestamos/migration/progress", token, headers: ip ? { [PEER_ADDRESS_HEADER]: ip } : {} });

describe(`API rate limit (${testDriver()})`, () => {
  it("defaults to 600 per minute per principal, 3× per address, configurable, 0 = off", () => {
    expect(apiRateLimits({})).toEqual({ perPrincipal: 600, perIp: 1800 });
    expect(apiRateLimits({ API_RATE_LIMIT_PER_MINUTE: "100", API_RATE_LIMIT_PER_IP_PER_MINUTE: "250" })).toEqual({ perPrincipal: 100, perIp: 250 });
    expect(apiRateLimits({ API_RATE_LIMIT_PER_MINUTE: "junk" })).toEqual({ perPrincipal: 600, perIp: 1800 });
    expect(apiRateLimits({ API_RATE_LIMIT_PER_MINUTE: "0" }).perPrincipal).toBe(0);
  });

  it("answers 429 with Retry-After past the limit of a principal, leaves other principals alone, and lets it in again after the window", async () => {
    const token = await makeToken(t.db, "reviewer");
    const other = await makeToken(t.db, "reviewer");
    for (let i = 0; i < 5; i++) expect((await get(token)).status).toBe(200);
    const limited = await get(token);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(Number(limited.headers.get("retry-after"))).toBeLessThanOrEqual(60);
    expect(limited.headers.get("x-request-id")).toBeTruthy();
    expect(limited.json.error).toMatchObject({ code: "RATE_LIMITED", details: { limit: 5, scope: "principal" } });
    expect((await get(other)).status).toBe(200);
    // The window ends (moved back rather than waited for).
    await t.db.execute(sql`update console_rate_limits set window_start = now() - interval '61 seconds' where key like 'api:token:%'`);
    expect((await get(token)).status).toBe(200);
  });

  it("limits an address across principals, anonymous callers and bad bearers included", async () => {
    process.env.API_RATE_LIMIT_PER_IP_PER_MINUTE = "8";
    const ip = "203.0.113.77";
    const tokens = await Promise.all([0, 1, 2].map(() => makeToken(t.db, "reviewer")));
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) for (const tok of tokens) statuses.push((await get(tok, ip)).status);
    expect(statuses.slice(0, 8).every((s) => s === 200)).toBe(true);
    expect(statuses.slice(8).every((s) => s === 429)).toBe(true);
    const bad = await call(progress.GET, { path: "/api/prestamos/migration/progress", token: "pc_guess", headers: { [PEER_ADDRESS_HEADER]: ip } });
    expect(bad.status).toBe(429); // token guessing from one address is counted too
    expect(bad.json.error.details).toMatchObject({ scope: "ip" });
    // Another address is unaffected.
    expect((await get(tokens[0], "198.51.100.1")).status).toBe(200);
  });

  it("audits a rate-limited mutation as refused (429)", async () => {
    const token = await makeToken(t.db, "admin");
    for (let i = 0; i < 5; i++) await get(token);
    const res = await call(stop.POST, { method: "POST", path: "/api/prestamos/migration/stop", token });
    expect(res.status).toBe(429);
    const audit = await queryOne<{ outcome: string; status: number; action: string }>(
      t.db,
      sql`select outcome, status, action from console_audit_log where request_id = ${res.headers.get("x-request-id")}`,
    );
    expect(audit).toMatchObject({ outcome: "refused", status: 429, action: "migration.stop" });
  });

  it("never limits /api/health", async () => {
    process.env.API_RATE_LIMIT_PER_MINUTE = "1";
    for (let i = 0; i < 20; i++) expect((await health.GET()).status).toBe(200);
  });
});
