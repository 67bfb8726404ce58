import { and, eq } from "drizzle-orm";
import type { Db } from "@/db/client";
import { users, type Role } from "@/db/schema";
import { writeAudit } from "@/lib/audit";
import { AppError } from "@/lib/errors";
import { beginSignInAttempt, endSignInAttempt } from "@/lib/http/rate-limit";
import { burnVerification, hashPassword, needsRehash, PASSWORD_MAX_LENGTH, verifyPassword } from "./passwords";
import type { SignInError } from "./sign-in-errors";
import { normalizeEmail } from "./users";

export { SIGN_IN_ERRORS, type SignInError } from "./sign-in-errors";

export type SignInResult =
  { ok: true; user: { id: number; email: string; name: string; role: Role; sessionVersion: number } } | { ok: false; error: SignInError; retryAfter?: number };

/**
 * Checks e-mail + password against console_users. The attempt is counted against the e-mail and
 * the caller's address before the password is checked (so concurrent guesses cannot all get
 * through); past a few failures each next attempt waits a growing delay (rate-limit.ts) instead
 * of a lock-out, so an attacker cannot keep the owner of the password out. A success gives its
 * attempt back. Successes and wrong passwords are audited (`auth.signin`); a refusal during a
 * delay is not (it checks nothing, and a flood of them would flood the log).
 */
export async function authenticate(db: Db, credentials: { email?: unknown; password?: unknown }, ip: string | null): Promise<SignInResult> {
  const email = typeof credentials.email === "string" ? normalizeEmail(credentials.email).slice(0, 320) : "";
  const password = typeof credentials.password === "string" ? credentials.password : "";
  if (!email || !password || password.length > PASSWORD_MAX_LENGTH) return { ok: false, error: "CredentialsSignin" };
  // PostgreSQL text cannot hold NUL: such input is a wrong sign-in, not a database error.
  if (email.includes("\u0000") || password.includes("\u0000")) return { ok: false, error: "CredentialsSignin" };
  try {
    await beginSignInAttempt(db, email, ip);
  } catch (err) {
    if (err instanceof AppError && err.code === "RATE_LIMITED") {
      return { ok: false, error: "RATE_LIMITED", retryAfter: Number(err.headers?.["Retry-After"]) || undefined };
    }
    throw err;
  }
  const [user] = await db.select().from(users).where(eq(users.email, email));
  const valid = user ? await verifyPassword(password, user.passwordHash) : (await burnVerification(password), false);
  const audit = (outcome: "ok" | "refused", reason?: string) =>
    writeAudit(
      db,
      { name: email, kind: user ? "user" : "anonymous" },
      { action: "auth.signin", target: user ? `user:${user.id}` : null, outcome, details: { email, ip, ...(reason ? { reason } : {}) } },
    );
  await endSignInAttempt(db, email, ip, user && valid ? "succeeded" : "failed");
  if (!user || !valid) {
    await audit("refused", "wrong e-mail or password");
    return { ok: false, error: "CredentialsSignin" };
  }
  // Told only to whoever knows the password.
  if (user.disabled) {
    await audit("refused", "account disabled");
    return { ok: false, error: "AccountDisabled" };
  }
  if (needsRehash(user.passwordHash)) {
    // Raised parameters reach old hashes at their owner's next sign-in; a password changed meanwhile wins.
    await db
      .update(users)
      .set({ passwordHash: await hashPassword(password) })
      .where(and(eq(users.id, user.id), eq(users.passwordHash, user.passwordHash)));
  }
  await audit("ok");
  return { ok: true, user: { id: user.id, email: user.email, name: user.name, role: user.role, sessionVersion: user.sessionVersion } };
}
