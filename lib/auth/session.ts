import { eq } from "drizzle-orm";
import { getServerSession } from "next-auth/next";
import { getToken } from "next-auth/jwt";
import { redirect } from "next/navigation";
import { connection } from "next/server";
import { getDb, type Db } from "@/db/client";
import { users, type Role } from "@/db/schema";
import { safeCallbackUrl } from "./callback-url";
import { authOptions, secureCookiesEnabled, sessionCookieName } from "./options";
import type { Principal } from "./principal";
import { getAuthSecret } from "./secret";

/**
 * The signed-in user's principal, re-read from console_users on every call: a deleted or
 * disabled user loses access at once, a role change applies without signing in again, and a
 * session signed in before the last password change (an older session version) is nobody.
 * Sessions from before versions existed carry none: they count as version 1.
 */
export async function principalForUserId(db: Db, id: unknown, sessionVersion: unknown): Promise<Principal | null> {
  const uid = Number(id);
  if (!Number.isInteger(uid) || uid <= 0 || uid > 2147483647) return null;
  const [user] = await db
    .select({ id: users.id, email: users.email, name: users.name, role: users.role, disabled: users.disabled, sessionVersion: users.sessionVersion })
    .from(users)
    .where(eq(users.id, uid));
  if (!user || user.disabled || user.sessionVersion !== Number(sessionVersion ?? 1)) return null;
  return { kind: "user", id: user.id, name: user.email, role: user.role, displayName: user.name };
}

function parseCookies(header: string | null): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (header ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    try {
      out[name] = decodeURIComponent(value);
    } catch {
      out[name] = value;
    }
  }
  return out;
}

/**
 * The session's principal. With the request at hand (route handlers, through resolvePrincipal)
 * the session cookie is decoded from it; without (server components) through
 * getServerSession(authOptions). Either way the same cookie, secret and re-check.
 */
export async function getSessionPrincipal(db: Db, req?: Request): Promise<Principal | null> {
  if (req) {
    const cookies = parseCookies(req.headers.get("cookie"));
    if (!Object.keys(cookies).some((name) => name.startsWith(sessionCookieName()))) return null;
    // headers: {} on purpose, so getToken never reads a bearer header as a session.
    const token = await getToken({
      req: { headers: {}, cookies } as unknown as Parameters<typeof getToken>[0]["req"],
      secret: getAuthSecret(),
      secureCookie: secureCookiesEnabled(),
      cookieName: sessionCookieName(),
    });
    return token ? principalForUserId(db, token.uid, token.sv) : null;
  }
  const session = await getServerSession(authOptions);
  return session?.user ? principalForUserId(db, session.user.id, session.user.sessionVersion) : null;
}

/**
 * For server components: the signed-in principal, or a redirect to /signin?callbackUrl=… .
 * `role: "admin"` sends a reviewer to the overview ("/") instead. The API routes stay the real
 * gate; this keeps pages from rendering for nobody.
 */
export async function requirePagePrincipal(options: { callbackUrl?: string; role?: Role } = {}): Promise<Principal> {
  // A request's page, never a build's: without this, next build prerendering the console's layout
  // opened the embedded database (and left its folder lock behind) before the session bailed out.
  await connection();
  const principal = await getSessionPrincipal(await getDb());
  if (!principal) redirect(`/signin?callbackUrl=${encodeURIComponent(safeCallbackUrl(options.callbackUrl ?? "/"))}`);
  if (options.role === "admin" && principal.role !== "admin") redirect("/");
  return principal;
}
