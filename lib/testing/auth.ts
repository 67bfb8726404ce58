// Helpers for the auth tests: users, tokens and in-process calls of route handlers (never mocks: a real database).
import { encode } from "next-auth/jwt";
import type { Db } from "@/db/client";
import type { Role } from "@/db/schema";
import { createToken } from "@/lib/auth/tokens";
import { users } from "@/db/schema";
import { hashPassword } from "@/lib/auth/passwords";
import { assertPasswordAcceptable, normalizeEmail, toUserDto, type UserDto } from "@/lib/auth/users";
import { getAuthSecret } from "@/lib/auth/secret";
import { sessionCookieName } from "@/lib/auth/options";

export const TEST_PASSWORD = "correct horse battery";

let seq = 0;
// One real hash per password per process: scrypt at OWASP's cost takes seconds on a busy machine,
// and a test file makes dozens of users. Verification still runs in full on every sign-in.
const hashes = new Map<string, Promise<string>>();

/** A user as createUser makes one (without its audit row), with the hash of `password` computed once. */
export async function makeUser(db: Db, role: Role, overrides: { email?: string; password?: string; name?: string } = {}): Promise<UserDto> {
  const password = overrides.password ?? TEST_PASSWORD;
  assertPasswordAcceptable(password);
  if (!hashes.has(password)) hashes.set(password, hashPassword(password));
  const [row] = await db
    .insert(users)
    .values({
      email: normalizeEmail(overrides.email ?? `${role}${++seq}-${Date.now()}@test.local`),
      name: overrides.name?.trim() ?? "",
      role,
      passwordHash: await hashes.get(password)!,
    })
    .returning();
  return toUserDto(row);
}

export async function makeToken(db: Db, role: Role, name = `${role}-token-${++seq}`): Promise<string> {
  return (await createToken(db, { name, role, createdBy: "test" })).token;
}

/** A session cookie as next-auth would set it after signing in `user`. */
export async function sessionCookie(user: { id: number; email: string; role: Role }, sessionVersion = 1): Promise<string> {
  const jwt = await encode({ token: { uid: user.id, email: user.email, role: user.role, sub: String(user.id), sv: sessionVersion }, secret: getAuthSecret() });
  return `${sessionCookieName()}=${jwt}`;
}

type Handler = (req: Request, ctx: { params: Promise<Record<string, string | string[]>> }) => Promise<Response>;

export interface CallResult {
  status: number;
  headers: Headers;
  text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: any;
}

export async function call(
  handler: Handler,
  opts: { method?: string; path: string; token?: string; cookie?: string; body?: unknown; params?: Record<string, string>; headers?: Record<string, string> },
): Promise<CallResult> {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  if (opts.token !== undefined) headers.authorization = `Bearer ${opts.token}`;
  if (opts.cookie) headers.cookie = opts.cookie;
  if (opts.body !== undefined) headers["content-type"] ??= "application/json";
  const req = new Request(`http://localhost${opts.path}`, {
    method: opts.method ?? "GET",
    headers,
    body: opts.body === undefined ? undefined : typeof opts.body === "string" ? opts.body : JSON.stringify(opts.body),
  });
  const res = await handler(req, { params: Promise.resolve(opts.params ?? {}) });
  const text = await res.text();
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    /* CSV or empty */
  }
  return { status: res.status, headers: res.headers, text, json };
}
