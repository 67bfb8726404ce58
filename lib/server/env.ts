import path from "node:path";
import { z } from "zod";
import { PASSWORD_MIN_LENGTH, SECRET_MIN_LENGTH } from "@/lib/auth/passwords";
import { AppError } from "@/lib/errors";

/**
 * The console's environment, validated once (CONVENTIONS, pattern 9; MIGRATION-SPEC §7).
 * Empty strings count as unset, so `ADMIN_EMAIL=` in a shell does not turn into a bad e-mail.
 * Error messages name the variable and what is wrong with it, never its value (secrets).
 */
const blankAsUnset = (v: unknown) => (typeof v === "string" && v.trim() === "" ? undefined : v);
const optional = <T extends z.ZodType>(schema: T) => z.preprocess(blankAsUnset, schema.optional());

// A Map: `"constructor" in {}` is true.
const BOOLEAN_WORDS: ReadonlyMap<string, boolean> = new Map(
  Object.entries({ "1": true, true: true, on: true, yes: true, "0": false, false: false, off: false, no: false }),
);

const onOff = z
  .string()
  .transform((v) => v.trim().toLowerCase())
  .refine((v) => BOOLEAN_WORDS.has(v), { message: "must be on/off (or true/false, 1/0, yes/no)" });

export const EnvSchema = z
  .object({
    DATABASE_URL: optional(
      z.string().refine((v) => /^postgres(ql)?:\/\/[^\s]+$/i.test(v) && URL.canParse(v), {
        message: "must be a postgres:// or postgresql:// URL",
      }),
    ),
    ADMIN_EMAIL: optional(z.email({ message: "must be an e-mail address" })),
    ADMIN_PASSWORD: optional(z.string().min(PASSWORD_MIN_LENGTH, { message: `must be at least ${PASSWORD_MIN_LENGTH} characters` })),
    NEXTAUTH_SECRET: optional(z.string().min(SECRET_MIN_LENGTH, { message: `must be at least ${SECRET_MIN_LENGTH} characters` })),
    PROMETHEUS_SCRAPE_TOKEN: optional(z.string().min(SECRET_MIN_LENGTH, { message: `must be at least ${SECRET_MIN_LENGTH} characters` })),
    NEXTAUTH_URL: optional(z.url({ protocol: /^https?$/, message: "must be an http(s) URL" })),
    PGLITE_DATA_DIR: optional(z.string()),
    DEMO_DATA: optional(onOff),
    ALLOW_TEST_DATA: optional(onOff),
    ALLOW_INSECURE_HTTP: optional(onOff),
    NODE_ENV: optional(z.string()),
  })
  .refine((e) => (e.ADMIN_EMAIL === undefined) === (e.ADMIN_PASSWORD === undefined), {
    message: "ADMIN_EMAIL and ADMIN_PASSWORD go together: set both or neither",
    path: ["ADMIN_EMAIL"],
  })
  // A production console on the lender's database sends its session cookie only over https (Secure
  // cookie, HSTS). The embedded demo and the e2e server (no DATABASE_URL) run on plain http.
  .refine(
    (e) =>
      !(
        e.NODE_ENV === "production" &&
        e.DATABASE_URL &&
        !e.NEXTAUTH_URL?.startsWith("https://") &&
        !(e.ALLOW_INSECURE_HTTP && BOOLEAN_WORDS.get(e.ALLOW_INSECURE_HTTP))
      ),
    {
      message:
        "must be an https:// URL in production with DATABASE_URL (sessions would travel without a Secure cookie); set ALLOW_INSECURE_HTTP=1 to run on http anyway",
      path: ["NEXTAUTH_URL"],
    },
  );

export interface ServerEnv {
  /** "embedded": PGlite in a data folder of the project; "postgres": DATABASE_URL. */
  mode: "embedded" | "postgres";
  databaseUrl?: string;
  /** The embedded data folder (absolute), in embedded mode. */
  dataDir?: string;
  admin?: { email: string; password: string };
  /** Seed demo users and demo legacy data: default on in embedded mode with no admin configured, off otherwise. */
  demoData: boolean;
  /** Test data may be created and removed (ALLOW_TEST_DATA): default on in embedded mode, off with DATABASE_URL. */
  allowTestData: boolean;
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
    allowTestData: testDataAllowed(source),
    nextauthSecret: e.NEXTAUTH_SECRET,
    nextauthUrl: e.NEXTAUTH_URL,
  };
}

/**
 * ALLOW_TEST_DATA: creating or removing test data writes legacy rows, which on the lender's
 * database is not a test. On by default with the embedded database, off with DATABASE_URL.
 */
export function testDataAllowed(env: Record<string, string | undefined> = process.env): boolean {
  const word = env.ALLOW_TEST_DATA?.trim().toLowerCase();
  if (word && BOOLEAN_WORDS.has(word)) return BOOLEAN_WORDS.get(word)!;
  return !env.DATABASE_URL?.trim();
}

export function assertTestDataAllowed(env: Record<string, string | undefined> = process.env): void {
  if (!testDataAllowed(env)) {
    throw new AppError(
      "FORBIDDEN",
      "Test data is turned off on this console: it would write into the loans database. Set ALLOW_TEST_DATA=on to allow it (off by default with DATABASE_URL).",
      { reason: "TEST_DATA_OFF" },
    );
  }
}

const globalForEnv = globalThis as unknown as { __prestamosEnv?: ServerEnv };

/** The process's environment, read and validated once. */
export function serverEnv(): ServerEnv {
  globalForEnv.__prestamosEnv ??= parseEnv();
  return globalForEnv.__prestamosEnv;
}
