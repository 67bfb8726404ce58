import { sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { queryOne, queryRows } from "@/db/sql";
import { systemActor, type Actor } from "@/lib/audit";
import { rootMessage } from "@/lib/errors";
import { openTestDb, type TestDb } from "@/lib/testing/db";
import { resetMigrationTables } from "@/lib/testing/reset";
import { independentCompare } from "@/lib/testing/independent";
import { expectZeroDiffs as expectZeroDiffsIn } from "@/lib/testing/zero-diffs";
import { seedLegacy } from "@/lib/testing/legacy-seed";
import { drainAll, endCapture, isCaptureInstalled } from "./capture";
import { migrateSingle, rollbackAll, rollbackOne } from "./prestamo-actions";
import { getProgress } from "./progress";
import { claimActiveRun, requestStop, setRunPaused, startRun, tuneRun } from "./runs";
import { processBatch, type BatchOutcome } from "./run-batches";
import { runToEnd } from "@/lib/testing/run-to-end";

let db: TestDb;
const admin: Actor = { name: "admin@test.local", kind: "user", role: "admin" };
const W = "test-worker";

const reset = () => resetMigrationTables(db.db, ["console_audit_log"]);

const drainQueue = () => drainAll(db.db);

const expectZeroDiffs = (scope: "all" | "migrated" = "all") => expectZeroDiffsIn(db.db, scope);

beforeAll(async () => {
  db = await openTestDb();
});
afterAll(async () => db?.dispose());
beforeEach(reset);

describe("a run", () => {
  it("migrates every valid prestamo with all its pagos, exactly as an independent expectation says, and records failures", async () => {
    await seedLegacy(db.db, 1300, 20);
    const run = await startRun(db.db, { batchSize: 250, errorThresholdPct: 50 }, admin, W);
    const ended = await runToEnd(db.db, run.id, W);
    expect(ended?.status).toBe("finished");
    const report = await expectZeroDiffs();
    const st = await queryOne<{ migrated: number; failed: number }>(
      db.db,
      sql`select count(*) filter (where state = 'migrated')::int as migrated, count(*) filter (where state = 'failed')::int as failed from migration_state`,
    );
    expect(st!.migrated).toBe(report.counts.legacyValid);
    expect(st!.migrated + st!.failed).toBe(1300);
    expect(ended!.processed).toBe(1300);
    expect(ended!.checkpoint).toBe(1300);
    expect(ended!.batches).toBe(6);
    // Every failure code of the seed is recorded, with the field and the offending value.
    const codes = await queryRows<{ code: string; field: string; value: string | null; pago_id: number | null }>(
      db.db,
      sql`select distinct on (code) code, field, value, pago_id from migration_failures order by code, legacy_id`,
    );
    expect(codes.map((c) => c.code).sort()).toEqual(
      ["INVALID_CLIENTE", "INVALID_FECHA", "INVALID_MONTO", "INVALID_PAGO", "INVALID_PLAZO", "INVALID_TASA", "UNKNOWN_ESTADO", "UNKNOWN_MONEDA"].sort(),
    );
    expect(codes.find((c) => c.code === "INVALID_PAGO")).toMatchObject({ field: "monto", value: "-5.00" });
    expect(codes.find((c) => c.code === "INVALID_PAGO")!.pago_id).toBeGreaterThan(0);
    expect(codes.find((c) => c.code === "INVALID_FECHA")).toMatchObject({ field: "fecha_otorgamiento", value: "31/02/2021" });
    const progress = await getProgress(db.db);
    expect(progress.totals).toMatchObject({ total: 1300, pending: 0, remaining: 0, percent: 100 });
    expect(progress.state).toBe("finished");
    expect(progress.stop?.detail).toMatch(/finished/);
  });

  it("halts at the error threshold once 1,000 are processed, says so, and a retry run takes failed and rolled back ones again", async () => {
    await seedLegacy(db.db, 1500, 20); // 5 % invalid
    const run = await startRun(db.db, { batchSize: 200 }, admin, W); // default threshold 1 %
    const ended = await runToEnd(db.db, run.id, W);
    expect(ended?.status).toBe("halted");
    expect(ended!.processed).toBe(1000);
    const failedSoFar = await queryOne<{ n: number }>(db.db, sql`select count(*)::int as n from migration_state where state = 'failed'`);
    expect(failedSoFar!.n).toBeGreaterThan(10);
    expect(ended!.failed).toBe(failedSoFar!.n);
    expect(ended!.stopDetail).toBe(
      `halted: error rate ${((failedSoFar!.n / 1000) * 100).toFixed(2)} % (${failedSoFar!.n} of 1,000 processed) exceeds the threshold of 1 %`,
    );
    const audit = await queryOne<{ n: number }>(
      db.db,
      sql`select count(*)::int as n from console_audit_log where action = 'migration.halt' and target = ${`run:${run.id}`}`,
    );
    expect(audit!.n).toBe(1);
    expect((await getProgress(db.db)).state).toBe("halted");

    // Fix one failed prestamo in legacy, roll one migrated back, then a retry run.
    const failedOne = await queryOne<{ legacy_id: number }>(db.db, sql`select legacy_id from migration_failures where code = 'UNKNOWN_ESTADO' limit 1`);
    await db.db.execute(sql`update prestamos set estado = 'activo' where id = ${failedOne!.legacy_id}`);
    await rollbackOne(db.db, 2, admin);
    const plain = await startRun(db.db, { errorThresholdPct: 100 }, admin, W);
    await runToEnd(db.db, plain.id, W);
    let states = await queryRows<{ legacy_id: number; state: string }>(
      db.db,
      sql`select legacy_id, state from migration_state where legacy_id in (2, ${failedOne!.legacy_id}) order by 1`,
    );
    expect(states.map((s) => s.state)).toEqual(["rolled_back", "failed"]); // without retry: left alone
    const stillFailed = await queryOne<{ n: number }>(db.db, sql`select count(*)::int as n from migration_state where state = 'failed'`);
    const retry = await startRun(db.db, { errorThresholdPct: 100, retry: true }, admin, W);
    const retried = await runToEnd(db.db, retry.id, W);
    states = await queryRows(db.db, sql`select legacy_id, state from migration_state where legacy_id in (2, ${failedOne!.legacy_id}) order by 1`);
    expect(states.map((s) => s.state)).toEqual(["migrated", "migrated"]);
    expect(await queryOne(db.db, sql`select 1 from migration_failures where legacy_id = ${failedOne!.legacy_id}`)).toBeUndefined();
    expect(retried!.processed).toBe(stillFailed!.n + 1); // every failed one (the fixed one among them) and the rolled back one
    await expectZeroDiffs();
  });

  it("stops after its batch on request, and a new run goes on where the data stands", async () => {
    await seedLegacy(db.db, 900);
    const run = await startRun(db.db, { batchSize: 100 }, admin, W);
    await processBatch(db.db, run.id, W);
    await processBatch(db.db, run.id, W);
    const stopping = await requestStop(db.db, admin);
    expect(stopping.status).toBe("running"); // a live worker holds it: it stops after its batch
    const out = await processBatch(db.db, run.id, W);
    expect(out.kind).toBe("ended");
    expect(out.kind === "ended" && out.run.status).toBe("stopped");
    expect(out.kind === "ended" && out.run.stopDetail).toMatch(/stopped by admin@test.local/);
    await expect(requestStop(db.db, admin)).rejects.toMatchObject({ code: "CONFLICT" });
    const again = await startRun(db.db, {}, admin, W);
    const ended = await runToEnd(db.db, again.id, W);
    expect(ended!.processed).toBe(700);
    await expectZeroDiffs();
  });

  it("is one at a time: of two starts at once, exactly one wins and the other is a conflict", async () => {
    await seedLegacy(db.db, 10);
    const results = await Promise.allSettled([startRun(db.db, {}, admin, "a"), startRun(db.db, {}, admin, "b")]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const rejected = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
    expect(rejected.reason).toMatchObject({ code: "CONFLICT" });
    const n = await queryOne<{ n: number }>(db.db, sql`select count(*)::int as n from migration_runs`);
    expect(n!.n).toBe(1);
  });

  it("resumes from its checkpoint after the worker dies inside a batch: nothing twice, nothing skipped", async () => {
    await seedLegacy(db.db, 1000, 50);
    const run = await startRun(db.db, { batchSize: 150, errorThresholdPct: 50 }, admin, "dead-worker");
    await processBatch(db.db, run.id, "dead-worker");
    await processBatch(db.db, run.id, "dead-worker");
    // The third batch dies half-way, the engine's own: after writing its prestamos, its pagos and
    // their states, as it records the batch. Its transaction never commits.
    await db.db.execute(sql.raw(`create function test_die() returns trigger language plpgsql as $$ begin raise exception 'SIGKILL'; end $$`));
    await db.db.execute(sql.raw(`create trigger test_die before insert on migration_batches for each row execute function test_die()`));
    try {
      const died = await processBatch(db.db, run.id, "dead-worker").catch((err: unknown) => err);
      expect(rootMessage(died)).toBe("SIGKILL");
    } finally {
      await db.db.execute(sql.raw(`drop trigger test_die on migration_batches`));
      await db.db.execute(sql.raw(`drop function test_die()`));
    }
    const written = await queryOne<{ p: number; s: number; claimed: number }>(
      db.db,
      sql`select (select count(*) from prestamos_new where legacy_id > 300)::int as p, (select count(*) from migration_state where legacy_id > 300)::int as s,
                 (select count(*) from migration_chunks where status = 'claimed' and lo = 300)::int as claimed`,
    );
    expect(written).toEqual({ p: 0, s: 0, claimed: 1 }); // nothing of it is left but its claim
    // Another worker may not take it while the lease is live…
    expect(await claimActiveRun(db.db, "new-worker")).toBeNull();
    // …and takes it over once it expired.
    await db.db.execute(sql`update migration_runs set lease_expires_at = now() - interval '1 second' where id = ${run.id}`);
    const claim = await claimActiveRun(db.db, "new-worker");
    expect(claim?.resumedFrom).toBe("dead-worker");
    expect(claim?.run.checkpoint).toBe(300);
    expect(claim?.run.resumes).toBe(1);
    expect(await processBatch(db.db, run.id, "dead-worker")).toEqual({ kind: "not-ours" });
    const ended = await runToEnd(db.db, run.id, "new-worker");
    expect(ended!.status).toBe("finished");
    expect(ended!.processed).toBe(1000);
    await expectZeroDiffs();
    const resumeAudit = await queryOne<{ n: number }>(db.db, sql`select count(*)::int as n from console_audit_log where action = 'migration.resume'`);
    expect(resumeAudit!.n).toBe(1);
  });
});

describe("parallel batch loops", () => {
  it("share one run on disjoint chunks: every prestamo once, no overlapping ranges, zero diffs", async () => {
    await seedLegacy(db.db, 2000, 50);
    const run = await startRun(db.db, { batchSize: 120, errorThresholdPct: 50, workers: 3 }, admin, W);
    const slot = async (k: number) => {
      for (;;) {
        const out: BatchOutcome = await processBatch(db.db, run.id, `${W}#${k}`);
        if (out.kind === "ended" || out.kind === "not-ours") return out.kind;
        if (out.kind === "wait") await new Promise((r) => setTimeout(r, 10));
      }
    };
    const ends = await Promise.all([slot(0), slot(1), slot(2)]);
    expect(ends.filter((e) => e === "ended")).toHaveLength(1);
    const ranges = await queryRows<{ lo: number; hi: number; worker: string }>(
      db.db,
      sql`select lo, hi, worker from migration_chunks where run_id = ${run.id} order by lo`,
    );
    for (let i = 1; i < ranges.length; i++) expect(ranges[i].lo).toBe(ranges[i - 1].hi); // contiguous, never overlapping
    expect(new Set(ranges.map((r) => r.worker)).size).toBeGreaterThan(1);
    const done = await queryOne<{ processed: number; checkpoint: number; status: string }>(
      db.db,
      sql`select processed, checkpoint, status from migration_runs where id = ${run.id}`,
    );
    expect(done).toEqual({ processed: 2000, checkpoint: 2000, status: "finished" });
    await expectZeroDiffs();
  });

  it("can be paused, tuned and resumed while it runs, each audited", async () => {
    await seedLegacy(db.db, 300);
    const run = await startRun(db.db, {}, admin, W);
    expect(run).toMatchObject({ targetBatchMs: 500, workers: 2, pauseMs: 0 });
    await processBatch(db.db, run.id, W, 100);
    await setRunPaused(db.db, true, admin);
    expect((await processBatch(db.db, run.id, W, 100)).kind).toBe("paused");
    await expect(setRunPaused(db.db, true, admin)).rejects.toMatchObject({ code: "CONFLICT" });
    const tuned = await tuneRun(db.db, { targetBatchMs: 250, pauseMs: 10, workers: 1 }, admin);
    expect(tuned).toMatchObject({ targetBatchMs: 250, pauseMs: 10, workers: 1, status: "paused" });
    await setRunPaused(db.db, false, admin);
    const ended = await runToEnd(db.db, run.id, W);
    expect(ended).toMatchObject({ status: "finished", processed: 300 });
    const actions = await queryRows<{ action: string }>(
      db.db,
      sql`select action from console_audit_log where action in ('migration.pause','migration.tune','migration.resume_run') order by id`,
    );
    expect(actions.map((a) => a.action)).toEqual(["migration.pause", "migration.tune", "migration.resume_run"]);
  });
});

describe("change capture", () => {
  it("keeps the new tables in step with inserts, updates, deletes and pagos moving between prestamos", async () => {
    await seedLegacy(db.db, 600, 40);
    const run = await startRun(db.db, { batchSize: 100, errorThresholdPct: 50 }, admin, W);
    expect(await isCaptureInstalled(db.db)).toBe(true);
    await processBatch(db.db, run.id, W);
    await processBatch(db.db, run.id, W);
    // The application writes while the run is half-way: to migrated and to pending prestamos.
    await db.db.execute(sql`update prestamos set monto = monto + 1, updated_at = now() where id in (5, 150, 450)`);
    await db.db.execute(sql`update pagos_prestamo set prestamo_id = 7 where prestamo_id = 9`); // migrated → migrated
    await db.db.execute(sql`update pagos_prestamo set prestamo_id = 500 where prestamo_id = 11`); // migrated → pending
    await db.db.execute(sql`update pagos_prestamo set anulado = not anulado where prestamo_id = 13`);
    await db.db.execute(sql`delete from pagos_prestamo where prestamo_id = 17`);
    await db.db.execute(sql`delete from pagos_prestamo where prestamo_id = 19`);
    await db.db.execute(sql`delete from prestamos where id = 19`);
    await db.db.execute(sql`update prestamos set estado = 'desconocido' where id = 21`); // now fails
    await db.db.execute(
      sql`insert into prestamos (cliente_nombre, monto, tasa_interes, plazo_meses, fecha_otorgamiento, estado) values ('Nuevo', 10, 1, 1, '2024-01-01', 'activo')`,
    );
    await db.db.execute(
      sql`insert into pagos_prestamo (prestamo_id, monto, fecha_pago, metodo) values (3, 1, '2024-01-02', 'cash'), (601, 2, '2024-01-03', null)`,
    );
    const backlog = (await getProgress(db.db)).capture.backlog;
    expect(backlog).toBeGreaterThan(10);
    await drainQueue();
    await runToEnd(db.db, run.id, W);
    await drainQueue();
    await expectZeroDiffs();
    expect((await queryOne<{ state: string }>(db.db, sql`select state from migration_state where legacy_id = 21`))!.state).toBe("failed");
    expect(await queryOne(db.db, sql`select 1 from migration_state where legacy_id = 19`)).toBeUndefined();
    expect(await queryOne(db.db, sql`select 1 from prestamos_new where legacy_id = 19`)).toBeUndefined();
  });

  // Sequential on purpose (PGlite has one connection): a commit landing while a sync is in flight is forced in sync-race.pg.int.test.ts.
  it("syncs changes committed before a drain, and one whose entry shows up late with an old timestamp", async () => {
    await seedLegacy(db.db, 50);
    const run = await startRun(db.db, { errorThresholdPct: 50 }, admin, W);
    await runToEnd(db.db, run.id, W);
    await db.db.execute(sql`update prestamos set monto = 999 where id = 1`);
    // Entries are deleted only by the transaction that syncs them: an entry the drain did not
    // see (committed after its snapshot, however old it looks) is still there for the next drain.
    await db.db.execute(sql`insert into capture_changes (prestamo_id, captured_at) values (2, now() - interval '1 hour')`); // a "late" old entry
    await db.db.execute(sql`update prestamos set monto = 777 where id = 2`);
    await drainQueue();
    await expectZeroDiffs();
    const n = await queryOne<{ n: number }>(db.db, sql`select count(*)::int as n from capture_changes`);
    expect(n!.n).toBe(0);
  });

  it("ends on cleanup, which is refused during a run", async () => {
    await seedLegacy(db.db, 20);
    const run = await startRun(db.db, {}, admin, W);
    await expect(endCapture(db.db, admin)).rejects.toMatchObject({ code: "CONFLICT" });
    await runToEnd(db.db, run.id, W);
    await db.db.execute(sql`update prestamos set monto = 5 where id = 3`);
    const res = await endCapture(db.db, admin);
    expect(res).toEqual({ removed: true, drained: 1 });
    expect(await isCaptureInstalled(db.db)).toBe(false);
    await db.db.execute(sql`update prestamos set monto = 6 where id = 4`);
    expect((await queryOne<{ n: number }>(db.db, sql`select count(*)::int as n from capture_changes`))!.n).toBe(0);
    // Prestamo 4 changed after capture ended: it differs, in exactly its two values, nothing else.
    const r = await independentCompare(db.db, "migrated");
    expect(r.columnDiffs.map((d) => `${d.legacyId}:${d.column}`).sort()).toEqual(["4:monto_cents", "4:saldo_cents"]);
    expect({ pagos: r.pagoDiffs, missing: r.missing, unexpected: r.unexpected, duplicates: r.duplicates }).toEqual({
      pagos: [],
      missing: [],
      unexpected: [],
      duplicates: 0,
    });
  });
});

describe("single and rollbacks", () => {
  it("migrates one prestamo whatever its state, rolls one back (409 unless migrated), and rolls everything back", async () => {
    await seedLegacy(db.db, 40, 5);
    await expect(migrateSingle(db.db, 4040, admin)).rejects.toMatchObject({ code: "NOT_FOUND" });
    const one = await migrateSingle(db.db, 3, admin);
    expect(one).toMatchObject({ legacyId: 3, outcome: "migrated", failures: [] });
    const bad = await migrateSingle(db.db, 40, admin);
    expect(bad.outcome).toBe("failed");
    expect(bad.failures[0]).toMatchObject({ code: "INVALID_CLIENTE", field: "cliente_nombre", value: "   " });
    await expect(rollbackOne(db.db, 40, admin)).rejects.toMatchObject({ code: "CONFLICT" });
    await expect(rollbackOne(db.db, 4, admin)).rejects.toMatchObject({ code: "CONFLICT" }); // pending
    await expect(rollbackOne(db.db, 4040, admin)).rejects.toMatchObject({ code: "NOT_FOUND" });
    const rb = await rollbackOne(db.db, 3, admin);
    expect(rb.state).toBe("rolled_back");
    expect(await queryOne(db.db, sql`select 1 from prestamos_new where legacy_id = 3`)).toBeUndefined();
    await expect(rollbackOne(db.db, 3, admin)).rejects.toMatchObject({ code: "CONFLICT" });
    expect((await migrateSingle(db.db, 3, admin)).outcome).toBe("migrated"); // single takes a rolled back one

    const run = await startRun(db.db, { batchSize: 10, errorThresholdPct: 100 }, admin, W);
    await processBatch(db.db, run.id, W);
    const all = await rollbackAll(db.db, admin);
    expect(all.stoppedRunId).toBe(run.id);
    const left = await queryOne<{ p: number; s: number }>(
      db.db,
      sql`select (select count(*) from prestamos_new)::int as p, (select count(*) from migration_state)::int as s`,
    );
    expect(left).toEqual({ p: 0, s: 0 });
    const progress = await getProgress(db.db);
    expect(progress.totals.pending).toBe(40);
    expect(progress.state).toBe("stopped");
    // After a rollback of all, a change to a pending prestamo is not followed into the new tables.
    await db.db.execute(sql`update prestamos set monto = 1 where id = 5`);
    await drainQueue();
    expect(await queryOne(db.db, sql`select 1 from prestamos_new where legacy_id = 5`)).toBeUndefined();
    const actions = await queryRows<{ action: string }>(db.db, sql`select action from console_audit_log order by id`);
    expect(actions.map((a) => a.action)).toEqual(
      expect.arrayContaining(["migration.single", "migration.rollback", "migration.start", "migration.rollback_all"]),
    );
  });
});

describe("system actor", () => {
  it("records the worker's own events as system", async () => {
    await seedLegacy(db.db, 5);
    const run = await startRun(db.db, {}, systemActor(), W);
    await runToEnd(db.db, run.id, W);
    const row = await queryOne<{ actor: string }>(db.db, sql`select actor from console_audit_log where action = 'migration.finish'`);
    expect(row!.actor).toBe("system");
  });
});
