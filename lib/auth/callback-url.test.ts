import { describe, expect, it } from "vitest";
import { consoleOrigin, safeCallbackUrl } from "./callback-url";

const ORIGIN = "https://console.example.com";

/** Where a browser at the console would land after `location.assign(path)`. */
const landsOn = (path: string) => new URL(path, ORIGIN).origin;

describe("safeCallbackUrl", () => {
  it.each([
    "/%09/evil.com",
    "/\t/evil.com",
    "/\n/evil.com",
    "//evil.com",
    "///evil.com",
    "/\\evil.com",
    "\\\\evil.com",
    "/\\/evil.com",
    " //evil.com",
    "https://evil.com",
    "https://evil.com/migration",
    "HTTPS://evil.com",
    "http:evil.com",
    "https:/evil.com",
    "//evil.com@console.example.com",
    "https://console.example.com@evil.com/",
    "javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "/.//evil.com",
    "/./\\evil.com",
    "http://console.example.com/", // our host, another scheme: another origin
  ])("keeps %j on the console's origin", (raw) => {
    const out = safeCallbackUrl(raw, ORIGIN);
    expect(out.startsWith("/") && !out.startsWith("//")).toBe(true);
    expect(landsOn(out)).toBe(ORIGIN);
    // Decoded once more (as the sign-in page's query string is), it still stays home.
    expect(landsOn(safeCallbackUrl(decodeURIComponent(raw.replace(/%(?![0-9a-f]{2})/gi, "%25")), ORIGIN))).toBe(ORIGIN);
  });

  it("keeps same-origin paths with their query and hash, and absolute URLs of the console as their path", () => {
    expect(safeCallbackUrl("/prestamos/12?tab=diff#pagos", ORIGIN)).toBe("/prestamos/12?tab=diff#pagos");
    expect(safeCallbackUrl("/migration", ORIGIN)).toBe("/migration");
    expect(safeCallbackUrl("https://console.example.com/verify?x=1", ORIGIN)).toBe("/verify?x=1");
    expect(safeCallbackUrl("https://evil.com/verify", ORIGIN)).toBe("/");
  });

  it("answers / for what is not a string, empty or unparseable, and without an origin refuses every absolute URL", () => {
    for (const v of [undefined, null, 42, {}, "", "http://[::1"]) expect(safeCallbackUrl(v, ORIGIN)).toBe("/");
    expect(safeCallbackUrl("https://console.example.com/verify")).toBe("/");
    expect(safeCallbackUrl("/%09/evil.com")).toMatch(/^\/[^/]/);
    expect(safeCallbackUrl("/verify")).toBe("/verify");
  });

  it("takes the origin from NEXTAUTH_URL", () => {
    expect(consoleOrigin("https://console.example.com/base/")).toBe(ORIGIN);
    expect(consoleOrigin(undefined)).toBeUndefined();
    expect(consoleOrigin("not a url")).toBeUndefined();
  });
});
