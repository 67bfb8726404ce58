/**
 * postgres.js when the server ends a session (pg_terminate_backend, a restart, a proxy), as
 * patched by lib/cli/patch-postgres.mjs. The console's worker runs each batch in a transaction: a
 * statement of a transaction whose session is gone must fail at once (never wait for ever, never
 * run later on another session), and the pool's next query must get a sound new session. Each
 * case waits for the client to have seen the close (the pool's onclose) before it goes on.
 */
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTestDb, type TestDb } from "@/lib/testing/db";

let t: TestDb;
beforeAll(async () => {
  t = await openTestDb();
});
afterAll(async () => t?.dispose());

/** A pool of one connection, and a promise for its next close as the client sees it. */
function onePool() {
  let seen: () => void = () => {};
  const client = postgres(t.url!, { max: 1, onnotice: () => {}, onclose: () => seen() });
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
    const killer = postgres(t.url!, { max: 1, onnotice: () => {} });
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
      await killer.end();
      await client.end();
    }
  });

  it("in the middle of a statement: the statement fails, and the next query does not inherit the old session's error", async () => {
    const { client, nextClose } = onePool();
    const killer = postgres(t.url!, { max: 1, onnotice: () => {} });
    try {
      const killedPid = await pidOf(client);
      const closed = nextClose();
      const sleeping = within(client`select pg_sleep(30)`, 15_000);
      // The sleep is running on the server before the kill lands.
      for (let i = 0; i < 200; i++) {
        const [{ n }] =
          await killer`select count(*)::int as n from pg_stat_activity where pid = ${killedPid} and query like 'select pg_sleep%' and state = 'active'`;
        if (n === 1) break;
        await new Promise((r) => setTimeout(r, 25));
      }
      await killer`select pg_terminate_backend(${killedPid})`;
      expect(await sleeping).toMatch(/^(57P01|CONNECTION_CLOSED)$/);
      await closed;
      const next = await within(pidOf(client));
      expect(typeof next === "number" && next !== killedPid).toBe(true);
    } finally {
      await killer.end();
      await client.end();
    }
  });
});
