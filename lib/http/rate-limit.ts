import { sql, type SQL } from "drizzle-orm";
import type { Db, Exec } from "@/db/client";
import { queryRows } from "@/db/sql";
import { AppError } from "@/lib/errors";

/**
 * Fixed-window counters in `console_rate_limits`, shared by every instance of the console (an
 * in-memory counter would reset with each process and multiply with each instance).
 */

export interface WindowState {
  count: number;
  /** Seconds until the window ends (at least 1). */
  retryAfter: number;
}

export function rateLimited(message: string, retryAfter: number, details?: Record<string, unknown>): AppError {
  return new AppError("RATE_LIMITED", message, { retryAfterSeconds: retryAfter, ...details }, { "Retry-After": String(retryAfter) });
}

/**
 * Adds `by` to each counter of `keys` (a new window where the old one has expired) in ONE
 * statement, one round trip whatever the number of keys, and returns the state of each, in the
 * order given.
 */
export async function hitRateLimits(db: Exec, keys: readonly string[], windowSeconds: number, by = 1): Promise<WindowState[]> {
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
export async function enforceApiRateLimit(db: Exec, principal: { kind: string; id: number; name: string } | null, ip: string | null): Promise<void> {
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

// ---- sign-in: growing delays, never a lock-out ----

export const SIGN_IN_WINDOW_SECONDS = 15 * 60;
/** Attempts without delay in a window; each further failure doubles the wait before the next attempt. */
export const SIGN_IN_FREE_FAILURES_PER_EMAIL = 5;
export const SIGN_IN_FREE_FAILURES_PER_IP = 20;
/** The longest wait between two attempts: the right password always gets through after it. */
export const SIGN_IN_MAX_DELAY_SECONDS = 60;

export const signInEmailKey = (email: string) => `signin:email:${email.trim().toLowerCase()}`;
export const signInIpKey = (ip: string) => `signin:ip:${ip}`;

/**
 * Past the free attempts, an attempt being verified blocks the next one for at most this long
 * (its verification's end sets the real delay): concurrent guesses wait for the one in flight.
 */
const SIGN_IN_VERIFY_ALLOWANCE_SECONDS = 10;

interface SignInKey {
  key: string;
  free: number;
  scope: "email" | "ip";
}

const signInKeys = (email: string, ip: string | null): SignInKey[] =>
  [
    { key: signInEmailKey(email), free: SIGN_IN_FREE_FAILURES_PER_EMAIL, scope: "email" as const },
    ...(ip ? [{ key: signInIpKey(ip), free: SIGN_IN_FREE_FAILURES_PER_IP, scope: "ip" as const }] : []),
  ].sort((a, b) => (a.key < b.key ? -1 : 1)); // one lock order for every caller: no deadlock

/** (key, free attempts) of each key, as a VALUES list to join on. */
const keyValues = (keys: SignInKey[]) =>
  sql.join(
    keys.map((k) => sql`(${k.key}, ${k.free}::int)`),
    sql`, `,
  );

/** The delay after `count` failures, in seconds: 0 while free, then 1, 2, 4 … up to the cap. Written once, in SQL. */
const delaySeconds = (count: SQL, free: SQL) =>
  sql`(CASE WHEN ${count} >= ${free} THEN least(power(2, ${count} - ${free}), ${SIGN_IN_MAX_DELAY_SECONDS}) ELSE 0 END)`;

function signInRefusal(scope: "email" | "ip", retryAfter: number): AppError {
  const who = scope === "email" ? "this e-mail" : "your address";
  return rateLimited(`Too many failed sign-in attempts for ${who}: sign-in is slowed down. Try again in ${retryAfter} s.`, retryAfter, { scope });
}

type Transactional = Pick<Db, "execute" | "transaction">;

/**
 * Counts one sign-in attempt against the e-mail and the address BEFORE the password is checked,
 * atomically: the rows are locked (in key order), so concurrent guesses queue and each sees the
 * others' counts. Throws RATE_LIMITED (nothing counted) while a key's delay runs. Past the free
 * attempts the counted attempt blocks the next until its own end (endSignInAttempt), so guesses
 * sent all at once get one verification at a time.
 */
export async function beginSignInAttempt(db: Transactional, email: string, ip: string | null): Promise<void> {
  const keys = signInKeys(email, ip);
  const window = sql`make_interval(secs => ${SIGN_IN_WINDOW_SECONDS})`;
  const refusal = await db.transaction(async (tx) => {
    // Locks each row (creating it), starting a new window where the old one ended.
    const rows = await queryRows<{ key: string; wait: number | string | null }>(
      tx,
      sql`INSERT INTO console_rate_limits AS r (key, window_start, count)
          VALUES ${sql.join(
            keys.map((k) => sql`(${k.key}, now(), 0)`),
            sql`, `,
          )}
          ON CONFLICT (key) DO UPDATE SET
            window_start = CASE WHEN r.window_start <= now() - ${window} THEN now() ELSE r.window_start END,
            count = CASE WHEN r.window_start <= now() - ${window} THEN 0 ELSE r.count END,
            blocked_until = CASE WHEN r.window_start <= now() - ${window} THEN NULL ELSE r.blocked_until END
          RETURNING key, ceil(extract(epoch FROM (blocked_until - clock_timestamp())))::int AS wait`,
    );
    const waiting = rows
      .map((r) => ({ scope: keys.find((k) => k.key === r.key)!.scope, wait: Number(r.wait ?? 0) }))
      .filter((k) => k.wait > 0)
      .sort((a, b) => b.wait - a.wait)[0];
    if (waiting) return signInRefusal(waiting.scope, waiting.wait);
    await tx.execute(
      sql`UPDATE console_rate_limits r SET count = r.count + 1,
            blocked_until = CASE WHEN r.count + 1 >= v.free THEN clock_timestamp() + make_interval(secs => ${SIGN_IN_VERIFY_ALLOWANCE_SECONDS}) ELSE r.blocked_until END
          FROM (VALUES ${keyValues(keys)}) AS v(key, free) WHERE r.key = v.key`,
    );
    return null;
  });
  if (refusal) throw refusal;
}

/**
 * The end of a counted attempt. A failure sets the delay the next attempt waits, from now (after
 * the verification, which takes longer than the first delays). A success gives its attempt back:
 * only failures slow down; the e-mail's delay ends (only the password's owner gets here), the
 * address's follows its remaining count (or an attacker with one account could clear it between
 * guesses at others).
 */
export async function endSignInAttempt(db: Exec, email: string, ip: string | null, outcome: "failed" | "succeeded"): Promise<void> {
  const keys = signInKeys(email, ip);
  const count = outcome === "failed" ? sql`r.count` : sql`greatest(r.count - 1, 0)`;
  await db.execute(
    sql`UPDATE console_rate_limits r SET count = ${count},
          blocked_until = CASE WHEN ${outcome === "succeeded"} AND r.key = ${signInEmailKey(email)} THEN NULL
                               ELSE clock_timestamp() + make_interval(secs => ${delaySeconds(count, sql`v.free`)}) END
        FROM (VALUES ${keyValues(keys)}) AS v(key, free) WHERE r.key = v.key`,
  );
}

/** Throws RATE_LIMITED while the e-mail's or the address's delay runs (a read: the sign-in route's early 429). */
export async function assertSignInAllowed(db: Exec, email: string, ip: string | null): Promise<void> {
  const rows = await queryRows<{ key: string; wait: number | string }>(
    db,
    sql`SELECT key, ceil(extract(epoch FROM (blocked_until - clock_timestamp())))::int AS wait
        FROM console_rate_limits
        WHERE key IN (${sql.join(
          signInKeys(email, ip).map((k) => sql`${k.key}`),
          sql`, `,
        )}) AND blocked_until > clock_timestamp() AND window_start > now() - make_interval(secs => ${SIGN_IN_WINDOW_SECONDS})
        ORDER BY wait DESC LIMIT 1`,
  );
  if (rows[0]) throw signInRefusal(rows[0].key === signInEmailKey(email) ? "email" : "ip", Math.max(1, Number(rows[0].wait)));
}

// ---- the table stays bounded ----

/**
 * Deletes the counters whose window ended (a range of the index on window_start). Keys come from
 * addresses and e-mails a client chooses, so the table holds at most one window's distinct keys,
 * however many were sent before.
 */
export async function pruneRateLimits(db: Exec): Promise<number> {
  const rows = await queryRows<{ n: number | string }>(
    db,
    sql`WITH gone AS (
          DELETE FROM console_rate_limits
          WHERE window_start < now() - make_interval(secs => ${API_RATE_WINDOW_SECONDS})
            AND (key LIKE 'api:%' OR window_start < now() - make_interval(secs => ${SIGN_IN_WINDOW_SECONDS}))
          RETURNING 1)
        SELECT count(*)::int AS n FROM gone`,
  );
  return Number(rows[0]?.n ?? 0);
}

export const RATE_LIMIT_PRUNE_INTERVAL_MS = 60_000;
const pruner = globalThis as unknown as { __prestamosRateLimitPruner?: NodeJS.Timeout };

/** Prunes every minute in the background (started at boot; several instances pruning is harmless). */
export function startRateLimitPruning(db: Exec, log: (err: unknown) => void): void {
  pruner.__prestamosRateLimitPruner ??= setInterval(() => void pruneRateLimits(db).catch(log), RATE_LIMIT_PRUNE_INTERVAL_MS);
  pruner.__prestamosRateLimitPruner.unref();
}

export function stopRateLimitPruning(): void {
  clearInterval(pruner.__prestamosRateLimitPruner);
  pruner.__prestamosRateLimitPruner = undefined;
}

// ---- who is calling ----

/**
 * The socket's address, written by the console's own HTTP server on every request (over any value
 * a client sent under this name): see lib/server/peer-address.ts.
 */
export const PEER_ADDRESS_HEADER = "x-prestamos-peer-address";

/** TRUSTED_PROXY_HOPS: how many reverse proxies in front of the console append to X-Forwarded-For (default 0). */
export function trustedProxyHops(env: Record<string, string | undefined> = process.env): number {
  const n = Number(env.TRUSTED_PROXY_HOPS ?? "0");
  return Number.isInteger(n) && n >= 0 && n <= 10 ? n : 0;
}

const normalizeAddress = (a: string | null | undefined): string | null => {
  const v = a?.trim().replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, "");
  return v ? v.slice(0, 64) : null;
};

/**
 * The caller's address. With no trusted proxy (the default) the socket's address: X-Forwarded-For
 * is written by the client and counts for nothing. Behind N trusted proxies, the N-th entry from
 * the right of X-Forwarded-For (what the outermost proxy saw); entries left of it are the
 * client's own writing. A chain shorter than N did not come through the proxies: the socket then.
 */
export function clientIp(headers: Headers | Record<string, string | string[] | undefined>, hops = trustedProxyHops()): string | null {
  const get = (name: string): string | null => {
    if (headers instanceof Headers) return headers.get(name);
    const v = headers[name] ?? headers[name.toLowerCase()];
    return Array.isArray(v) ? v.join(",") : (v ?? null);
  };
  const peer = normalizeAddress(get(PEER_ADDRESS_HEADER));
  if (hops === 0) return peer;
  const chain = (get("x-forwarded-for") ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  return chain.length >= hops ? normalizeAddress(chain[chain.length - hops]) : peer;
}

// ---- /api/health: in process, since it must answer when the database does not ----

export const HEALTH_RATE_LIMIT_PER_MINUTE = 120;
const HEALTH_MAX_KEYS = 10_000;
const healthWindows = new Map<string, { start: number; count: number }>();

/**
 * Counts one health check of `ip` in its minute; null when allowed, else the seconds to wait.
 * Bounded: at HEALTH_MAX_KEYS addresses the oldest tenth goes (a Map iterates in insertion order,
 * and a renewed window is re-inserted, so the oldest are the ended ones first).
 */
export function hitHealthLimit(ip: string | null, now = Date.now(), limit = HEALTH_RATE_LIMIT_PER_MINUTE): number | null {
  const key = ip ?? "unknown";
  const windowMs = API_RATE_WINDOW_SECONDS * 1000;
  let w = healthWindows.get(key);
  if (!w || now - w.start >= windowMs) {
    if (!w && healthWindows.size >= HEALTH_MAX_KEYS) {
      for (const k of healthWindows.keys()) {
        if (healthWindows.size < HEALTH_MAX_KEYS * 0.9) break;
        healthWindows.delete(k);
      }
    }
    w = { start: now, count: 0 };
    healthWindows.delete(key);
    healthWindows.set(key, w);
  }
  w.count++;
  return w.count > limit ? Math.max(1, Math.ceil((w.start + windowMs - now) / 1000)) : null;
}

export const healthLimitKeys = () => healthWindows.size;
