import { sql } from "drizzle-orm";
import type { Db } from "@/db/client";
import { queryOne, queryRows } from "@/db/sql";
import { AppError } from "@/lib/errors";

/**
 * Fixed-window counters in `console_rate_limits`, shared by every instance of the console (an
 * in-memory counter would reset with each process and multiply with each instance).
 */
type Executor = Pick<Db, "execute">;

export interface WindowState {
  count: number;
  /** Seconds until the window ends (at least 1). */
  retryAfter: number;
}

/** The counter of `key` in its current window, without counting (0 when there is none or it expired). */
export async function peekRateLimit(db: Executor, key: string, windowSeconds: number): Promise<WindowState> {
  const row = await queryOne<{ count: number | string; retry_after: number | string }>(
    db,
    sql`SELECT count,
          ceil(extract(epoch FROM (window_start + make_interval(secs => ${windowSeconds}) - now())))::int AS retry_after
        FROM console_rate_limits
        WHERE key = ${key} AND window_start > now() - make_interval(secs => ${windowSeconds})`,
  );
  if (!row) return { count: 0, retryAfter: windowSeconds };
  return { count: Number(row.count), retryAfter: Math.max(1, Number(row.retry_after)) };
}

export function rateLimited(message: string, retryAfter: number, details?: Record<string, unknown>): AppError {
  return new AppError("RATE_LIMITED", message, { retryAfterSeconds: retryAfter, ...details }, { "Retry-After": String(retryAfter) });
}

/**
 * Adds `by` to each counter of `keys` (a new window where the old one has expired) in ONE
 * statement, one round trip whatever the number of keys, and returns the state of each, in the
 * order given.
 */
export async function hitRateLimits(db: Executor, keys: readonly string[], windowSeconds: number, by = 1): Promise<WindowState[]> {
  if (keys.length === 0) return [];
  const values = sql.join(
    keys.map((k) => sql`(${k}, now(), ${by})`),
    sql`, `,
  );
  const rows = await queryRows<{ key: string; count: number | string; retry_after: number | string }>(
    db,
    sql`INSERT INTO console_rate_limits AS r (key, window_start, count)
        VALUES ${values}
        ON CONFLICT (key) DO UPDATE SET
          window_start = CASE WHEN r.window_start <= now() - make_interval(secs => ${windowSeconds}) THEN now() ELSE r.window_start END,
          count = CASE WHEN r.window_start <= now() - make_interval(secs => ${windowSeconds}) THEN ${by} ELSE r.count + ${by} END
        RETURNING key, count,
          ceil(extract(epoch FROM (window_start + make_interval(secs => ${windowSeconds}) - now())))::int AS retry_after`,
  );
  const byKey = new Map(rows.map((r) => [r.key, { count: Number(r.count), retryAfter: Math.max(1, Number(r.retry_after)) }]));
  return keys.map((k) => byKey.get(k) ?? { count: by, retryAfter: windowSeconds });
}

// ---- the API (every route behind route(); /api/health is not) ----

export const API_RATE_WINDOW_SECONDS = 60;
const DEFAULT_API_RATE_LIMIT = 600;

/**
 * Requests per minute per principal (API_RATE_LIMIT_PER_MINUTE, default 600; 0 turns the API limit
 * off) and per address (API_RATE_LIMIT_PER_IP_PER_MINUTE, default 3× that: several people behind
 * one proxy share an address).
 */
export function apiRateLimits(env: Record<string, string | undefined> = process.env): { perPrincipal: number; perIp: number } {
  const num = (v: string | undefined, fallback: number) => {
    const n = v === undefined || v.trim() === "" ? NaN : Number(v);
    return Number.isInteger(n) && n >= 0 ? n : fallback;
  };
  const perPrincipal = num(env.API_RATE_LIMIT_PER_MINUTE, DEFAULT_API_RATE_LIMIT);
  return { perPrincipal, perIp: num(env.API_RATE_LIMIT_PER_IP_PER_MINUTE, perPrincipal * 3) };
}

export const apiPrincipalKey = (p: { kind: string; id: number; name: string }) => `api:${p.kind}:${p.kind === "token" && p.id === 0 ? p.name : p.id}`;
export const apiIpKey = (ip: string) => `api:ip:${ip}`;

/**
 * Counts one API request against its principal and its address (one upsert of up to two rows) and
 * throws RATE_LIMITED (429 + Retry-After) past either limit. Shared by every instance through the
 * database, like the sign-in limit: an in-process bucket would multiply with the instances.
 */
export async function enforceApiRateLimit(db: Executor, principal: { kind: string; id: number; name: string } | null, ip: string | null): Promise<void> {
  const { perPrincipal, perIp } = apiRateLimits();
  if (perPrincipal === 0) return;
  const keys: { key: string; limit: number; scope: string }[] = [];
  if (principal) keys.push({ key: apiPrincipalKey(principal), limit: perPrincipal, scope: "principal" });
  if (ip && perIp > 0) keys.push({ key: apiIpKey(ip), limit: perIp, scope: "ip" });
  if (keys.length === 0) return;
  const states = await hitRateLimits(
    db,
    keys.map((k) => k.key),
    API_RATE_WINDOW_SECONDS,
  );
  states.forEach((state, i) => {
    const { limit, scope } = keys[i];
    if (state.count > limit) {
      throw rateLimited(`Too many requests: at most ${limit} per minute (${scope}). Retry in ${state.retryAfter} s.`, state.retryAfter, { limit, scope });
    }
  });
}

// ---- sign-in (failed attempts only: a success does not count) ----

export const SIGN_IN_WINDOW_SECONDS = 15 * 60;
export const SIGN_IN_MAX_FAILURES_PER_EMAIL = 5;
export const SIGN_IN_MAX_FAILURES_PER_IP = 20;

export const signInEmailKey = (email: string) => `signin:email:${email.trim().toLowerCase()}`;
export const signInIpKey = (ip: string) => `signin:ip:${ip}`;

/** Throws RATE_LIMITED when the e-mail or the address already used up its failed attempts in this window. */
export async function assertSignInAllowed(db: Executor, email: string, ip: string | null): Promise<void> {
  const byEmail = await peekRateLimit(db, signInEmailKey(email), SIGN_IN_WINDOW_SECONDS);
  if (byEmail.count >= SIGN_IN_MAX_FAILURES_PER_EMAIL) {
    throw rateLimited(
      `Too many failed sign-in attempts for this e-mail. Try again in ${Math.ceil(byEmail.retryAfter / 60)} min.`,
      byEmail.retryAfter,
      { scope: "email" },
    );
  }
  if (ip) {
    const byIp = await peekRateLimit(db, signInIpKey(ip), SIGN_IN_WINDOW_SECONDS);
    if (byIp.count >= SIGN_IN_MAX_FAILURES_PER_IP) {
      throw rateLimited(
        `Too many failed sign-in attempts from your address. Try again in ${Math.ceil(byIp.retryAfter / 60)} min.`,
        byIp.retryAfter,
        { scope: "ip" },
      );
    }
  }
}

export async function recordSignInFailure(db: Executor, email: string, ip: string | null): Promise<void> {
  await hitRateLimits(db, ip ? [signInEmailKey(email), signInIpKey(ip)] : [signInEmailKey(email)], SIGN_IN_WINDOW_SECONDS);
  // Keys are per e-mail and per address: drop the long-expired ones so the table stays small.
  await db.execute(sql`DELETE FROM console_rate_limits WHERE window_start < now() - interval '1 day'`);
}

/**
 * The caller's address: the first X-Forwarded-For hop (set by the reverse proxy in front of the
 * console), else X-Real-IP, else null. Behind no proxy a client can forge it; the per-e-mail
 * limit still holds then.
 */
export function clientIp(headers: Headers | Record<string, string | string[] | undefined>): string | null {
  const get = (name: string): string | null => {
    if (headers instanceof Headers) return headers.get(name);
    const v = headers[name] ?? headers[name.toLowerCase()];
    return Array.isArray(v) ? (v[0] ?? null) : (v ?? null);
  };
  const forwarded = get("x-forwarded-for")?.split(",")[0]?.trim();
  const ip = forwarded || get("x-real-ip")?.trim() || null;
  return ip ? ip.slice(0, 64) : null;
}
