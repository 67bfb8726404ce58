import { auditLog, type Role } from "@/db/schema";
import type { Db } from "@/db/client";

type Writer = Pick<Db, "insert">;

/** Who acts: a signed-in user, an API token, the console itself, or nobody known. */
export interface Actor {
  name: string; // e-mail, "token:<name>", "system" or "anonymous"
  kind: "user" | "token" | "system" | "anonymous";
  role?: Role;
  requestId?: string;
  /** Set once an audit row was written for this request, so the route wrapper does not write a second. */
  audited?: boolean;
}

export const systemActor = (requestId?: string): Actor => ({ name: "system", kind: "system", requestId });

export interface AuditEntry {
  action: string; // entity.verb
  target?: string | null;
  outcome: "ok" | "refused" | "error";
  status?: number;
  details?: unknown;
}

/**
 * Writes one audit row. Pass the transaction of the change so that the change and its audit
 * row commit together (CONVENTIONS, pattern 8).
 */
export async function writeAudit(db: Writer, actor: Actor, entry: AuditEntry): Promise<void> {
  await db.insert(auditLog).values({
    actor: actor.name,
    actorKind: actor.kind,
    action: entry.action,
    target: entry.target ?? null,
    outcome: entry.outcome,
    status: entry.status ?? null,
    requestId: actor.requestId ?? null,
    details: entry.details === undefined ? null : (entry.details as object),
  });
  actor.audited = true;
}
