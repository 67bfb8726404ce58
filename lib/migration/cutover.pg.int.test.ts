/**
 * The cut-over against a second session (PostgreSQL only: the embedded database has one
 * connection). Each interleaving is forced: a lock held by an application transaction, a barrier
 * lock the switch must wait for, application statements seen waiting in pg_stat_activity.
 */
import { sql } from "drizzle-orm";
import postgres from "postgres";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { queryOne, queryRows } from "@/db/sql";
import { openTestDb, type TestDb } from "@/lib/testing/db";
import { seedLegacy } from "@/lib/testing/legacy-seed";
import { resetMigrationTables } from "@/lib/testing/reset";
import { expectZeroDiffs } from "@/lib/testing/zero-diffs";
import { isCaptureInstalled } from "./capture";
import { getConsistencySummary } from "./consistency";
import { archiveMismatches, cutOver, getPhase, revert } from "./cutover";
import { rollbackOne } from "./prestamo-actions";
import { drainReverse } from "./reverse-capture";
import { startRun } from "./runs";
import { runToEnd } from "@/lib/testing/run-to-end";

const admin = { name: "admin@test.local", kind: "user" as const };
let t: TestDb;
let app: postgres.Sql; // the application's own connections

beforeAll(async () => {
  t = await openTestDb();
  app = postgres(t.url!, { max: 4, onnotice: () => {} });
});
afterAll(async () => {
  await app?.end();
  await t?.dispose();
});
beforeEach(async () => {
  await resetMigrationTables(t.db);
  await seedLegacy(t.db, 200, 0);
  const run = await startRun(t.db, { workers: 1 }, admin, "test#1");
  await runToEnd(t.db, run.id, "test#1");
});

const inputs = async () => ({ consistency: { summary: await getConsistencySummary(t.db), ageMs: 0 } });

/** An application transaction that wrote `sqlText` and keeps its locks until `release()`. */
function holdAppTransaction(sqlText: string) {
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  let locked!: () => void;
  const isLocked = new Promise<void>((r) => (locked = r));
  const done = app.begin(async (tx) => {
    await tx.unsafe(sqlText);
    locked();
    await released;
  });
  return { isLocked, release, done };
}

/** Polls the catalog (not the clock) until `query` answers true. */
async function until(query: string, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const row = await queryOne<{ ok: boolean }>(t.db, sql.raw(query));
    if (row?.ok) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${query}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
// A relation's oid is unique only within its database, and the other files' databases are
// clones of one template: only this database's locks count.
const someoneWaitsOn = (table: string) =>
  `select exists (select 1 from pg_locks l join pg_class c on c.oid = l.relation
                  where l.database = (select oid from pg_database where datname = current_database())
                    and not l.granted and c.relname = '${table}') as ok`;

describe("a lock held by the application during the switch", () => {
  it("is retried within the budget, then 503 with nothing changed", async () => {
    const holder = holdAppTransaction(`update prestamos set monto = monto + 1, updated_at = now() where id = 5`);
    await holder.isLocked;
    try {
      const err = await cutOver(t.db, admin, await inputs(), { lockTimeoutMs: 100, budgetMs: 1200 }).catch((e) => e);
      expect(err).toMatchObject({ code: "UNAVAILABLE", status: 503, details: { attempts: expect.any(Number) } });
      expect(err.details.attempts).toBeGreaterThan(1);
      expect(await getPhase(t.db)).toBe("legacy");
      expect((await queryOne<{ k: string }>(t.db, sql`select relkind::text as k from pg_class where relname = 'prestamos'`))!.k).toBe("r");
      expect(await queryOne(t.db, sql`select to_regclass('prestamos_legacy') as r`)).toEqual({ r: null });
      expect(await isCaptureInstalled(t.db)).toBe(true);
      expect(await queryOne(t.db, sql`select count(*)::int as n from cutover_switches`)).toEqual({ n: 0 });
    } finally {
      holder.release();
      await holder.done;
    }
  });

  it("goes through once the application commits, with the application's write drained inside the switch", async () => {
    const holder = holdAppTransaction(`update prestamos set monto = 4321, updated_at = now() where id = 6`);
    await holder.isLocked;
    const switching = cutOver(t.db, admin, await inputs(), { lockTimeoutMs: 200, budgetMs: 30_000 });
    // The switch is waiting for the application's lock: now the application commits.
    await until(someoneWaitsOn("prestamos"));
    holder.release();
    await holder.done;
    const done = await switching;
    expect(done.switch.attempts).toBeGreaterThanOrEqual(1);
    expect(done.phase).toBe("cut_over");
    expect(await queryOne(t.db, sql`select monto_cents::int as m from prestamos_new where legacy_id = 6`)).toEqual({ m: 432100 });
  });
});

describe("writes that queue behind the switch", () => {
  it("go through the views once it commits: the old application's statements land in the new tables, none in the archive alone", async () => {
    // A barrier the switch meets after its renames, before its commit: its own record's table.
    const barrier = holdAppTransaction(`lock table cutover_switches in share mode`);
    await barrier.isLocked;
    const switching = cutOver(t.db, admin, await inputs(), { lockTimeoutMs: 20_000, budgetMs: 60_000 });
    await until(someoneWaitsOn("cutover_switches"));
    // The application writes now: its statements queue behind the switch's locks (postgres.js
    // sends a query when it is awaited or executed).
    const update = app`update prestamos set monto = 555, updated_at = now() where id = 3`.execute();
    const insert = app`insert into pagos_prestamo (prestamo_id, monto, fecha_pago, metodo) values (4, 12.34, '2024-04-04', 'tef') returning id`.execute();
    const move = app`update pagos_prestamo set prestamo_id = 7 where id = (select min(id) from pagos_prestamo where prestamo_id = 8)`.execute();
    await until(
      `select count(*) >= 3 as ok from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and query not ilike '%cutover_switches%'`,
    );
    barrier.release();
    await barrier.done;
    await switching;
    const [inserted] = await insert;
    await update;
    await move;
    expect(await queryOne(t.db, sql`select monto_cents::int as m from prestamos_new where legacy_id = 3`)).toEqual({ m: 55500 });
    expect(
      await queryOne(
        t.db,
        sql`select g.monto_cents::int as m, p.legacy_id from pagos_prestamo_new g join prestamos_new p on p.id = g.prestamo_id where g.legacy_id = ${inserted.id}`,
      ),
    ).toEqual({ m: 1234, legacy_id: 4 });
    while ((await drainReverse(t.db)).entries > 0);
    expect(await archiveMismatches(t.db)).toEqual({ count: 0, sample: [] });

    // And the way back brings all of it home.
    await revert(t.db, admin);
    expect(await queryOne(t.db, sql`select monto::text from prestamos where id = 3`)).toEqual({ monto: "555.00" });
    expect(await queryOne(t.db, sql`select prestamo_id from pagos_prestamo where id = ${inserted.id}`)).toEqual({ prestamo_id: 4 });
    await expectZeroDiffs(t.db);
  });

  it("during a revert go to the legacy tables once it commits", async () => {
    await cutOver(t.db, admin, await inputs());
    const barrier = holdAppTransaction(`lock table cutover_switches in share mode`);
    await barrier.isLocked;
    const reverting = revert(t.db, admin, { lockTimeoutMs: 20_000, budgetMs: 60_000 });
    await until(someoneWaitsOn("cutover_switches"));
    const update = app`update prestamos set monto = 777, updated_at = now() where id = 10`.execute();
    const insert =
      app`insert into prestamos (cliente_nombre, monto, tasa_interes, plazo_meses, fecha_otorgamiento, estado) values ('Durante Revert', 10, 10, 12, '2024-01-01', 'activo') returning id`.execute();
    await until(
      `select count(*) >= 2 as ok from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and query not ilike '%cutover_switches%'`,
    );
    barrier.release();
    await barrier.done;
    const reverted = await reverting;
    // Where its time went, kept with the switch as the cut-over's is.
    expect(Object.keys((reverted.switch.details as { steps: object }).steps).sort()).toEqual(
      ["captureMs", "ddlMs", "lockedDrainMs", "preLockDrainMs", "tablesLockMs", "viewsLockMs"].sort(),
    );
    const [row] = await insert;
    await update;
    expect(await queryOne(t.db, sql`select monto::text from prestamos where id = 10`)).toEqual({ monto: "777.00" });
    expect(await queryOne(t.db, sql`select cliente_nombre from prestamos where id = ${row.id}`)).toEqual({ cliente_nombre: "Durante Revert" });
    // Forward capture was installed in the revert's transaction: both writes were captured.
    const queued = await queryOne<{ n: number }>(
      t.db,
      sql`select count(distinct prestamo_id)::int as n from capture_changes where prestamo_id in (10, ${row.id})`,
    );
    expect(queued!.n).toBe(2);
  });
});

describe("what changes between the gates and the writes held", () => {
  const nothingChanged = async () => {
    expect(await getPhase(t.db)).toBe("legacy");
    expect((await queryOne<{ k: string }>(t.db, sql`select relkind::text as k from pg_class where relname = 'prestamos'`))!.k).toBe("r");
    expect(await isCaptureInstalled(t.db)).toBe(true);
    expect(await queryOne(t.db, sql`select count(*)::int as n from cutover_switches`)).toEqual({ n: 0 });
  };
  /**
   * A cut-over whose gates passed, held at its first lock (the phase row, behind a reader of it)
   * while `meanwhile` runs; then let go, and `afterRelease` runs while it goes on. Resolves to what
   * the cut-over threw.
   */
  const switchAfter = async (
    meanwhile: () => Promise<unknown>,
    opts: { preLockDrainBudgetMs?: number } = {},
    afterRelease: () => Promise<unknown> = async () => {},
  ) => {
    const barrier = holdAppTransaction(`select 1 from cutover_state where id = 1 for share`);
    await barrier.isLocked;
    const switching = cutOver(t.db, admin, await inputs(), { lockTimeoutMs: 20_000, budgetMs: 60_000, ...opts }).catch((e) => e);
    await until(
      `select exists (select 1 from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and query ilike '%from cutover_state%for update%') as ok`,
    );
    await meanwhile();
    barrier.release();
    await barrier.done;
    await afterRelease();
    return switching;
  };

  it("a rollback committed after the gates passed: the switch counts again before it holds the writes, and refuses", async () => {
    // A rollback reads the phase row too: it commits while the switch waits.
    const err = await switchAfter(() => rollbackOne(t.db, 20, admin));
    expect(err).toMatchObject({ code: "CONFLICT", status: 409, message: "Cut-over refused: some prestamos have no new row", details: { rolledBack: 1 } });
    await nothingChanged();
  });

  it("dirty data the application commits after the gates is refused before the writes are ever held", async () => {
    const err = await switchAfter(() => app`update prestamos set estado = 'desconocido', updated_at = now() where id = 14`);
    expect(err).toMatchObject({ code: "CONFLICT", message: "Cut-over refused: 1 drained prestamo do not match" });
    expect(err.details.mismatches).toEqual([{ legacy_id: 14, why: expect.any(String) }]);
    await nothingChanged();
    expect(await queryOne(t.db, sql`select count(*)::int as n from capture_changes where prestamo_id = 14`)).toEqual({ n: 1 });
  });

  it("changes arriving faster than the passes before the lock drain them: 503, the writes never held, nothing changed", async () => {
    // 1,200 entries after the gates, a budget already spent after the first pass.
    const err = await switchAfter(
      async () => {
        for (let k = 0; k < 6; k++) await app`update prestamos set monto = monto where id <= 200`;
      },
      { preLockDrainBudgetMs: 0 },
    );
    expect(err).toMatchObject({ code: "UNAVAILABLE", status: 503, details: { lastPassEntries: 1200 } });
    expect(err.message).toMatch(
      /^Cut-over: the application's changes arrive faster than the switch drains them \(1,200 entries in [0-9,]+ ms in its last pass/,
    );
    await nothingChanged();
    expect(await queryOne(t.db, sql`select count(*)::int as n from capture_changes`)).toEqual({ n: 1200 });
  });

  it("a last pass that was short but slow refuses too: the one under the lock would hold the writes about as long", async () => {
    // 150 entries, a budget spent after the first pass, and that pass kept waiting on a row the
    // application holds for longer than a pass may take.
    const rowHolder = holdAppTransaction(`select 1 from prestamos_new where legacy_id = 150 for update`);
    const err = await switchAfter(
      async () => {
        await app`update prestamos set monto = monto where id <= 150`;
        await rowHolder.isLocked;
      },
      { preLockDrainBudgetMs: 0 },
      async () => {
        await until(
          `select exists (select 1 from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and wait_event in ('transactionid', 'tuple')) as ok`,
        );
        await new Promise((r) => setTimeout(r, 400)); // the pass waits on the row: it takes longer than 300 ms
        rowHolder.release();
        await rowHolder.done;
      },
    );
    expect(err).toMatchObject({ code: "UNAVAILABLE", status: 503, details: { lastPassEntries: 150 } });
    expect(err.details.lastPassMs).toBeGreaterThan(300);
    await nothingChanged();
  });

  it("a write the application commits while the switch waits for its lock is drained and checked: dirty data refuses it, the change stays queued", async () => {
    const holder = holdAppTransaction(`update prestamos set estado = 'desconocido', updated_at = now() where id = 11`);
    await holder.isLocked;
    const switching = cutOver(t.db, admin, await inputs(), { lockTimeoutMs: 20_000, budgetMs: 60_000 }).catch((e) => e);
    await until(someoneWaitsOn("prestamos"));
    holder.release();
    await holder.done;
    const err = await switching;
    expect(err).toMatchObject({ code: "CONFLICT", status: 409, message: "Cut-over refused: 1 drained prestamo do not match" });
    expect(err.details.mismatches).toEqual([{ legacy_id: 11, why: expect.any(String) }]);
    await nothingChanged();
    expect(await queryOne(t.db, sql`select count(*)::int as n from capture_changes where prestamo_id = 11`)).toEqual({ n: 1 });
  });

  it("the switch keeps where its time went: the count and a first drain before the writes are held, the rest after", async () => {
    // Checked just before the application's writes: one queued before the switch, one while it waits.
    const checked = await inputs();
    await app`update prestamos set monto = 4444, updated_at = now() where id = 12`;
    const holder = holdAppTransaction(`update prestamos set monto = 3333, updated_at = now() where id = 13`);
    await holder.isLocked;
    const switching = cutOver(t.db, admin, checked, { lockTimeoutMs: 20_000, budgetMs: 60_000 }).finally(() => holder.release());
    await until(someoneWaitsOn("prestamos"));
    holder.release();
    await holder.done;
    const done = await switching;
    const row = await queryOne<{ details: { drainedIds: number[]; steps: Record<string, number> } }>(
      t.db,
      sql`select details from cutover_switches where id = ${done.switch.id}`,
    );
    expect(row!.details.drainedIds).toEqual([12, 13]);
    expect(Object.keys(row!.details.steps).sort()).toEqual(["ddlMs", "lockedDrainMs", "lockedRecheckMs", "preLockDrainMs", "stateScanMs"]);
    for (const ms of Object.values(row!.details.steps)) expect(ms).toBeGreaterThanOrEqual(0);
    expect(done.switch.drainedPrestamos).toBe(2);
    expect(await queryOne(t.db, sql`select monto_cents::int as m from prestamos_new where legacy_id = 12`)).toEqual({ m: 444400 });
    expect(await queryOne(t.db, sql`select monto_cents::int as m from prestamos_new where legacy_id = 13`)).toEqual({ m: 333300 });
  });
});

describe("two application sessions writing the same prestamo through the views at once", () => {
  // Each prestamo of the new tables whose kept totals disagree with its own pagos, as the old
  // application would read them back; and the archive, which the reverse capture follows.
  const wrongTotals = () =>
    queryRows(
      t.db,
      sql`select p.legacy_id, p.total_pagado_cents::int as kept, coalesce(sum(g.monto_cents) filter (where not g.anulado), 0)::int as actual
                     from prestamos_new p left join pagos_prestamo_new g on g.prestamo_id = p.id
                     group by p.id having p.total_pagado_cents <> coalesce(sum(g.monto_cents) filter (where not g.anulado), 0)
                         or p.saldo_cents <> p.monto_cents - coalesce(sum(g.monto_cents) filter (where not g.anulado), 0)
                         or p.pagos_count <> count(g.id) filter (where not g.anulado)`,
    );
  /** A pago of a prestamo past `after` (not every prestamo of the seed has pagos). */
  const somePago = async (after: number) =>
    (await queryOne<{ id: number; prestamo: number }>(
      t.db,
      sql`select id::int, prestamo_id::int as prestamo from pagos_prestamo where prestamo_id > ${after} order by prestamo_id, id limit 1`,
    ))!;
  const expectTotalsRight = async () => {
    expect(await wrongTotals()).toEqual([]);
    while ((await drainReverse(t.db)).entries > 0);
    expect(await archiveMismatches(t.db)).toEqual({ count: 0, sample: [] });
  };
  /** `second` is sent while `first`'s transaction is open, and is seen waiting for its lock before `first` commits. */
  async function overlapping(first: string, second: () => Promise<unknown>) {
    const holder = holdAppTransaction(first);
    await holder.isLocked;
    const waiting = second();
    const settledFirst = waiting.then(
      (r) => Promise.reject(new Error(`the second statement did not wait: ${JSON.stringify(r)}`)),
      (e) => Promise.reject(new Error(`the second statement did not wait: ${e}`)),
    );
    try {
      await Promise.race([
        until(`select exists (select 1 from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock') as ok`),
        settledFirst,
      ]);
    } finally {
      holder.release();
      await holder.done;
    }
    await waiting;
  }

  it("a pago paid into a prestamo while another session moves one of its pagos away: the prestamo counts both", async () => {
    await cutOver(t.db, admin, await inputs());
    const moved = await somePago(20);
    await overlapping(`insert into pagos_prestamo (prestamo_id, monto, fecha_pago, metodo) values (${moved.prestamo}, 7, '2024-05-05', 'cash')`, () =>
      app`update pagos_prestamo set prestamo_id = ${moved.prestamo + 1} where id = ${moved.id}`.execute(),
    );
    await expectTotalsRight();
  });

  it("one pago moved by two sessions at once: the second is refused (40001), the pago counts once, under the prestamo it is under", async () => {
    await cutOver(t.db, admin, await inputs());
    const moved = await somePago(30);
    let refused: unknown = null;
    await overlapping(`update pagos_prestamo set prestamo_id = ${moved.prestamo + 1} where id = ${moved.id}`, () =>
      app`update pagos_prestamo set prestamo_id = ${moved.prestamo + 2} where id = ${moved.id}`.execute().catch((e) => (refused = e)),
    );
    expect(refused).toMatchObject({ code: "40001" });
    expect(await queryOne(t.db, sql`select prestamo_id::int as p from pagos_prestamo where id = ${moved.id}`)).toEqual({ p: moved.prestamo + 1 });
    await expectTotalsRight();
  });

  it("monto = monto + 1 from two sessions at once: the second is refused (40001) rather than losing the first's change", async () => {
    await cutOver(t.db, admin, await inputs());
    const before = (await queryOne<{ m: string }>(t.db, sql`select monto::text as m from prestamos where id = 40`))!.m;
    let refused: unknown = null;
    await overlapping(`update prestamos set monto = monto + 1 where id = 40`, () =>
      app`update prestamos set monto = monto + 1 where id = 40`.execute().catch((e) => (refused = e)),
    );
    expect(refused).toMatchObject({ code: "40001" });
    expect(await queryOne(t.db, sql`select monto::text as m from prestamos where id = 40`)).toEqual({ m: (Number(before) + 1).toFixed(2) });
    // Retried, as a client retries a serialization failure, it lands on the new value.
    await app`update prestamos set monto = monto + 1 where id = 40`;
    expect(await queryOne(t.db, sql`select monto::text as m from prestamos where id = 40`)).toEqual({ m: (Number(before) + 2).toFixed(2) });
    await expectTotalsRight();
  });
});

describe("an application role that is not the console", () => {
  // Roles belong to the server, not to one database: named after this run, dropped after the case.
  const writer = `app_writer_${(process.env.TEST_RUN_TAG ?? String(process.pid)).replace(/\W/g, "_")}_${process.pid}`.toLowerCase();
  const reader = `${writer}_ro`;
  const dropRoles = async () => {
    for (const role of [writer, reader]) {
      if (!(await queryOne(t.db, sql`select 1 as x from pg_roles where rolname = ${role}`))) continue;
      await t.db.execute(sql.raw(`drop owned by ${role}`));
      await t.db.execute(sql.raw(`drop role ${role}`));
    }
  };
  afterAll(dropRoles);

  it("writes through the views with the privileges it had on the tables, and no more", async () => {
    await dropRoles();
    await t.db.execute(sql.raw(`create role ${writer} login nosuperuser`));
    await t.db.execute(sql.raw(`create role ${reader} login nosuperuser`));
    await t.db.execute(sql.raw(`grant usage on schema public to ${writer}, ${reader}`));
    await t.db.execute(sql.raw(`grant select, insert, update, delete on prestamos, pagos_prestamo to ${writer}`));
    await t.db.execute(sql.raw(`grant usage on sequence prestamos_id_seq, pagos_prestamo_id_seq to ${writer}`));
    await t.db.execute(sql.raw(`grant select on prestamos to ${reader}`));
    await t.db.execute(sql.raw(`grant update (monto) on prestamos to ${reader}`));
    await cutOver(t.db, admin, await inputs());

    const asWriter = postgres(t.url!, { max: 1, username: writer, onnotice: () => {} });
    const asReader = postgres(t.url!, { max: 1, username: reader, onnotice: () => {} });
    try {
      expect((await asWriter`select current_user as u, usesuper from pg_user where usename = current_user`)[0]).toEqual({ u: writer, usesuper: false });
      const [p] = await asWriter`insert into prestamos (cliente_nombre, monto, tasa_interes, plazo_meses, fecha_otorgamiento, estado)
                                 values ('Rol De Aplicacion', 100, 10, 12, '2024-01-01', 'activo') returning id`;
      await asWriter`update prestamos set monto = 250, updated_at = now() where id = ${p.id}`;
      const [g] =
        await asWriter`insert into pagos_prestamo (prestamo_id, monto, fecha_pago, metodo) values (${p.id}, 5, '2024-02-02', 'efectivo') returning id`;
      await asWriter`delete from pagos_prestamo where id = ${g.id}`;
      expect(await queryOne(t.db, sql`select monto_cents::int as m, pagos_count::int as n from prestamos_new where legacy_id = ${p.id}`)).toEqual({
        m: 25000,
        n: 0,
      });

      // The reader could read prestamos and change only its monto: the same through the view.
      expect((await asReader`select count(*)::int as n from prestamos where id = ${p.id}`)[0]).toEqual({ n: 1 });
      await asReader`update prestamos set monto = 300 where id = ${p.id}`;
      expect(await queryOne(t.db, sql`select monto_cents::int as m from prestamos_new where legacy_id = ${p.id}`)).toEqual({ m: 30000 });
      const denied = async (q: Promise<unknown>) =>
        await q.then(
          () => "allowed",
          (e: { code?: string }) => e.code,
        );
      expect(await denied(asReader`delete from prestamos where id = ${p.id}`)).toBe("42501");
      expect(await denied(asReader`update prestamos set estado = 'pagado' where id = ${p.id}`)).toBe("42501");
      expect(await denied(asReader`select 1 from pagos_prestamo limit 1`)).toBe("42501");
    } finally {
      await asWriter.end();
      await asReader.end();
    }
  });
});
