import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { SECRET_MIN_LENGTH } from "./passwords";

/**
 * The secret that signs and encrypts session cookies. NEXTAUTH_SECRET when set; otherwise a
 * random secret generated once per installation and kept in `.data/nextauth-secret` (gitignored),
 * so sessions survive restarts without any setup. Several instances behind one DATABASE_URL each
 * have their own folder, hence their own secret: set NEXTAUTH_SECRET there (we warn once).
 */
let cached: string | undefined;
let warned = false;

export function secretFilePath(env: NodeJS.ProcessEnv = process.env): string {
  return env.NEXTAUTH_SECRET_FILE ?? path.join(process.cwd(), ".data", "nextauth-secret");
}

export function readOrCreateSecretFile(file: string): string {
  try {
    const existing = fs.readFileSync(file, "utf8").trim();
    if (existing.length >= SECRET_MIN_LENGTH) return existing;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const secret = randomBytes(32).toString("base64url");
  try {
    // "wx": two processes starting at once: one writes, the other reads the winner's secret.
    fs.writeFileSync(file, `${secret}\n`, { flag: "wx", mode: 0o600 });
    return secret;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    const existing = fs.readFileSync(file, "utf8").trim();
    if (existing.length >= SECRET_MIN_LENGTH) return existing;
    fs.writeFileSync(file, `${secret}\n`, { mode: 0o600 }); // an empty or truncated file: replace it
    return secret;
  }
}

export function getAuthSecret(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.NEXTAUTH_SECRET ?? env.AUTH_SECRET;
  if (fromEnv) return fromEnv;
  if (cached) return cached;
  if (env.DATABASE_URL && env.NODE_ENV === "production" && !warned) {
    warned = true;
    console.warn(
      JSON.stringify({
        level: "warn",
        msg: "NEXTAUTH_SECRET is not set: using a per-installation secret from .data/nextauth-secret. Set NEXTAUTH_SECRET when several instances share the database.",
      }),
    );
  }
  cached = readOrCreateSecretFile(secretFilePath(env));
  return cached;
}
