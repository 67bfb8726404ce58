import { describe, expect, it } from "vitest";
import { API_OPERATIONS } from "./openapi";
import { paths } from "./queries";

/** "/api/prestamos/migration/runs/7?limit=2" → "/api/prestamos/migration/runs/{id}" */
const template = (url: string) => url.split("?")[0].replace(/\/\d+(?=\/|$)/g, "/{id}");

describe("the browser's API paths", () => {
  it("each names an operation the API documents (so a renamed route breaks here, not in a page)", () => {
    const documented = new Set(API_OPERATIONS.map((o) => o.path));
    const { confirmation, ...rest } = paths;
    const urls = Object.values(rest).map((p) => (typeof p === "string" ? p : (p as (...a: unknown[]) => string)(7, 20)));
    for (const phase of ["preflight", "checklist"] as const) urls.push(confirmation(phase, "confirm"), confirmation(phase, "withdraw"));
    const unknown = urls.map(template).filter((u) => !documented.has(u));
    expect(unknown).toEqual([]);
  });

  it("leaves out the query parameters that are not set", () => {
    expect(paths.prestamos({ state: "failed", q: undefined, limit: 50 })).toBe("/api/prestamos?state=failed&limit=50");
    expect(paths.prestamos()).toBe("/api/prestamos");
    expect(paths.failures({ code: null, page: 2, limit: 50 })).toBe("/api/prestamos/migration/failures?page=2&limit=50");
    expect(paths.audit({ target: "prestamo:4", limit: 20 })).toBe("/api/audit?target=prestamo%3A4&limit=20");
  });
});
