import { getDbHandle } from "@/db/client";
import type { PreflightContext } from "@/lib/migration/preflight";
import { CONSOLE_POOL_SIZE } from "@/lib/migration/preflight-items";
import { serverEnv } from "./env";

/**
 * What the pre-flight needs to know about this process's connection (the engine reads no
 * process.env): the driver, DATABASE_URL for the pg_dump command (masked before it leaves the
 * engine), the embedded data folder, the pool size.
 */
export async function preflightContext(): Promise<PreflightContext> {
  const handle = await getDbHandle();
  let env: { databaseUrl?: string; dataDir?: string } = {};
  try {
    env = serverEnv();
  } catch {
    /* an invalid environment fails at boot; here it only costs the pg_dump command its URL */
  }
  const embeddedDir = handle.location.startsWith("embedded:") ? handle.location.slice("embedded:".length) : undefined;
  return {
    driver: handle.driver,
    databaseUrl: handle.driver === "postgres" ? env.databaseUrl : undefined,
    dataDir: handle.driver === "pglite" ? (embeddedDir && embeddedDir !== "memory" ? embeddedDir : env.dataDir) : undefined,
    poolSize: CONSOLE_POOL_SIZE,
  };
}
