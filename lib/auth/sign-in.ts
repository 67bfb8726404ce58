import { eq } from "drizzle-orm";
import type { Db } from "@/db/client";
import { users, type Role } from "@/db/schema";
import { AppError } from "@/lib/errors";
import { assertSignInAllowed, recordSignInFailure } from "@/lib/http/rate-limit";
import { burnVerification, PASSWORD_MAX_LENGTH, verifyPassword } from "./passwords";
import type { SignInError } from "./sign-in-errors";
import { normalizeEmail } from "./users";

export { SIGN_IN_ERRORS, type SignInError } from "./sign-in-errors";

export type SignInResult =
  | { ok: true; user: { id: number; email: string; name: string; role: Role } }
  | { ok: false; error: SignInError; retryAfter?: number };

/**
 * Checks e-mail + password against console_users. Failed attempts count against the e-mail and
 * the caller's address (5 and 20 per 15 min); a success does not count. Once the limit is
 * reached even the right password is refused until the window ends, or guessing could go on.
 */
export async function authenticate(db: Db, credentials: { email?: unknown; password?: unknown }, ip: string | null): Promise<SignInResult> {
  const email = typeof credentials.email === "string" ? normalizeEmail(credentials.email).slice(0, 320) : "";
  const password = typeof credentials.password === "string" ? credentials.password : "";
  if (!email || !password || password.length > PASSWORD_MAX_LENGTH) return { ok: false, error: "CredentialsSignin" };
  // PostgreSQL text cannot hold NUL: such input is a wrong sign-in, not a database error.
  if (email.includes("\u0000") || password.includes("\u0000")) return { ok: false, error: "CredentialsSignin" };
  try {
    await assertSignInAllowed(db, email, ip);
  } catch (err) {
    if (err instanceof AppError && err.code === "RATE_LIMITED") {
      return { ok: false, error: "RATE_LIMITED", retryAfter: Number(err.headers?.["Retry-After"]) || undefined };
    }
    throw err;
  }
  const [user] = await db.select().from(users).where(eq(users.email, email));
  const valid = user ? await verifyPassword(password, user.passwordHash) : (await burnVerification(password), false);
  if (!user || !valid) {
    await recordSignInFailure(db, email, ip);
    return { ok: false, error: "CredentialsSignin" };
  }
  // Told only to whoever knows the password.
  if (user.disabled) return { ok: false, error: "AccountDisabled" };
  return { ok: true, user: { id: user.id, email: user.email, name: user.name, role: user.role } };
}
