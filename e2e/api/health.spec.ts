import { expect, test } from "@playwright/test";

test("GET /api/health answers ok with the database figures and nothing secret", async ({ request }) => {
  const res = await request.get("/api/health");
  expect(res.status()).toBe(200);
  expect(res.headers()["content-type"]).toMatch(/^application\/json/);
  expect(res.headers()["cache-control"]).toContain("no-store");
  const body = await res.json();
  expect(body).toMatchObject({ status: "ok", database: { reachable: true, driver: "pglite" } });
  expect(body.database.latencyMs).toBeGreaterThanOrEqual(0);
  expect(body.database.migrationsApplied).toBeGreaterThan(0);
  expect(Date.parse(body.time)).not.toBeNaN();
  expect(JSON.stringify(body)).not.toMatch(/postgres:\/\/|\.data|e2e-|secret|password/i);
});
