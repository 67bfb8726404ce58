import path from "node:path";
import { z } from "zod";

/**
 * The console's environment, validated once (CONVENTIONS, pattern 9; MIGRATION-SPEC §7).
 * Empty strings count as unset, so `ADMIN_EMAIL=` in a shell does not turn into a bad e-mail.
 * Error messages name the variable and what is wrong with it, never its value (secrets).
 */
const blankAsUnset = (v: unknown) => (typeof v === "string" && v.trim() === "" ? undefined : v);
const optional = <T extends z.ZodType>(schema: T) => z.preprocess(blankAsUnset, schema.optional());

// A Map: `"constructor" in {}` is true.
const BOOLEAN_WORDS: ReadonlyMap<string, boolean> = new Map(Object.entries({ "1": true, true: true, on: true, yes: true, "0": false, false: false, off: false, no: false }));

export const EnvSchema = z
  .object({
    DATABASE_URL: optional(
      z.string().refine((v) => /^postgres(ql)?:\/\/[^\s]+$/i.test(v) && URL.canParse(v), {
        message: "must be a postgres:// or postgresql:// URL",
      }),
    ),
    ADMIN_EMAIL: optional(z.email({ message: "must be an e-mail address" })),
    ADMIN_PASSWORD: optional(z.string().min(8, { message: "must be at least 8 characters" })),
    NEXTAUTH_SECRET: optional(z.string().min(16, { message: "must be at least 16 characters" })),
    NEXTAUTH_URL: optional(z.url({ protocol: /^https?$/, message: "must be an http(s) URL" })),
    PGLITE_DATA_DIR: optional(z.string()),
    DEMO_DATA: optional(
      z
        .string()
        .transform((v) => v.trim().toLowerCase())
        .refine((v) => BOOLEAN_WORDS.has(v), { message: "must be on/off (or true/false, 1/0, yes/no)" }),
    ),
  })
  .refine((e) => (e.ADMIN_EMAIL === undefined) === (e.ADMIN_PASSWORD === undefined), {
    message: "ADMIN_EMAIL and ADMIN_PASSWORD go together: set both or neither",
    path: ["ADMIN_EMAIL"],
  });

export interface ServerEnv {
  /** "embedded": PGlite in a data folder of the project; "postgres": DATABASE_URL. */
  mode: "embedded" | "postgres";
  databaseUrl?: string;
  /** The embedded data folder (absolute), in embedded mode. */
  dataDir?: string;
  admin?: { email: string; password: string };
  /** Seed demo users and demo legacy data: default on in embedded mode with no admin configured, off otherwise. */
  demoData: boolean;
  nextauthSecret?: string;
  nextauthUrl?: string;
}

export class EnvError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid environment:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "EnvError";
  }
}

/** Parses an environment object (process.env by default). Throws EnvError, naming variables only. */
export function parseEnv(source: Record<string, string | undefined> = process.env, cwd = process.cwd()): ServerEnv {
  const result = EnvSchema.safeParse(source);
  if (!result.success) {
    throw new EnvError(result.error.issues.map((i) => `${i.path.join(".") || "env"} ${i.message}`));
  }
  const e = result.data;
  const mode = e.DATABASE_URL ? "postgres" : "embedded";
  const admin = e.ADMIN_EMAIL && e.ADMIN_PASSWORD ? { email: e.ADMIN_EMAIL.toLowerCase(), password: e.ADMIN_PASSWORD } : undefined;
  const demoDefault = mode === "embedded" && !admin;
  return {
    mode,
    databaseUrl: e.DATABASE_URL,
    dataDir: mode === "embedded" ? path.resolve(cwd, e.PGLITE_DATA_DIR ?? path.join(".data", "pglite")) : undefined,
    admin,
    demoData: e.DEMO_DATA === undefined ? demoDefault : BOOLEAN_WORDS.get(e.DEMO_DATA)!,
    nextauthSecret: e.NEXTAUTH_SECRET,
    nextauthUrl: e.NEXTAUTH_URL,
  };
}

const globalForEnv = globalThis as unknown as { __prestamosEnv?: ServerEnv };

/** The process's environment, read and validated once. */
export function serverEnv(): ServerEnv {
  globalForEnv.__prestamosEnv ??= parseEnv();
  return globalForEnv.__prestamosEnv;
}
