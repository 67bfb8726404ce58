import { expect, test } from "@playwright/test";
import { expectEnvelope } from "../support";

/** The API's error envelope, table-driven (CONVENTIONS, pattern 13): JSON, never Next's HTML. */
const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;

test.describe("unknown API paths → 404 NOT_FOUND envelope", () => {
  for (const path of ["/api/nope", "/api/prestamos/migration/nope", "/api/a/b/c/d?x=1"]) {
    for (const method of METHODS) {
      test(`${method} ${path}`, async ({ request }) => {
        const res = await request.fetch(path, { method, data: method === "GET" ? undefined : {} });
        const body = await expectEnvelope(res, 404, "NOT_FOUND");
        expect(body.error.message).toContain(path.split("?")[0]);
      });
    }
  }

  test("HEAD on an unknown path is a 404 without a body", async ({ request }) => {
    const res = await request.head("/api/nope");
    expect(res.status()).toBe(404);
  });
});

test.describe("wrong method on a known route → 405 METHOD_NOT_ALLOWED envelope", () => {
  const cases: Array<[string, string, string]> = [
    ["POST", "/api/health", "GET, HEAD, OPTIONS"],
    ["DELETE", "/api/health", "GET, HEAD, OPTIONS"],
    ["GET", "/api/prestamos/migration/start", "POST, OPTIONS"],
    ["PUT", "/api/prestamos/migration/progress", "GET, HEAD, OPTIONS"],
    ["GET", "/api/prestamos/test/create-data", "POST, OPTIONS"],
    ["PATCH", "/api/users", "GET, POST, HEAD, OPTIONS"],
  ];
  for (const [method, path, allow] of cases) {
    test(`${method} ${path}`, async ({ request }) => {
      const res = await request.fetch(path, { method });
      await expectEnvelope(res, 405, "METHOD_NOT_ALLOWED");
      expect(res.headers()["allow"]).toBe(allow);
    });
  }

  test("OPTIONS lists only the methods served (Next's own would list every export, 405s included)", async ({ request }) => {
    const res = await request.fetch("/api/prestamos/test/create-data", { method: "OPTIONS" });
    expect(res.status()).toBe(204);
    expect(res.headers()["allow"]).toBe("POST, OPTIONS");
  });
});

test.describe("no credentials → 401 UNAUTHENTICATED envelope", () => {
  const cases: Array<[string, string]> = [
    ["GET", "/api/prestamos/migration/progress"],
    ["GET", "/api/audit"],
    ["POST", "/api/prestamos/migration/start"],
    ["POST", "/api/prestamos/migration/single/1"],
  ];
  for (const [method, path] of cases) {
    test(`${method} ${path}`, async ({ request }) => {
      const res = await request.fetch(path, { method, data: method === "POST" ? {} : undefined });
      await expectEnvelope(res, 401, "UNAUTHENTICATED");
    });
  }

  test("a bearer token nobody issued is 401 too, never a fall-back", async ({ request }) => {
    const res = await request.get("/api/prestamos/migration/progress", { headers: { authorization: "Bearer not-a-real-token" } });
    await expectEnvelope(res, 401, "UNAUTHENTICATED");
  });
});
