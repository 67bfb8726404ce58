import { createHash } from "node:crypto";
import { and, eq, isNull } from "drizzle-orm";
import type { Db } from "@/db/client";
import { apiTokens, type Role } from "@/db/schema";
import { AppError } from "@/lib/errors";
import { getSessionPrincipal } from "./session";

export interface Principal {
  kind: "user" | "token";
  id: number;
  /** The user's e-mail or the token's name. */
  name: string;
  role: Role;
}

export const hashToken = (token: string) => createHash("sha256").update(token, "utf8").digest("hex");

/**
 * Who is calling, decided once (CONVENTIONS, pattern 4): a bearer token first (a bad one is
 * 401, never a fall-back to the cookie), then the session, else null.
 */
export async function resolvePrincipal(req: Request, db: Db): Promise<Principal | null> {
  const header = req.headers.get("authorization");
  if (header !== null) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) throw new AppError("UNAUTHENTICATED", "Malformed Authorization header: expected Bearer <token>");
    const [token] = await db
      .update(apiTokens)
      .set({ lastUsedAt: new Date() })
      .where(and(eq(apiTokens.tokenHash, hashToken(match[1])), isNull(apiTokens.revokedAt)))
      .returning({ id: apiTokens.id, name: apiTokens.name, role: apiTokens.role });
    if (!token) throw new AppError("UNAUTHENTICATED", "Unknown or revoked API token");
    return { kind: "token", id: token.id, name: token.name, role: token.role };
  }
  return getSessionPrincipal(db);
}
