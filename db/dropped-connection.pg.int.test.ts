/**
 * postgres.js when the server ends a session (pg_terminate_backend, a restart, a proxy), as
 * patched by lib/cli/patch-postgres.mjs. The console's worker runs each batch in a transaction: a
 * statement of a transaction whose session is gone must fail at once (never wait for ever, never
 * run later on another session), and the pool's next query must get a sound new session. Each
 * case waits for the client to have seen the close (the pool's onclose) before it goes on; the
 * second session ends the first one's backend.
 */
import postgres from "postgres";
import { describe, expect, it } from "vitest";
import { holdTransaction, waitForLockWaiters, withSecondSession } from "@/lib/testing/lock-wait";

const fixture = withSecondSession();

/** A pool of one connection, and a promise for its next close as the client sees it. */
function onePool() {
  let seen: () => void = () => {};
  const client = postgres(fixture.t.url!, { max: 1, onnotice: () => {}, onclose: () => seen() });
  return { client, nextClose: () => new Promise<void>((resolve) => (seen = resolve)) };
}

/** What a promise came to within `ms`: its value, its error's code, or "still waiting". */
async function within(p: Promise<unknown>, ms = 5_000): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const waiting = new Promise((resolve) => (timer = setTimeout(() => resolve("still waiting"), ms)));
  const settled = p.then(
    (value) => value,
    (err: { code?: string; message?: string }) => err.code ?? err.message,
  );
  return Promise.race([settled, waiting]).finally(() => clearTimeout(timer));
}

const pidOf = async (q: postgres.Sql | postgres.TransactionSql) => Number((await q`select pg_backend_pid() as pid`)[0].pid);

describe("a session ended by the server (postgres.js, patched)", () => {
  it("between two statements of a transaction: the next one fails at once, and the pool's next query runs on a new session", async () => {
    const { client, nextClose } = onePool();
    const killer = fixture.other;
    try {
      let afterClose: Promise<unknown> = Promise.resolve("not reached");
      let killedPid = 0;
      const closed = nextClose();
      const tx = client.begin(async (sql) => {
        killedPid = await pidOf(sql);
        await killer`select pg_terminate_backend(${killedPid})`;
        await closed;
        afterClose = within(sql`select 2 as two`);
        await afterClose;
      });
      expect(await within(tx)).toBe("CONNECTION_CLOSED");
      // Unpatched, it was written to no socket and waited until the reconnect, then took the old
      // session's error; or it waited for ever.
      expect(await afterClose).toBe("CONNECTION_CLOSED");
      const next = await within(pidOf(client));
      expect(typeof next === "number" && next !== killedPid).toBe(true);
    } finally {
      await client.end();
    }
  });

  it("in the middle of a statement: the statement fails, and the next query does not inherit the old session's error", async () => {
    const { client, nextClose } = onePool();
    const other = fixture.other;
    // The statement is in flight when the kill lands: it waits on a lock the other session holds.
    const held = holdTransaction(other, (tx) => tx`select pg_advisory_xact_lock(727365099)`);
    await held.ready;
    try {
      const killedPid = await pidOf(client);
      const closed = nextClose();
      const waiting = within(client`select pg_advisory_lock(727365099)`, 15_000);
      await waitForLockWaiters(other, 1);
      await other`select pg_terminate_backend(${killedPid})`;
      expect(await waiting).toMatch(/^(57P01|CONNECTION_CLOSED)$/);
      await closed;
      const next = await within(pidOf(client));
      expect(typeof next === "number" && next !== killedPid).toBe(true);
    } finally {
      held.release();
      await held.done;
      await client.end();
    }
  });
});
