import type { Role } from "@/db/schema";

/**
 * The demo users of the embedded trial (MIGRATION-SPEC §7): seeded at start-up when there is no
 * DATABASE_URL and no ADMIN_EMAIL, and shown on the sign-in page in that mode only.
 */
export const DEMO_USERS: ReadonlyArray<{ email: string; password: string; name: string; role: Role }> = [
  { email: "admin@demo.local", password: "demo-admin-pass", name: "Demo admin", role: "admin" },
  { email: "reviewer@demo.local", password: "demo-reviewer-pass", name: "Demo reviewer", role: "reviewer" },
];

/** Embedded demo mode: no DATABASE_URL and no ADMIN_EMAIL. Callers pass their env. */
export function isDemoMode(env: Record<string, string | undefined>): boolean {
  return !env.DATABASE_URL && !env.ADMIN_EMAIL;
}
