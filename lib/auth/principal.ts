import { sql } from "drizzle-orm";
import type { Db } from "@/db/client";
import type { Role } from "@/db/schema";
import { queryOne } from "@/db/sql";
import { AppError } from "@/lib/errors";
import { getSessionPrincipal } from "./session";
import { hashToken } from "./token-hash";

export { hashToken };

export interface Principal {
  kind: "user" | "token";
  id: number;
  /** The user's e-mail or the token's name. */
  name: string;
  role: Role;
  /** A user's display name (may be empty); absent for tokens. */
  displayName?: string;
}

/** last_used_at is written at most once a minute per token, so a polling script does not write on every request. */
const LAST_USED_RESOLUTION_SECONDS = 60;

export async function principalFromBearer(db: Db, token: string): Promise<Principal> {
  const row = await queryOne<{ id: number; name: string; role: Role; stale: boolean }>(
    db,
    sql`SELECT id, name, role,
          (last_used_at IS NULL OR last_used_at < now() - make_interval(secs => ${LAST_USED_RESOLUTION_SECONDS})) AS stale
        FROM console_api_tokens t
        WHERE token_hash = ${hashToken(token)} AND revoked_at IS NULL
          AND (expires_at IS NULL OR expires_at > now())
          -- Removal and demotion revoke a creator's tokens; this also holds for any other path that changes a user.
          AND (created_by_user_id IS NULL OR EXISTS (
                SELECT 1 FROM console_users u WHERE u.id = t.created_by_user_id AND NOT u.disabled AND (t.role = 'reviewer' OR u.role = 'admin')))`,
  );
  if (!row) throw new AppError("UNAUTHENTICATED", "Unknown, revoked or expired API token");
  if (row.stale) {
    await db.execute(
      sql`UPDATE console_api_tokens SET last_used_at = now()
          WHERE id = ${row.id} AND (last_used_at IS NULL OR last_used_at < now() - make_interval(secs => ${LAST_USED_RESOLUTION_SECONDS}))`,
    );
  }
  return { kind: "token", id: Number(row.id), name: row.name, role: row.role };
}

/**
 * Who is calling, decided once (CONVENTIONS, pattern 4): a bearer token first (a bad one is
 * 401, never a fall-back to the cookie), then the session, else null.
 */
export async function resolvePrincipal(req: Request, db: Db): Promise<Principal | null> {
  const header = req.headers.get("authorization");
  if (header !== null) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) throw new AppError("UNAUTHENTICATED", "Malformed Authorization header: expected Bearer <token>");
    return principalFromBearer(db, match[1]);
  }
  return getSessionPrincipal(db, req);
}
