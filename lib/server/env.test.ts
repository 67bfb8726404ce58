import path from "node:path";
import { describe, expect, it } from "vitest";
import { PASSWORD_MIN_LENGTH, SECRET_MIN_LENGTH } from "@/lib/auth/passwords";
import { assertTestDataAllowed, EnvError, parseEnv } from "./env";

describe("parseEnv", () => {
  it("defaults to the embedded database in .data/pglite with demo data on", () => {
    expect(parseEnv({}, "/srv/app")).toStrictEqual({
      mode: "embedded",
      databaseUrl: undefined,
      dataDir: path.resolve("/srv/app/.data/pglite"),
      admin: undefined,
      demoData: true,
      allowTestData: true,
      nextauthSecret: undefined,
      nextauthUrl: undefined,
    });
  });

  it("uses PostgreSQL with DATABASE_URL, demo data off by default", () => {
    const env = parseEnv({ DATABASE_URL: "postgresql://u:p@db:5432/loans" }, "/srv/app");
    expect(env.mode).toBe("postgres");
    expect(env.dataDir).toBeUndefined();
    expect(env.demoData).toBe(false);
  });

  it("turns demo data off when an admin is configured, and lower-cases the admin e-mail", () => {
    const env = parseEnv({ ADMIN_EMAIL: "Ops@Example.COM", ADMIN_PASSWORD: "long enough!" });
    expect(env.admin).toStrictEqual({ email: "ops@example.com", password: "long enough!" });
    expect(env.demoData).toBe(false);
  });

  it("reads DEMO_DATA words and treats blank variables as unset", () => {
    expect(parseEnv({ DEMO_DATA: "off" }).demoData).toBe(false);
    expect(() => parseEnv({ DEMO_DATA: "constructor" })).toThrow(/DEMO_DATA/);
    expect(parseEnv({ DEMO_DATA: " No " }).demoData).toBe(false);
    expect(parseEnv({ DEMO_DATA: "1", DATABASE_URL: "postgres://h/db" }).demoData).toBe(true);
    expect(parseEnv({ DATABASE_URL: "", ADMIN_EMAIL: " ", ADMIN_PASSWORD: "" }).mode).toBe("embedded");
    expect(parseEnv({ PGLITE_DATA_DIR: "/var/lib/x" }).dataDir).toBe("/var/lib/x");
  });

  it("names each bad variable, never its value", () => {
    let err: unknown;
    try {
      parseEnv({ DATABASE_URL: "mysql://root:hunter22@h/db", ADMIN_EMAIL: "nobody", ADMIN_PASSWORD: "short", DEMO_DATA: "maybe", NEXTAUTH_URL: "ftp://x" });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(EnvError);
    const message = (err as EnvError).message;
    for (const name of ["DATABASE_URL", "ADMIN_EMAIL", "ADMIN_PASSWORD", "DEMO_DATA", "NEXTAUTH_URL"]) expect(message).toContain(name);
    expect(message).not.toContain("hunter22");
    expect(message).not.toContain("short");
  });

  it("wants ADMIN_EMAIL and ADMIN_PASSWORD together", () => {
    expect(() => parseEnv({ ADMIN_EMAIL: "a@b.co" })).toThrow(/ADMIN_EMAIL and ADMIN_PASSWORD go together/);
    expect(() => parseEnv({ ADMIN_PASSWORD: "long enough!" })).toThrow(/go together/);
  });

  it("holds the admin password and every secret to one minimum each (the users' password rule, 32 for secrets)", () => {
    expect(() => parseEnv({ ADMIN_EMAIL: "a@b.co", ADMIN_PASSWORD: "x".repeat(PASSWORD_MIN_LENGTH - 1) })).toThrow(
      new RegExp(`ADMIN_PASSWORD must be at least ${PASSWORD_MIN_LENGTH}`),
    );
    expect(parseEnv({ ADMIN_EMAIL: "a@b.co", ADMIN_PASSWORD: "x".repeat(PASSWORD_MIN_LENGTH) }).admin).toBeDefined();
    for (const name of ["NEXTAUTH_SECRET", "PROMETHEUS_SCRAPE_TOKEN"]) {
      expect(() => parseEnv({ [name]: "s".repeat(SECRET_MIN_LENGTH - 1) })).toThrow(new RegExp(`${name} must be at least ${SECRET_MIN_LENGTH}`));
      expect(() => parseEnv({ [name]: "s".repeat(SECRET_MIN_LENGTH) })).not.toThrow();
    }
  });

  it("refuses to start in production on a real database without an https NEXTAUTH_URL, unless ALLOW_INSECURE_HTTP; the embedded demo runs on http", () => {
    const prod = { NODE_ENV: "production", DATABASE_URL: "postgres://h/db" };
    expect(() => parseEnv(prod)).toThrow(/NEXTAUTH_URL must be an https:\/\/ URL in production with DATABASE_URL/);
    expect(() => parseEnv({ ...prod, NEXTAUTH_URL: "http://console.example.com" })).toThrow(/NEXTAUTH_URL must be an https/);
    expect(parseEnv({ ...prod, NEXTAUTH_URL: "https://console.example.com" }).mode).toBe("postgres");
    expect(parseEnv({ ...prod, NEXTAUTH_URL: "http://10.0.0.5:3000", ALLOW_INSECURE_HTTP: "1" }).mode).toBe("postgres");
    expect(() => parseEnv({ ...prod, ALLOW_INSECURE_HTTP: "off" })).toThrow(/NEXTAUTH_URL/);
    // next start of the demo and of the e2e suite: embedded, http://127.0.0.1.
    expect(parseEnv({ NODE_ENV: "production", NEXTAUTH_URL: "http://127.0.0.1:3100" }).mode).toBe("embedded");
    expect(parseEnv({ NODE_ENV: "development", DATABASE_URL: "postgres://h/db" }).mode).toBe("postgres");
  });

  it("allows test data by default on the embedded database only; ALLOW_TEST_DATA decides otherwise", () => {
    expect(parseEnv({}).allowTestData).toBe(true);
    expect(parseEnv({ DATABASE_URL: "postgres://h/db" }).allowTestData).toBe(false);
    expect(parseEnv({ DATABASE_URL: "postgres://h/db", ALLOW_TEST_DATA: "on" }).allowTestData).toBe(true);
    expect(parseEnv({ ALLOW_TEST_DATA: "off" }).allowTestData).toBe(false);
    expect(() => parseEnv({ ALLOW_TEST_DATA: "sometimes" })).toThrow(/ALLOW_TEST_DATA must be on\/off/);
    expect(() => assertTestDataAllowed({ DATABASE_URL: "postgres://h/db" })).toThrow(/Test data is turned off/);
    expect(() => assertTestDataAllowed({})).not.toThrow();
  });
});
