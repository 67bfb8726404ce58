import { sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { installAppDb } from "@/lib/testing/app-db";
import { queryOne } from "@/db/sql";
import { call, makeToken } from "@/lib/testing/auth";
import { heavyRead, setHeavyReadLimit, HEAVY_READS_DEFAULT } from "@/lib/http/heavy-reads";
import { openTestDb, testDriver, type TestDb } from "@/lib/testing/db";
import { insertManyValid, insertPago, insertPrestamo, migrateAll } from "@/lib/testing/factories";
import { resetMigrationTables } from "@/lib/testing/reset";
import { GET as consistencyRoute } from "@/app/api/prestamos/migration/consistency/route";
import { POST as refreshRoute } from "@/app/api/prestamos/migration/consistency/refresh/route";
import { GET as legacyCountsRoute } from "@/app/api/prestamos/migration/legacy-counts/route";
import { GET as progressRoute } from "@/app/api/prestamos/migration/progress/route";
import { GET as verifyRoute } from "@/app/api/prestamos/migration/verify/route";
import { readConsistency, type ConsistencyResponse } from "@/lib/http/reads";
import { claimJob, JOB_REST_RATIO, runJob, runQueuedJobs } from "./jobs";
import { getKeptLegacyCounts } from "./legacy-row-counts";

let forgetAppDb: (() => void) | undefined;

process.env.NEXTAUTH_SECRET ??= "test-secret-for-session-cookies-0123456789";

let t: TestDb;
let reviewer: string;
let admin: string;
const driver = testDriver();
const runJobs = () => runQueuedJobs(t.db, "test-runner", driver);
const get = (handler: Parameters<typeof call>[0], path: string, token = reviewer) => call(handler, { path, token });

beforeAll(async () => {
  t = await openTestDb();
  forgetAppDb = installAppDb(t);
  reviewer = await makeToken(t.db, "reviewer", "expensive-reads-reviewer");
  admin = await makeToken(t.db, "admin", "expensive-reads-admin");
});
afterAll(async () => {
  forgetAppDb?.();
  setHeavyReadLimit(HEAVY_READS_DEFAULT);
  await t?.dispose();
});
beforeEach(async () => {
  await resetMigrationTables(t.db, ["console_jobs"]);
});

describe(`kept legacy counts on ${driver}`, () => {
  it("follow multi-row inserts, deletes and a truncate, exactly, without counting the tables", async () => {
    await insertManyValid(t.db, 30, 2);
    await insertPago(t.db, null);
    expect(await getKeptLegacyCounts(t.db)).toEqual({ prestamos: 30, pagos: 61, exact: true });
    await t.db.execute(sql`DELETE FROM pagos_prestamo WHERE prestamo_id <= 10`);
    await t.db.execute(sql`UPDATE prestamos SET estado = 'mora'`); // an update changes no count
    await t.db.execute(sql`DELETE FROM prestamos WHERE id > 25`);
    expect(await getKeptLegacyCounts(t.db)).toEqual({ prestamos: 25, pagos: 41, exact: true });
    await t.db.execute(sql`TRUNCATE pagos_prestamo`);
    expect(await getKeptLegacyCounts(t.db)).toEqual({ prestamos: 25, pagos: 0, exact: true });
  });

  it("progress shows the kept total: a delta planted in the counts shows, a scan would not see it", async () => {
    await insertManyValid(t.db, 12, 1);
    const before = await get(progressRoute, "/api/prestamos/migration/progress");
    expect(before.json.totals).toMatchObject({ total: 12, pending: 12, exact: true });
    await t.db.execute(sql`INSERT INTO legacy_row_counts (tbl, delta) VALUES ('prestamos', 1000)`);
    const after = await get(progressRoute, "/api/prestamos/migration/progress");
    expect(after.json.totals).toMatchObject({ total: 1012, pending: 1012, exact: true });
  });

  it("say they are an estimate when a counting trigger is gone, and the recount job reseeds them", async () => {
    await insertManyValid(t.db, 5, 1);
    await t.db.execute(sql`ALTER TABLE prestamos DISABLE TRIGGER console_legacy_rows_inserted`);
    await insertManyValid(t.db, 3, 0);
    const progress = await get(progressRoute, "/api/prestamos/migration/progress");
    expect(progress.json.totals.exact).toBe(false);
    await t.db.execute(sql`ALTER TABLE prestamos ENABLE ALWAYS TRIGGER console_legacy_rows_inserted`);
    await t.db.execute(sql`INSERT INTO legacy_row_counts (tbl, delta) VALUES ('prestamos', 77)`); // drift
    const asked = await get(legacyCountsRoute, "/api/prestamos/migration/legacy-counts?fresh=1");
    expect(asked.json).toMatchObject({ prestamos: 82, exact: true, orphans: null, freshness: { refreshing: true, checkedAt: null } });
    expect(await runJobs()).toBe(1);
    expect(await getKeptLegacyCounts(t.db)).toEqual({ prestamos: 8, pagos: 5, exact: true });
  });
});

describe(`the Overview's figures on ${driver}`, () => {
  it("orphans come from the latest recount with its age, never from a count at load", async () => {
    const p = await insertPrestamo(t.db, {}, [{}]);
    await insertPago(t.db, null);
    await insertPago(t.db, 424242);
    const first = await get(legacyCountsRoute, "/api/prestamos/migration/legacy-counts");
    expect(first.status).toBe(200);
    expect(first.json).toMatchObject({ prestamos: 1, pagos: 3, exact: true, orphans: null, freshness: { checkedAt: null, refreshing: false } });
    await get(legacyCountsRoute, "/api/prestamos/migration/legacy-counts?fresh=1");
    await runJobs();
    await t.db.execute(sql`DELETE FROM prestamos WHERE id = ${p.id}`); // its pago becomes an orphan: seen at the next recount only
    const counted = await get(legacyCountsRoute, "/api/prestamos/migration/legacy-counts");
    expect(counted.json).toMatchObject({
      prestamos: 0,
      pagos: 3,
      orphans: { orphanPagos: 2, orphanPagosNull: 1, orphanPagosDangling: 1 },
      freshness: { refreshing: false },
    });
    expect(counted.json.freshness.ageSeconds).toBeGreaterThanOrEqual(0);
    expect(Date.parse(counted.json.freshness.checkedAt)).toBeGreaterThan(Date.now() - 60_000);
  });
});

describe(`consistency and verify as background jobs on ${driver}`, () => {
  it("answer at once with the latest result and its age; a change shows only after a fresh check", async () => {
    await insertManyValid(t.db, 20, 2);
    await migrateAll(t.db);
    const none = await get(consistencyRoute, "/api/prestamos/migration/consistency");
    expect(none.status).toBe(200);
    expect(none.json).toMatchObject({ summary: null, freshness: { checkedAt: null, ageSeconds: null, refreshing: false } });

    const asked = await call(refreshRoute, { method: "POST", path: "/api/prestamos/migration/consistency/refresh", token: admin });
    expect(asked.status).toBe(202);
    expect(asked.json).toMatchObject({ created: true, job: { kind: "consistency", status: "queued" } });
    const waiting = await get(consistencyRoute, "/api/prestamos/migration/consistency");
    expect(waiting.json).toMatchObject({ summary: null, freshness: { refreshing: true, queued: { status: "queued" } } });
    await runJobs();

    const done = await get(consistencyRoute, "/api/prestamos/migration/consistency");
    expect(done.json.summary).toMatchObject({ migrated: 20, fieldMatch: { matchingPct: 100 } });
    expect(done.json.freshness).toMatchObject({ refreshing: false, lastFailure: null });
    expect(done.json.freshness.ageSeconds).toBeGreaterThanOrEqual(0);

    await t.db.execute(sql`UPDATE prestamos_new SET cliente_nombre = 'tampered' WHERE legacy_id = 3`);
    const cached = await get(consistencyRoute, "/api/prestamos/migration/consistency?category=field");
    expect(cached.json.summary.fieldMatch.matchingPct).toBe(100); // the cached result, labelled with its age…
    expect(cached.json.mismatches.items).toMatchObject([{ legacyId: 3, columns: ["cliente_nombre"] }]); // …the page is read now
    await get(consistencyRoute, "/api/prestamos/migration/consistency?fresh=1");
    await runJobs();
    const fresh = await get(consistencyRoute, "/api/prestamos/migration/consistency");
    expect(fresh.json.summary.fieldMatch).toMatchObject({ matching: 19, mismatching: 1 });
  });

  it("verify: the dry run is a job too, with progress while it runs", async () => {
    await insertManyValid(t.db, 6, 1);
    await insertPrestamo(t.db, { estado: "???" });
    expect((await get(verifyRoute, "/api/prestamos/migration/verify")).json).toMatchObject({ report: null, freshness: { checkedAt: null } });
    await get(verifyRoute, "/api/prestamos/migration/verify?fresh=1");
    const job = (await claimJob(t.db, "test-runner"))!;
    expect(job).toMatchObject({ kind: "verify", status: "running" });
    const running = await get(verifyRoute, "/api/prestamos/migration/verify");
    expect(running.json.freshness).toMatchObject({ refreshing: true, running: { id: job.id, status: "running" } });
    expect((await runJob(t.db, job, "test-runner", driver)).status).toBe("done");
    const v = await get(verifyRoute, "/api/prestamos/migration/verify");
    expect(v.json.report).toMatchObject({ dryRun: { checked: 7, invalid: 1, byCode: { UNKNOWN_ESTADO: 1 } }, database: { driver } });
    const row = await queryOne<{ progress: string }>(t.db, sql`SELECT progress::text AS progress FROM console_jobs WHERE id = ${job.id}`);
    expect(JSON.parse(row!.progress)).toEqual({ done: 7, total: 7 });
  });

  it("a fresh check asked by many at once runs once", async () => {
    await insertManyValid(t.db, 10, 1);
    await migrateAll(t.db);
    setHeavyReadLimit(50); // the queue is under test here, not the cap on the mismatch pages
    const answers = await Promise.all([
      ...Array.from({ length: 15 }, () => get(consistencyRoute, "/api/prestamos/migration/consistency?fresh=1")),
      ...Array.from({ length: 5 }, () => call(refreshRoute, { method: "POST", path: "/api/prestamos/migration/consistency/refresh", token: admin })),
    ]);
    expect(answers.map((a) => a.status).sort()).toEqual([...Array(15).fill(200), ...Array(5).fill(202)]);
    const jobs = await queryOne<{ n: number }>(t.db, sql`SELECT count(*)::int AS n FROM console_jobs WHERE kind = 'consistency'`);
    expect(jobs?.n).toBe(1);
    expect(await runJobs()).toBe(1);
    // Asked while one runs: one more, after it (a check that started before the request is not fresh for it).
    await get(consistencyRoute, "/api/prestamos/migration/consistency?fresh=1");
    const job = (await claimJob(t.db, "runner-a"))!;
    await Promise.all(Array.from({ length: 10 }, () => get(consistencyRoute, "/api/prestamos/migration/consistency?fresh=1")));
    expect(await claimJob(t.db, "runner-b")).toBeNull(); // one job at a time, whichever instance asks
    await runJob(t.db, job, "runner-a", driver);
    expect(await runJobs()).toBe(1);
    const total = await queryOne<{ n: number }>(t.db, sql`SELECT count(*)::int AS n FROM console_jobs WHERE status = 'done'`);
    expect(total?.n).toBe(3);
    setHeavyReadLimit(HEAVY_READS_DEFAULT);
  });

  it("a job whose runner died (lease expired) is queued again and runs", async () => {
    await get(verifyRoute, "/api/prestamos/migration/verify?fresh=1");
    const job = (await claimJob(t.db, "dead-runner"))!;
    await t.db.execute(sql`UPDATE console_jobs SET lease_expires_at = now() - interval '1 second' WHERE id = ${job.id}`);
    expect(await runJobs()).toBe(1);
    const v = await get(verifyRoute, "/api/prestamos/migration/verify");
    expect(v.json.report).not.toBeNull();
    expect((await runJob(t.db, job, "dead-runner", driver)).error).toMatch(/taken over/);
  });

  it("beyond the cap of heavy reads: 503 with Retry-After at once, and nothing changed", async () => {
    await insertManyValid(t.db, 5, 1);
    await migrateAll(t.db);
    setHeavyReadLimit(1);
    let release!: () => void;
    const held = heavyRead(() => new Promise<void>((r) => (release = r)));
    try {
      const refused = await get(consistencyRoute, "/api/prestamos/migration/consistency?fresh=1&category=field");
      expect(refused.status).toBe(503);
      expect(refused.headers.get("retry-after")).toBe("5");
      expect(refused.json.error).toMatchObject({ code: "UNAVAILABLE", details: { limit: 1 } });
      expect((await queryOne<{ n: number }>(t.db, sql`SELECT count(*)::int AS n FROM console_jobs`))?.n).toBe(0);
    } finally {
      release();
      await held;
    }
    expect((await get(consistencyRoute, "/api/prestamos/migration/consistency?category=field")).status).toBe(200);
    setHeavyReadLimit(HEAVY_READS_DEFAULT);
  });

  it("readers of the same page of mismatches share one walk: under a cap of one, none is refused", async () => {
    await insertManyValid(t.db, 8, 1);
    await migrateAll(t.db);
    await t.db.execute(sql`UPDATE prestamos_new SET cliente_nombre = 'tampered' WHERE legacy_id IN (2, 5)`);
    setHeavyReadLimit(1);
    try {
      // Asked in the same tick: each would take the cap's one slot; joined, they wait for the first walk.
      const q = { category: "field" as const, page: 1, limit: 50, fresh: null };
      const answers = await Promise.allSettled(Array.from({ length: 5 }, () => readConsistency(t.db, q)));
      expect(answers.map((a) => a.status)).toEqual(Array(5).fill("fulfilled"));
      for (const a of answers) expect((a as PromiseFulfilledResult<ConsistencyResponse>).value.mismatches.items.map((i) => i.legacyId)).toEqual([2, 5]);
      // Another page is another walk: beside one in flight, the cap refuses it.
      const walking = readConsistency(t.db, q);
      await expect(readConsistency(t.db, { ...q, limit: 10 })).rejects.toMatchObject({ code: "UNAVAILABLE" });
      await walking;
    } finally {
      setHeavyReadLimit(HEAVY_READS_DEFAULT);
    }
  });

  it("the runners rest twice as long as the last job took before the next; the freshness says until when", async () => {
    // A check that took 9 s and ended a second ago: the next may start 17 s from now.
    await t.db.execute(sql`INSERT INTO console_jobs (kind, status, requested_by, requested_at, started_at, finished_at, result)
                           VALUES ('consistency', 'done', 'earlier', now() - interval '10 s', now() - interval '10 s', now() - interval '1 s', '{}')`);
    await get(verifyRoute, "/api/prestamos/migration/verify?fresh=1");
    const waiting = await get(verifyRoute, "/api/prestamos/migration/verify");
    expect(waiting.json.freshness).toMatchObject({ refreshing: true, queued: { kind: "verify" }, running: null });
    const notBefore = Date.parse(waiting.json.freshness.queuedNotBefore);
    expect(notBefore - Date.now()).toBeGreaterThan(14_000);
    expect(notBefore - Date.now()).toBeLessThan(18_000);
    expect(await claimJob(t.db, "resting-runner", JOB_REST_RATIO)).toBeNull();
    // Its rest over (the same job, ended 30 s ago): claimed at once.
    await t.db.execute(
      sql`UPDATE console_jobs SET started_at = started_at - interval '29 s', finished_at = finished_at - interval '29 s' WHERE requested_by = 'earlier'`,
    );
    expect((await get(verifyRoute, "/api/prestamos/migration/verify")).json.freshness.queuedNotBefore).toBeNull();
    expect(await claimJob(t.db, "resting-runner", JOB_REST_RATIO)).toMatchObject({ kind: "verify", status: "running" });
  });
});
