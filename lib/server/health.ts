import { sql } from "drizzle-orm";
import type { DbHandle } from "@/db/client";
import { migrationStatus } from "@/db/migrate";

/** GET /api/health body (MIGRATION-SPEC §6): liveness and database reachability, nothing secret. */
export interface HealthReport {
  status: "ok" | "degraded";
  database: {
    reachable: boolean;
    driver: DbHandle["driver"] | null;
    latencyMs: number | null;
    migrationsApplied: number | null;
  };
  time: string;
}

const TIMEOUT_MS = 3000;

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/**
 * One round trip (`select 1`) timed, then the count of applied migrations. Any failure is
 * "unreachable": the reason goes to the server log (it may name a host), never to the caller.
 */
export async function checkHealth(getHandle: () => Promise<DbHandle>): Promise<HealthReport> {
  const time = new Date().toISOString();
  let driver: DbHandle["driver"] | null = null;
  try {
    const handle = await withTimeout(getHandle(), TIMEOUT_MS);
    driver = handle.driver;
    const started = performance.now();
    await withTimeout(handle.db.execute(sql`select 1`), TIMEOUT_MS);
    const latencyMs = Math.round((performance.now() - started) * 10) / 10;
    const { applied } = await withTimeout(migrationStatus(handle), TIMEOUT_MS);
    return { status: "ok", database: { reachable: true, driver, latencyMs, migrationsApplied: applied }, time };
  } catch (err) {
    console.error(JSON.stringify({ level: "warn", msg: "health: database unreachable", error: String((err as Error)?.message ?? err) }));
    return { status: "degraded", database: { reachable: false, driver, latencyMs: null, migrationsApplied: null }, time };
  }
}
