import { randomBytes } from "node:crypto";
import { desc, eq } from "drizzle-orm";
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
    lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
    revokedAt: row.revokedAt?.toISOString() ?? null,
  };
}

export async function createToken(
  db: Db,
  input: { name: string; role: Role; createdBy: string },
  actor: Actor = systemActor(),
): Promise<CreatedToken> {
  const token = generateToken();
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(apiTokens)
      .values({ name: input.name.trim(), role: input.role, tokenHash: hashToken(token), prefix: token.slice(0, DISPLAY_PREFIX_LENGTH), createdBy: input.createdBy })
      .returning();
    await writeAudit(tx, actor, {
      action: "token.create",
      target: `token:${row.id}`,
      outcome: "ok",
      status: 201,
      details: { name: row.name, role: row.role, prefix: row.prefix }, // never the token
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
