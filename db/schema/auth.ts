import { sql } from "drizzle-orm";
import { bigserial, boolean, check, index, integer, jsonb, pgTable, serial, text, timestamp } from "drizzle-orm/pg-core";

export const ROLES = ["admin", "reviewer"] as const;
export type Role = (typeof ROLES)[number];

export const users = pgTable(
  "console_users",
  {
    id: serial("id").primaryKey(),
    email: text("email").notNull().unique(), // stored lower-cased
    name: text("name").notNull().default(""),
    role: text("role").$type<Role>().notNull(),
    passwordHash: text("password_hash").notNull(),
    disabled: boolean("disabled").notNull().default(false),
    /** Bumped when the password changes: a session carries the version it was signed in with, and an older one is refused. */
    sessionVersion: integer("session_version").notNull().default(1),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [check("console_users_role_check", sql`${t.role} in ('admin','reviewer')`)],
);

export const apiTokens = pgTable(
  "console_api_tokens",
  {
    id: serial("id").primaryKey(),
    name: text("name").notNull(),
    role: text("role").$type<Role>().notNull(),
    tokenHash: text("token_hash").notNull().unique(), // sha-256 hex of the token; the token itself is never stored
    prefix: text("prefix").notNull(), // first characters, to recognise a token in the list
    createdBy: text("created_by").notNull(),
    /** The user who made it: removing or demoting them revokes it. Null for tokens of the CLI / the system. */
    createdByUserId: integer("created_by_user_id").references(() => users.id, { onDelete: "set null" }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp("expires_at", { withTimezone: true }),
    lastUsedAt: timestamp("last_used_at", { withTimezone: true }),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
  },
  (t) => [
    check("console_api_tokens_role_check", sql`${t.role} in ('admin','reviewer')`),
    index("console_api_tokens_created_by_user_idx").on(t.createdByUserId),
  ],
);

export const auditLog = pgTable(
  "console_audit_log",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    at: timestamp("at", { withTimezone: true }).notNull().defaultNow(),
    actor: text("actor").notNull(), // e-mail, "token:<name>", "system" or "anonymous"
    actorKind: text("actor_kind").notNull(), // user | token | system | anonymous
    action: text("action").notNull(), // entity.verb, e.g. migration.start
    target: text("target"),
    outcome: text("outcome").notNull(), // ok | refused | error
    status: integer("status"),
    requestId: text("request_id"),
    details: jsonb("details"),
  },
  (t) => [
    index("console_audit_log_at_idx").on(t.at),
    index("console_audit_log_action_idx").on(t.action, t.at),
    index("console_audit_log_actor_idx").on(t.actor, t.at),
    index("console_audit_log_target_idx").on(t.target),
  ],
);

/** Fixed-window counters shared by every instance (sign-in and API rate limits). */
export const rateLimits = pgTable(
  "console_rate_limits",
  {
    key: text("key").primaryKey(),
    windowStart: timestamp("window_start", { withTimezone: true }).notNull(),
    count: integer("count").notNull(),
    /** Sign-in: no attempt for this key is verified before this time (growing delays instead of a lock-out). */
    blockedUntil: timestamp("blocked_until", { withTimezone: true }),
  },
  // The pruning of expired windows reads this index instead of scanning every key.
  (t) => [index("console_rate_limits_window_idx").on(t.windowStart)],
);
