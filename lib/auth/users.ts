import { asc, eq, sql } from "drizzle-orm";
import type { Db } from "@/db/client";
import { users, type Role } from "@/db/schema";
import { queryRows } from "@/db/sql";
import { writeAudit, type Actor } from "@/lib/audit";
import { AppError, conflict, notFound, pgErrorCode } from "@/lib/errors";
import { hashPassword, PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from "./passwords";
import { revokeTokensOfCreator } from "./tokens";

/** A console user as the API and the pages show it: never the password hash. */
export interface UserDto {
  id: number;
  email: string;
  name: string;
  role: Role;
  disabled: boolean;
  createdAt: string;
  updatedAt: string;
}

type UserRow = typeof users.$inferSelect;
type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];

export const normalizeEmail = (email: string) => email.trim().toLowerCase();

export function toUserDto(row: UserRow): UserDto {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    role: row.role,
    disabled: row.disabled,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

/** The domain checks the password too, so that callers other than the API (bootstrap, scripts) cannot store a weak one. */
export function assertPasswordAcceptable(password: string): void {
  if (password.length < PASSWORD_MIN_LENGTH) {
    throw new AppError("VALIDATION_ERROR", `The password must have at least ${PASSWORD_MIN_LENGTH} characters`, [
      { path: "password", message: `at least ${PASSWORD_MIN_LENGTH} characters`, code: "too_small" },
    ]);
  }
  if (password.length > PASSWORD_MAX_LENGTH) {
    throw new AppError("VALIDATION_ERROR", `The password must have at most ${PASSWORD_MAX_LENGTH} characters`, [
      { path: "password", message: `at most ${PASSWORD_MAX_LENGTH} characters`, code: "too_big" },
    ]);
  }
}

const isUniqueViolation = (err: unknown) => pgErrorCode(err) === "23505";

export async function listUsers(db: Db): Promise<UserDto[]> {
  const rows = await db.select().from(users).orderBy(asc(users.id));
  return rows.map(toUserDto);
}

export async function getUser(db: Db, id: number): Promise<UserDto> {
  const [row] = await db.select().from(users).where(eq(users.id, id));
  if (!row) throw notFound(`User ${id}`);
  return toUserDto(row);
}

export interface CreateUserInput {
  email: string;
  name?: string;
  role: Role;
  password: string;
}

export async function createUser(db: Db, input: CreateUserInput, actor: Actor): Promise<UserDto> {
  assertPasswordAcceptable(input.password);
  const email = normalizeEmail(input.email);
  const passwordHash = await hashPassword(input.password);
  try {
    return await db.transaction(async (tx) => {
      const [row] = await tx
        .insert(users)
        .values({ email, name: input.name?.trim() ?? "", role: input.role, passwordHash })
        .onConflictDoNothing({ target: users.email })
        .returning();
      if (!row) throw conflict(`A user with the e-mail ${email} already exists`);
      await writeAudit(tx, actor, {
        action: "user.create",
        target: `user:${row.id}`,
        outcome: "ok",
        status: 201,
        details: { email, role: row.role },
      });
      return toUserDto(row);
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict(`A user with the e-mail ${email} already exists`);
    throw err;
  }
}

/**
 * Locks every active admin (in id order, so two callers cannot deadlock) and returns their ids.
 * Any change that could remove an admin takes this lock first: two concurrent demotions of the
 * last two admins then run one after the other, and the second sees only one admin left.
 */
async function lockActiveAdmins(tx: Tx): Promise<number[]> {
  const rows = await queryRows<{ id: number }>(tx, sql`SELECT id FROM console_users WHERE role = 'admin' AND NOT disabled ORDER BY id FOR UPDATE`);
  return rows.map((r) => Number(r.id));
}

async function lockUser(tx: Tx, id: number): Promise<UserRow> {
  await queryRows(tx, sql`SELECT id FROM console_users WHERE id = ${id} FOR UPDATE`);
  const [row] = await tx.select().from(users).where(eq(users.id, id));
  if (!row) throw notFound(`User ${id}`);
  return row;
}

function assertNotLastAdmin(admins: number[], id: number, what: string): void {
  if (admins.includes(id) && admins.length <= 1) {
    throw conflict(`This is the last active admin: it cannot be ${what}. Make another user admin first.`, { reason: "LAST_ADMIN" });
  }
}

export interface UpdateUserInput {
  role?: Role;
  disabled?: boolean;
  password?: string;
  name?: string;
}

export async function updateUser(db: Db, id: number, patch: UpdateUserInput, actor: Actor): Promise<UserDto> {
  if (patch.password !== undefined) assertPasswordAcceptable(patch.password);
  const passwordHash = patch.password !== undefined ? await hashPassword(patch.password) : undefined;
  return db.transaction(async (tx) => {
    const admins = await lockActiveAdmins(tx);
    const before = await lockUser(tx, id);
    if (patch.role !== undefined && patch.role !== "admin") assertNotLastAdmin(admins, id, "demoted");
    if (patch.disabled === true) assertNotLastAdmin(admins, id, "disabled");

    const changes: Partial<typeof users.$inferInsert> = {};
    const changed: Record<string, unknown> = {};
    if (patch.role !== undefined && patch.role !== before.role) {
      changes.role = patch.role;
      changed.role = { from: before.role, to: patch.role };
    }
    if (patch.disabled !== undefined && patch.disabled !== before.disabled) {
      changes.disabled = patch.disabled;
      changed.disabled = { from: before.disabled, to: patch.disabled };
    }
    if (patch.name !== undefined && patch.name.trim() !== before.name) {
      changes.name = patch.name.trim();
      changed.name = { from: before.name, to: changes.name };
    }
    if (passwordHash !== undefined) {
      changes.passwordHash = passwordHash;
      changed.password = "changed"; // never the password nor its hash
    }
    let row = before;
    if (Object.keys(changes).length > 0) {
      [row] = await tx
        .update(users)
        // A new password ends every session signed in with the old one.
        .set({ ...changes, ...(passwordHash !== undefined ? { sessionVersion: sql`${users.sessionVersion} + 1` } : {}), updatedAt: sql`now()` })
        .where(eq(users.id, id))
        .returning();
    }
    // A demoted or disabled admin's scripts lose access with them.
    const demoted = before.role === "admin" && changes.role !== undefined && changes.role !== "admin";
    if (demoted || changes.disabled === true) {
      const revoked = await revokeTokensOfCreator(tx, id, actor, demoted ? "creator demoted" : "creator disabled");
      if (revoked.length) changed.tokensRevoked = revoked;
    }
    await writeAudit(tx, actor, {
      action: "user.update",
      target: `user:${id}`,
      outcome: "ok",
      status: 200,
      details: { email: before.email, changed },
    });
    return toUserDto(row);
  });
}

export async function deleteUser(db: Db, id: number, actor: Actor): Promise<{ deleted: true; id: number }> {
  return db.transaction(async (tx) => {
    const admins = await lockActiveAdmins(tx);
    const before = await lockUser(tx, id);
    assertNotLastAdmin(admins, id, "deleted");
    await revokeTokensOfCreator(tx, id, actor, "creator removed");
    await tx.delete(users).where(eq(users.id, id));
    await writeAudit(tx, actor, {
      action: "user.delete",
      target: `user:${id}`,
      outcome: "ok",
      status: 200,
      details: { email: before.email, role: before.role },
    });
    return { deleted: true as const, id };
  });
}
