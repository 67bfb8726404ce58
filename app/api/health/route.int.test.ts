import { afterEach, describe, expect, it } from "vitest";
import { openDb, type DbHandle } from "@/db/client";
import { installAppDb } from "@/lib/testing/app-db";
import { openTestDb, testDriver, type TestDb } from "@/lib/testing/db";
import { HEALTH_RATE_LIMIT_PER_MINUTE, healthLimitKeys, hitHealthLimit, PEER_ADDRESS_HEADER } from "@/lib/http/rate-limit";
import { DELETE, GET, POST } from "./route";

/** GET /api/health called in-process, as Next would call it, on this run's database. */
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe(`GET /api/health on ${testDriver()}`, () => {
  it("answers 200 ok with the driver, a latency and the applied migrations", async () => {
    const t: TestDb = await openTestDb();
    cleanups.push(() => t.dispose(), installAppDb(t));
    const res = await GET();
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/application\/json/);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const body = await res.json();
    expect(Object.keys(body).sort()).toEqual(["database", "status", "time"]);
    expect(body.status).toBe("ok");
    expect(body.database.reachable).toBe(true);
    expect(body.database.driver).toBe(testDriver());
    expect(body.database.latencyMs).toBeGreaterThanOrEqual(0);
    expect(body.database.latencyMs).toBeLessThan(3000);
    expect(body.database.migrationsApplied).toBeGreaterThan(0);
    expect(Date.parse(body.time)).not.toBeNaN();
    const text = JSON.stringify(body);
    expect(text).not.toMatch(/postgres:\/\/|embedded:|password/i);
  });

  it("answers 503 degraded when the database does not answer, and says nothing of its URL or credentials", async () => {
    // A port nothing listens on: postgres.js connects lazily, so the failure comes from the health query itself.
    const dead: DbHandle = await openDb({ url: "postgres://health_user:s3cret-pw@127.0.0.1:1/nowhere", max: 1 });
    cleanups.push(() => dead.close(), installAppDb(dead));
    const res = await GET();
    expect(res.status).toBe(503);
    const body = await res.json();
    expect(body.status).toBe("degraded");
    expect(body.database).toStrictEqual({ reachable: false, driver: "postgres", latencyMs: null, migrationsApplied: null });
    const text = JSON.stringify(body);
    expect(text).not.toContain("s3cret-pw");
    expect(text).not.toContain("health_user");
    expect(text).not.toContain("127.0.0.1");
  });

  it("answers other methods with the 405 JSON envelope and an Allow header", async () => {
    for (const handler of [POST, DELETE]) {
      const res = await handler(new Request("http://localhost/api/health", { method: handler === POST ? "POST" : "DELETE" }));
      expect(res.status).toBe(405);
      expect(res.headers.get("allow")).toBe("GET, HEAD, OPTIONS");
      const body = await res.json();
      expect(body.error.code).toBe("METHOD_NOT_ALLOWED");
      expect(body.error.requestId).toBe(res.headers.get("x-request-id"));
    }
  });

  it("is throttled per address (in process: it must answer without the database), and another address is not", async () => {
    const t: TestDb = await openTestDb();
    cleanups.push(() => t.dispose(), installAppDb(t));
    const from = (ip: string) => GET(new Request("http://localhost/api/health", { headers: { [PEER_ADDRESS_HEADER]: ip, "x-forwarded-for": "198.51.100.1" } }));
    for (let i = 0; i < HEALTH_RATE_LIMIT_PER_MINUTE; i++) expect((await from("192.0.2.77")).status).toBe(200);
    const refused = await from("192.0.2.77");
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    expect((await refused.json()).error).toMatchObject({ code: "RATE_LIMITED" });
    expect((await from("192.0.2.78")).status).toBe(200);
  });

  it("keeps its in-process counters bounded however many addresses call", () => {
    const now = Date.now();
    for (let i = 0; i < 25_000; i++) hitHealthLimit(`2001:db8::${i.toString(16)}`, now);
    expect(healthLimitKeys()).toBeLessThanOrEqual(10_000);
  });
});
