/**
 * Where to go after signing in. Client-safe (the sign-in form uses it too): no server imports.
 *
 * The value is resolved as a browser would resolve it against the console's origin (which drops
 * tabs and newlines and reads `\` as `/`, so `/%09/evil.com` and `/\evil.com` become `//evil.com`,
 * another host) and kept only when it stays on that origin; then only its path, query and hash are
 * returned, never starting with `//` (which a browser would read as another host again).
 */
const PLACEHOLDER_ORIGIN = "http://console.invalid";

export function safeCallbackUrl(value: unknown, origin: string = PLACEHOLDER_ORIGIN): string {
  if (typeof value !== "string" || value === "") return "/";
  let base: URL;
  let target: URL;
  try {
    base = new URL(origin);
    target = new URL(value, base);
  } catch {
    return "/";
  }
  if (target.origin !== base.origin) return "/";
  const path = `${target.pathname}${target.search}${target.hash}`;
  return path.startsWith("/") && !path.startsWith("//") ? path : "/";
}

/** The console's own origin for safeCallbackUrl: NEXTAUTH_URL's when it is set and parses. */
export function consoleOrigin(nextauthUrl: string | undefined): string | undefined {
  if (!nextauthUrl || !URL.canParse(nextauthUrl)) return undefined;
  return new URL(nextauthUrl).origin;
}
