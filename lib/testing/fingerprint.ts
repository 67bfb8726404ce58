import { sql } from "drizzle-orm";
import type { Exec } from "@/db/client";
import { queryOne, queryRows } from "@/db/sql";

/**
 * Per table: row count + md5 of every row as text, for every table in the schema (the console's
 * and the legacy ones). Left out, on purpose: the audit log (refused calls are audited: checked
 * apart), the rate-limit counters (they count calls) and the tokens' last_used_at (touched at most
 * once a minute by design).
 */
export async function fingerprint(db: Exec): Promise<Record<string, string>> {
  const tables = await queryRows<{ t: string }>(
    db,
    sql`select table_name as t from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE'
          and table_name not in ('console_audit_log', 'console_rate_limits', '__drizzle_migrations', 'test_valid_dates') order by 1`,
  );
  const out: Record<string, string> = {};
  for (const { t } of tables) {
    const expr = t === "console_api_tokens" ? `(to_jsonb(x) - 'last_used_at')::text` : `x::text`;
    const row = await queryOne<{ h: string }>(
      db,
      sql.raw(`select count(*) || ':' || coalesce(md5(string_agg(${expr}, '|' order by ${expr})), '') as h from "${t}" x`),
    );
    out[t] = row!.h;
  }
  return out;
}
