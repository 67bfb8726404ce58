/** Sign-in error codes (next-auth passes them as `?error=`) and what the form says. Client-safe: no server imports. */
export const SIGN_IN_ERRORS = {
  CredentialsSignin: "Wrong e-mail or password.",
  AccountDisabled: "This account is disabled. Ask an admin to enable it.",
  RATE_LIMITED: "Too many failed attempts. Wait a few minutes and try again.",
  SessionRequired: "Please sign in to continue.",
} as const;
export type SignInError = keyof typeof SIGN_IN_ERRORS;

export function signInErrorMessage(code: string | null | undefined): string | null {
  if (!code) return null;
  return (SIGN_IN_ERRORS as Record<string, string>)[code] ?? "Sign-in failed. Try again.";
}
