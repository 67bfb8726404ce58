import path from "node:path";
import { describe, expect, it } from "vitest";
import { EnvError, parseEnv } from "./env";

describe("parseEnv", () => {
  it("defaults to the embedded database in .data/pglite with demo data on", () => {
    expect(parseEnv({}, "/srv/app")).toStrictEqual({
      mode: "embedded",
      databaseUrl: undefined,
      dataDir: path.resolve("/srv/app/.data/pglite"),
      admin: undefined,
      demoData: true,
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
    const env = parseEnv({ ADMIN_EMAIL: "Ops@Example.COM", ADMIN_PASSWORD: "long enough" });
    expect(env.admin).toStrictEqual({ email: "ops@example.com", password: "long enough" });
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
    expect(() => parseEnv({ ADMIN_PASSWORD: "long enough" })).toThrow(/go together/);
  });
});
