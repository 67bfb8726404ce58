import postgres from "postgres";
import { afterAll, beforeAll } from "vitest";
import { openTestDb, type TestDb } from "./db";

/**
 * Waits until `count` sessions of this database (other than `conn`'s own) wait for a lock, as
 * pg_stat_activity says: a race test forces its interleaving on the event, never on a sleep.
 * Rejects after `timeoutMs` with what the sessions were doing.
 */
export async function waitForLockWaiters(conn: postgres.Sql, count: number, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [row] = await conn`select count(*)::int as n from pg_stat_activity
                             where datname = current_database() and pid <> pg_backend_pid() and wait_event_type = 'Lock'`;
    if (row.n >= count) return;
    if (Date.now() > deadline) {
      const seen =
        await conn`select pid, state, wait_event_type, wait_event, left(query, 80) as query from pg_stat_activity where datname = current_database()`;
      throw new Error(`expected ${count} sessions waiting for a lock, saw ${row.n}: ${JSON.stringify(seen)}`);
    }
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Runs `body` in a transaction on `conn` and keeps it open until `release()`; `ready` resolves once `body` ran. */
export function holdTransaction(conn: postgres.Sql, body: (tx: postgres.TransactionSql) => Promise<unknown>) {
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  let readyResolve!: () => void;
  const ready = new Promise<void>((r) => (readyResolve = r));
  const done = conn.begin(async (tx) => {
    await body(tx);
    readyResolve();
    await released;
  });
  done.catch(() => readyResolve());
  return { ready, release, done };
}

/**
 * A test file's database and a second session on it (two connections: one to hold a lock or a
 * transaction, one to watch), opened before its tests and closed after them. PostgreSQL only.
 */
export function withSecondSession(): { readonly t: TestDb; readonly other: postgres.Sql } {
  const fixture = {} as { t: TestDb; other: postgres.Sql };
  beforeAll(async () => {
    fixture.t = await openTestDb();
    fixture.other = postgres(fixture.t.url!, { max: 2, onnotice: () => {} });
  });
  afterAll(async () => {
    await fixture.other?.end();
    await fixture.t?.dispose();
  });
  return fixture;
}
