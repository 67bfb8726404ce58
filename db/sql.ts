import type { SQL } from "drizzle-orm";
import type { Exec } from "./client";

/**
 * Runs raw SQL and returns its rows whatever the driver: postgres.js returns an array,
 * PGlite `{ rows }` (CONVENTIONS, pattern 7). Both drivers are configured so that int8 is a
 * number, numeric a string, and date/timestamp a string.
 */
export async function queryRows<T = Record<string, unknown>>(db: Exec, query: SQL): Promise<T[]> {
  const result = (await db.execute(query)) as unknown;
  return (Array.isArray(result) ? result : (result as { rows: T[] }).rows) as T[];
}

export async function queryOne<T = Record<string, unknown>>(db: Exec, query: SQL): Promise<T | undefined> {
  return (await queryRows<T>(db, query))[0];
}

/** A timestamp string from either driver ("2026-01-02 03:04:05.6+00") as ISO 8601, or null. */
export function isoTime(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  const s = String(value);
  const withT = s.includes("T") ? s : s.replace(" ", "T");
  const tz = /([+-]\d{2})$/.test(withT) ? `${withT}:00` : /Z|[+-]\d{2}:\d{2}$/.test(withT) ? withT : `${withT}Z`;
  const d = new Date(tz);
  return Number.isNaN(d.getTime()) ? s : d.toISOString();
}
