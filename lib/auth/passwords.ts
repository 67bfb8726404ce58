import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from "node:crypto";

/**
 * Password hashes: `scrypt$N$r$p$<salt base64url>$<hash base64url>`. node:crypto only (no
 * dependency); the parameters travel with the hash so they can be raised later without
 * invalidating existing hashes.
 */
/** The least a password may have: console users and ADMIN_PASSWORD alike. */
export const PASSWORD_MIN_LENGTH = 12;
/** The least a configured secret may have (NEXTAUTH_SECRET, PROMETHEUS_SCRAPE_TOKEN), as the generated one has. */
export const SECRET_MIN_LENGTH = 32;
export const PASSWORD_MAX_LENGTH = 1024; // scrypt hashes anything, but a megabyte password is an attack

/** OWASP's minimum for scrypt (N=2^17, r=8, p=1): 128 MiB and a few hundred ms per hash. */
export const OWASP_SCRYPT_COST = { N: 2 ** 17, r: 8, p: 1 } as const;
let DEFAULTS: { N: number; r: number; p: number } = OWASP_SCRYPT_COST;

/**
 * For the integration suites only (their setup file): they create and sign in users by the
 * hundred, and at OWASP's cost each hash takes seconds on a busy CI core. The console never calls
 * it, and no setting reaches it; `null` restores OWASP's cost (the tests of the cost itself).
 */
export function setScryptCostForTests(cost: { N: number; r: number; p: number } | null): void {
  DEFAULTS = cost ?? OWASP_SCRYPT_COST;
}
const KEY_LENGTH = 64;
const SALT_BYTES = 16;

function scrypt(password: string, salt: Buffer, keylen: number, opts: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scryptCb(password.normalize("NFKC"), salt, keylen, opts, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

// scrypt needs 128·N·r bytes, above Node's default maxmem of 32 MiB at these parameters; leave headroom.
const memoryFor = (N: number, r: number) => 256 * N * r;

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const { N, r, p } = DEFAULTS;
  const key = await scrypt(password, salt, KEY_LENGTH, { N, r, p, maxmem: memoryFor(N, r) });
  return ["scrypt", N, r, p, salt.toString("base64url"), key.toString("base64url")].join("$");
}

interface ParsedHash {
  N: number;
  r: number;
  p: number;
  salt: Buffer;
  key: Buffer;
}

function parseHash(stored: string): ParsedHash | null {
  const parts = stored.split("$");
  if (parts.length !== 6 || parts[0] !== "scrypt") return null;
  const [N, r, p] = parts.slice(1, 4).map((s) => (/^\d{1,8}$/.test(s) ? Number(s) : NaN));
  // Bounds: a tampered row must not make us allocate gigabytes or loop for minutes.
  if (!(N >= 2 && N <= 2 ** 20 && (N & (N - 1)) === 0 && r >= 1 && r <= 32 && p >= 1 && p <= 16)) return null;
  if (!/^[A-Za-z0-9_-]+$/.test(parts[4]) || !/^[A-Za-z0-9_-]+$/.test(parts[5])) return null;
  const salt = Buffer.from(parts[4], "base64url");
  const key = Buffer.from(parts[5], "base64url");
  if (salt.length < 8 || key.length < 16 || key.length > 256) return null;
  return { N, r, p, salt, key };
}

/** True when `stored` was made with weaker parameters than today's (or is not ours): sign-in then stores a new hash. */
export function needsRehash(stored: string): boolean {
  const parsed = parseHash(stored);
  return !parsed || parsed.N < DEFAULTS.N || parsed.r < DEFAULTS.r || parsed.p < DEFAULTS.p || parsed.key.length < KEY_LENGTH;
}

/** True when the password matches; false for a wrong password and for a malformed or tampered hash (never throws on input). */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parseHash(stored);
  if (!parsed) return false;
  let candidate: Buffer;
  try {
    candidate = await scrypt(password, parsed.salt, parsed.key.length, { N: parsed.N, r: parsed.r, p: parsed.p, maxmem: memoryFor(parsed.N, parsed.r) });
  } catch {
    return false;
  }
  return timingSafeEqual(candidate, parsed.key);
}

let dummyHash: Promise<string> | undefined;

/**
 * Spends the time of one verification when the e-mail is unknown, so that response time does
 * not tell which e-mails have an account.
 */
export async function burnVerification(password: string): Promise<void> {
  dummyHash ??= hashPassword(randomBytes(16).toString("hex"));
  await verifyPassword(password, await dummyHash);
}
