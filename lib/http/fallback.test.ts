import { describe, expect, it } from "vitest";
import { apiNotFound, methodNotAllowed, notFoundHandlers } from "./fallback";

describe("apiNotFound", () => {
  it("answers the 404 NOT_FOUND envelope with a request id", async () => {
    const res = await apiNotFound(new Request("http://localhost/api/nope/deeper?x=1", { method: "PATCH" }));
    expect(res.status).toBe(404);
    const body = await res.json();
    expect(body).toStrictEqual({
      error: { code: "NOT_FOUND", message: "No API endpoint at PATCH /api/nope/deeper", requestId: res.headers.get("x-request-id") },
    });
  });

  it("answers HEAD without a body", async () => {
    const res = await notFoundHandlers.HEAD(new Request("http://localhost/api/nope", { method: "HEAD" }));
    expect(res.status).toBe(404);
    expect(await res.text()).toBe("");
  });
});

describe("methodNotAllowed", () => {
  it("gives handlers for exactly the methods not allowed", () => {
    // HEAD of a GET route is Next's (it calls GET); OPTIONS is always ours, so that Allow is true.
    expect(Object.keys(methodNotAllowed("GET")).sort()).toEqual(["DELETE", "OPTIONS", "PATCH", "POST", "PUT"]);
    expect(Object.keys(methodNotAllowed("POST", "DELETE")).sort()).toEqual(["GET", "HEAD", "OPTIONS", "PATCH", "PUT"]);
  });

  it("answers OPTIONS with 204 and an Allow of the served methods only", async () => {
    const { OPTIONS } = methodNotAllowed("GET", "PUT");
    const res = await OPTIONS(new Request("http://localhost/api/prestamos/migration/preflight/settings", { method: "OPTIONS" }));
    expect(res.status).toBe(204);
    expect(res.headers.get("allow")).toBe("GET, PUT, HEAD, OPTIONS");
  });

  it("answers HEAD of a route without GET with the 405 envelope's headers and no body", async () => {
    const { HEAD } = methodNotAllowed("POST");
    const res = await HEAD(new Request("http://localhost/api/prestamos/migration/start", { method: "HEAD" }));
    expect(res.status).toBe(405);
    expect(res.headers.get("content-type")).toContain("application/json");
    expect(res.headers.get("x-request-id")).toBeTruthy();
    expect(await res.text()).toBe("");
  });

  it("answers 405 METHOD_NOT_ALLOWED with the allowed methods in the body and the Allow header", async () => {
    const { GET } = methodNotAllowed("POST");
    const res = await GET(new Request("http://localhost/api/prestamos/migration/start"));
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("POST, OPTIONS");
    const body = await res.json();
    expect(body.error).toMatchObject({ code: "METHOD_NOT_ALLOWED", details: { allowed: ["POST"] } });
    expect(body.error.message).toContain("GET is not allowed on /api/prestamos/migration/start");
  });
});
