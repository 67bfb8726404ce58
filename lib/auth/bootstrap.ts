import { and, eq, sql } from "drizzle-orm";
import type { Db } from "@/db/client";
import { users } from "@/db/schema";
import { systemActor, writeAudit, type Actor } from "@/lib/audit";
import { AppError } from "@/lib/errors";
import { DEMO_USERS } from "./demo";
import { hashPassword, verifyPassword } from "./passwords";
import { revokeTokensOfCreator } from "./tokens";
import { assertPasswordAcceptable, normalizeEmail } from "./users";

const EMAIL = /^[^\s@]+@[^\s@]+$/;

/**
 * ADMIN_EMAIL / ADMIN_PASSWORD at start-up (MIGRATION-SPEC §7): creates the admin, or makes the
 * existing user an enabled admin with that password. Idempotent: a second call with the same
 * values changes nothing and writes no audit row. The caller passes the values (no env here).
 */
export async function ensureAdminFromEnv(
  db: Db,
  email: string,
  password: string,
  actor: Actor = systemActor(),
): Promise<{ action: "created" | "updated" | "unchanged"; id: number }> {
  const normalized = normalizeEmail(email);
  if (!EMAIL.test(normalized)) throw new AppError("VALIDATION_ERROR", `ADMIN_EMAIL is not an e-mail address: ${JSON.stringify(email)}`);
  assertPasswordAcceptable(password);
  return db.transaction(async (tx) => {
    const [existing] = await tx.select().from(users).where(eq(users.email, normalized)).for("update");
    if (!existing) {
      const [row] = await tx
        .insert(users)
        .values({ email: normalized, name: "Admin", role: "admin", passwordHash: await hashPassword(password) })
        .returning({ id: users.id });
      await writeAudit(tx, actor, {
        action: "user.create",
        target: `user:${row.id}`,
        outcome: "ok",
        details: { email: normalized, role: "admin", source: "ADMIN_EMAIL" },
      });
      return { action: "created" as const, id: row.id };
    }
    const passwordOk = await verifyPassword(password, existing.passwordHash);
    if (existing.role === "admin" && !existing.disabled && passwordOk) return { action: "unchanged" as const, id: existing.id };
    await tx
      .update(users)
      .set({
        role: "admin",
        disabled: false,
        ...(passwordOk ? {} : { passwordHash: await hashPassword(password) }),
        updatedAt: sql`now()`,
      })
      .where(eq(users.id, existing.id));
    const changed: Record<string, unknown> = {};
    if (existing.role !== "admin") changed.role = { from: existing.role, to: "admin" };
    if (existing.disabled) changed.disabled = { from: true, to: false };
    if (!passwordOk) changed.password = "changed";
    await writeAudit(tx, actor, {
      action: "user.update",
      target: `user:${existing.id}`,
      outcome: "ok",
      details: { email: normalized, changed, source: "ADMIN_EMAIL" },
    });
    return { action: "updated" as const, id: existing.id };
  });
}

/**
 * An embedded folder that started as the demo and later got ADMIN_EMAIL: the demo users (whose
 * passwords are printed on the sign-in page and in this README) are disabled, and their tokens
 * revoked. Idempotent; returns the e-mails it disabled.
 */
export async function disableDemoUsers(db: Db, actor: Actor = systemActor()): Promise<string[]> {
  const disabled: string[] = [];
  for (const demo of DEMO_USERS) {
    await db.transaction(async (tx) => {
      const [row] = await tx
        .update(users)
        .set({ disabled: true, sessionVersion: sql`${users.sessionVersion} + 1`, updatedAt: sql`now()` })
        .where(and(eq(users.email, demo.email), eq(users.disabled, false)))
        .returning({ id: users.id });
      if (!row) return;
      await revokeTokensOfCreator(tx, row.id, actor, "demo user disabled");
      await writeAudit(tx, actor, {
        action: "user.update",
        target: `user:${row.id}`,
        outcome: "ok",
        details: { email: demo.email, changed: { disabled: { from: false, to: true } }, source: "ADMIN_EMAIL" },
      });
      disabled.push(demo.email);
    });
  }
  return disabled;
}

/**
 * The demo users of the embedded trial (DEMO_USERS), when absent. Existing users are left as
 * they are (a demo admin who changed a password keeps it). Returns the e-mails it created.
 */
export async function seedDemoUsers(db: Db, actor: Actor = systemActor()): Promise<string[]> {
  const created: string[] = [];
  for (const demo of DEMO_USERS) {
    const [exists] = await db.select({ id: users.id }).from(users).where(eq(users.email, demo.email));
    if (exists) continue;
    const passwordHash = await hashPassword(demo.password);
    await db.transaction(async (tx) => {
      const [row] = await tx
        .insert(users)
        .values({ email: demo.email, name: demo.name, role: demo.role, passwordHash })
        .onConflictDoNothing({ target: users.email })
        .returning({ id: users.id });
      if (!row) return;
      await writeAudit(tx, actor, {
        action: "user.create",
        target: `user:${row.id}`,
        outcome: "ok",
        details: { email: demo.email, role: demo.role, source: "demo" },
      });
      created.push(demo.email);
    });
  }
  return created;
}
