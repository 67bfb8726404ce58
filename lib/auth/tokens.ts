import { randomBytes } from "node:crypto";
import { and, desc, eq, isNull, sql } from "drizzle-orm";
import type { Db } from "@/db/client";
import { apiTokens, type Role } from "@/db/schema";
import { systemActor, writeAudit, type Actor } from "@/lib/audit";
import { conflict, notFound } from "@/lib/errors";
import { hashToken } from "./token-hash";

/** An API token as listed: its prefix to recognise it, never the token nor its hash. */
export interface TokenDto {
  id: number;
  name: string;
  role: Role;
  prefix: string;
  createdBy: string;
  createdAt: string;
  /** Null: it never expires. */
  expiresAt: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export interface CreatedToken extends TokenDto {
  /** The token itself: shown once, stored nowhere. */
  token: string;
}

const TOKEN_PREFIX = "pc_";
const DISPLAY_PREFIX_LENGTH = TOKEN_PREFIX.length + 6;

/** `pc_` + 32 random bytes in base64url (43 characters): 256 bits, so a plain SHA-256 is a sufficient hash. */
export const generateToken = () => TOKEN_PREFIX + randomBytes(32).toString("base64url");

function toTokenDto(row: typeof apiTokens.$inferSelect): TokenDto {
  return {
    id: row.id,
    name: row.name,
    role: row.role,
    prefix: row.prefix,
    createdBy: row.createdBy,
    createdAt: row.createdAt.toISOString(),
    expiresAt: row.expiresAt?.toISOString() ?? null,
    lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
    revokedAt: row.revokedAt?.toISOString() ?? null,
  };
}

export interface CreateTokenInput {
  name: string;
  role: Role;
  createdBy: string;
  /** The console user behind the request (for a token making a token: that token's creator); null for the CLI. */
  createdByUserId?: number | null;
  /** Absent: the token never expires (bounds: CreateTokenBody). */
  expiresInDays?: number;
}

export async function createToken(db: Db, input: CreateTokenInput, actor: Actor = systemActor()): Promise<CreatedToken> {
  const token = generateToken();
  const days = input.expiresInDays;
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(apiTokens)
      .values({
        name: input.name.trim(),
        role: input.role,
        tokenHash: hashToken(token),
        prefix: token.slice(0, DISPLAY_PREFIX_LENGTH),
        createdBy: input.createdBy,
        createdByUserId: input.createdByUserId ?? null,
        expiresAt: days === undefined ? null : sql`now() + make_interval(days => ${days})`,
      })
      .returning();
    await writeAudit(tx, actor, {
      action: "token.create",
      target: `token:${row.id}`,
      outcome: "ok",
      status: 201,
      details: { name: row.name, role: row.role, prefix: row.prefix, expiresAt: row.expiresAt?.toISOString() ?? null }, // never the token
    });
    return { ...toTokenDto(row), token };
  });
}

/** Every token, newest first, revoked ones included (they say who had access when). */
export async function listTokens(db: Db): Promise<TokenDto[]> {
  const rows = await db.select().from(apiTokens).orderBy(desc(apiTokens.id));
  return rows.map(toTokenDto);
}

export async function revokeToken(db: Db, id: number, actor: Actor): Promise<TokenDto> {
  return db.transaction(async (tx) => {
    const [before] = await tx.select().from(apiTokens).where(eq(apiTokens.id, id)).for("update");
    if (!before) throw notFound(`Token ${id}`);
    if (before.revokedAt) throw conflict(`Token ${id} is already revoked`);
    const [row] = await tx.update(apiTokens).set({ revokedAt: new Date() }).where(eq(apiTokens.id, id)).returning();
    await writeAudit(tx, actor, {
      action: "token.revoke",
      target: `token:${id}`,
      outcome: "ok",
      status: 200,
      details: { name: row.name, role: row.role, prefix: row.prefix },
    });
    return toTokenDto(row);
  });
}

type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];

/**
 * Revokes every live token `userId` made, in the caller's transaction (a removed or demoted admin's
 * scripts lose access with them). Returns the ids revoked.
 */
export async function revokeTokensOfCreator(tx: Tx, userId: number, actor: Actor, reason: string): Promise<number[]> {
  const rows = await tx
    .update(apiTokens)
    .set({ revokedAt: new Date() })
    .where(and(eq(apiTokens.createdByUserId, userId), isNull(apiTokens.revokedAt)))
    .returning({ id: apiTokens.id, name: apiTokens.name, role: apiTokens.role, prefix: apiTokens.prefix });
  for (const row of rows) {
    await writeAudit(tx, actor, {
      action: "token.revoke",
      target: `token:${row.id}`,
      outcome: "ok",
      details: { name: row.name, role: row.role, prefix: row.prefix, reason },
    });
  }
  return rows.map((r) => r.id);
}

/** The console user a principal stands for: a user is itself, a token its creator (null for CLI tokens). */
export async function userIdBehind(db: Db, principal: { kind: "user" | "token"; id: number }): Promise<number | null> {
  if (principal.kind === "user") return principal.id;
  const [row] = await db.select({ uid: apiTokens.createdByUserId }).from(apiTokens).where(eq(apiTokens.id, principal.id));
  return row?.uid ?? null;
}
