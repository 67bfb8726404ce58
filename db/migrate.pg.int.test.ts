/**
 * A migration that alters a queue the application writes into (while cut over, every write to the
 * new tables appends to reverse_changes) waits a bounded time for its lock; PostgreSQL only (a
 * second session holds the lock).
 */
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { queryOne } from "@/db/sql";
import { pgErrorCode } from "@/lib/errors";
import { holdTransaction, withSecondSession } from "@/lib/testing/lock-wait";
import { applyMigrations, migrationStatus } from "./migrate";

const fx = withSecondSession();

/** The database as it was before migration 0013 (its record and its changes undone). */
async function before0013() {
  await fx.t.db.execute(sql`DROP TRIGGER console_reverse_changes_guard ON reverse_changes`);
  await fx.t.db.execute(sql`DROP FUNCTION console_reverse_changes_guard()`);
  await fx.t.db.execute(sql`ALTER TABLE reverse_changes DROP COLUMN new_prestamo_id, ALTER COLUMN prestamo_id SET NOT NULL`);
  await fx.t.db.execute(sql`DELETE FROM drizzle.__drizzle_migrations WHERE id = (SELECT max(id) FROM drizzle.__drizzle_migrations)`);
}

describe("migration 0013 under an application write in flight (postgres)", () => {
  it("gives up within its 2 s lock_timeout with nothing applied, and applies once the write has committed", async () => {
    const { applied } = await migrationStatus(fx.t);
    await before0013();
    // An application transaction that appended to the queue and has not committed yet.
    const writer = holdTransaction(fx.other, (tx) => tx`INSERT INTO reverse_changes (prestamo_id) VALUES (1)`);
    await writer.ready;
    const started = Date.now();
    const refused = await applyMigrations(fx.t).catch((err: unknown) => err);
    const waitedMs = Date.now() - started;
    expect(pgErrorCode(refused)).toBe("55P03");
    expect(waitedMs).toBeLessThan(10_000); // the session's own lock_timeout is 15 s
    expect(await migrationStatus(fx.t)).toEqual({ applied: applied - 1 });
    const column = await queryOne(
      fx.t.db,
      sql`SELECT 1 AS n FROM information_schema.columns WHERE table_name = 'reverse_changes' AND column_name = 'new_prestamo_id'`,
    );
    expect(column).toBeUndefined();

    writer.release();
    await writer.done;
    await applyMigrations(fx.t);
    expect(await migrationStatus(fx.t)).toEqual({ applied });
  });
});
