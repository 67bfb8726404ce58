/** Admin-set settings of the console: one JSON value per key in console_settings, audited. */
import { sql } from "drizzle-orm";
import type { Db, Exec } from "@/db/client";
import { isoTime, queryOne } from "@/db/sql";
import { writeAudit, type Actor } from "@/lib/audit";

export const MAX_WRITES_KEY = "preflight.maxWritesPerSecond";
/** Above this many legacy writes per second the quiet-period check warns. */
export const DEFAULT_MAX_WRITES_PER_SECOND = 50;

export interface PreflightSettings {
  maxWritesPerSecond: number;
  /** null when the default applies. */
  updatedBy: string | null;
  updatedAt: string | null;
}

export async function getPreflightSettings(db: Exec): Promise<PreflightSettings> {
  const row = await queryOne<{ value: unknown; updated_by: string; updated_at: string }>(
    db,
    sql`SELECT value, updated_by, updated_at::text AS updated_at FROM console_settings WHERE key = ${MAX_WRITES_KEY}`,
  );
  const raw = typeof row?.value === "string" ? JSON.parse(row.value) : row?.value;
  const n = typeof raw === "number" && Number.isFinite(raw) && raw >= 0 ? raw : DEFAULT_MAX_WRITES_PER_SECOND;
  return { maxWritesPerSecond: n, updatedBy: row?.updated_by ?? null, updatedAt: isoTime(row?.updated_at ?? null) };
}

/** Sets the quiet-period threshold; the change and its audit row commit together. */
export async function setPreflightSettings(db: Db, input: { maxWritesPerSecond: number }, actor: Actor): Promise<PreflightSettings> {
  return db.transaction(async (tx) => {
    const before = await getPreflightSettings(tx);
    await tx.execute(sql`INSERT INTO console_settings (key, value, updated_by, updated_at)
                         VALUES (${MAX_WRITES_KEY}, ${JSON.stringify(input.maxWritesPerSecond)}::jsonb, ${actor.name}, now())
                         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_by = excluded.updated_by, updated_at = now()`);
    await writeAudit(tx, actor, {
      action: "preflight.settings",
      target: MAX_WRITES_KEY,
      outcome: "ok",
      status: 200,
      details: { from: before.maxWritesPerSecond, to: input.maxWritesPerSecond },
    });
    return getPreflightSettings(tx);
  });
}
