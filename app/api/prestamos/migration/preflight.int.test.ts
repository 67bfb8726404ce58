import { sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { queryOne, queryRows } from "@/db/sql";
import { call, makeToken } from "@/lib/testing/auth";
import { openTestDb, type TestDb } from "@/lib/testing/db";
import { resetMigrationTables } from "@/lib/testing/reset";
import { installAppDb } from "@/lib/testing/app-db";
import { seedLegacy } from "@/lib/testing/legacy-seed";
import * as preflightRoute from "@/app/api/prestamos/migration/preflight/route";
import * as confirmRoute from "@/app/api/prestamos/migration/preflight/confirm/route";
import * as withdrawRoute from "@/app/api/prestamos/migration/preflight/withdraw/route";
import * as settingsRoute from "@/app/api/prestamos/migration/preflight/settings/route";
import * as start from "@/app/api/prestamos/migration/start/route";
import type { CheckItem } from "@/lib/migration/check-items";
import { backupAdvice, maskUrl, readDryRun } from "@/lib/migration/preflight";
import { getVerifyReport } from "@/lib/migration/verify";
import { runQueuedJobs } from "@/lib/migration/jobs";
import { getWriteRate, sampleLegacyWrites } from "@/lib/migration/write-samples";

let db: TestDb;
let forget: () => void;
let adminToken: string;
let reviewerToken: string;

beforeAll(async () => {
  db = await openTestDb();
  forget = installAppDb(db);
  adminToken = await makeToken(db.db, "admin", "pf-admin");
  reviewerToken = await makeToken(db.db, "reviewer", "pf-reviewer");
});
afterAll(async () => {
  forget?.();
  await db?.dispose();
});
beforeEach(async () => {
  await resetMigrationTables(db.db, ["console_jobs", "migration_confirmations", "console_settings", "legacy_write_samples", "console_audit_log"]);
  await db.db.execute(sql`create index if not exists pagos_prestamo_prestamo_id_idx on pagos_prestamo (prestamo_id)`);
  await seedLegacy(db.db, 20);
});

type Report = {
  overall: string;
  failing: string[];
  warnings: string[];
  items: CheckItem[];
  backup: { kind: string; command: string };
  dryRun: { checkedAt: string | null; ageSeconds: number | null; refreshing: boolean };
};
const readPreflight = async (query = "", token = reviewerToken) => {
  const res = await call(preflightRoute.GET, { path: `/api/prestamos/migration/preflight${query}`, token });
  expect(res.status).toBe(200);
  return res.json as Report;
};
/** The pre-flight over a fresh dry run: asked for, run by the job runner as a console's would, then read. */
const getPreflight = async (token = reviewerToken) => {
  expect((await readPreflight("?refresh=1", token)).dryRun.refreshing).toBe(true);
  await runQueuedJobs(db.db, "pf-runner", db.driver);
  return readPreflight("", token);
};
const item = (r: { items: CheckItem[] }, id: string) => {
  const found = r.items.find((i) => i.id === id);
  if (!found) throw new Error(`no item ${id}`);
  return found;
};
const auditOf = (requestId: string) =>
  queryOne<{ action: string; outcome: string; status: number; actor: string; target: string | null; details: unknown }>(
    db.db,
    sql`select action, outcome, status, actor, target, details from console_audit_log where request_id = ${requestId}`,
  );
const parse = (v: unknown) => (typeof v === "string" ? JSON.parse(v) : v) as Record<string, unknown>;

describe("pre-flight items", () => {
  it("passes on a healthy database and clean legacy data; confirmations and an unmeasured quiet period only warn", async () => {
    const r = await getPreflight();
    expect(item(r, "database.reachable")).toMatchObject({ state: "pass" });
    expect(item(r, "database.reachable").figure).toMatch(/^PostgreSQL \d+/);
    expect(item(r, "database.connections").state).toBe("pass");
    expect(item(r, "legacy.columns")).toMatchObject({ state: "pass" });
    expect(item(r, "legacy.pagos_index")).toMatchObject({ state: "pass" });
    expect(item(r, "legacy.size").state).toBe("pass");
    expect(item(r, "legacy.size").data).toMatchObject({ prestamos: 20 });
    expect(Number(item(r, "legacy.size").data?.estimatedNewBytes)).toBeGreaterThan(0);
    expect(item(r, "dry_run")).toMatchObject({ state: "pass", link: "/verify" });
    expect(item(r, "quiet.write_rate").state).toBe("warn");
    expect(item(r, "quiet.write_rate").figure).toMatch(/not measurable/);
    expect(item(r, "confirm.backup_taken").state).toBe("warn");
    expect(r.failing).toEqual([]);
    expect(r.overall).toBe("warn");
    expect(r.backup.kind).toBe(db.driver === "pglite" ? "embedded" : "pg_dump");
  });

  it("fails when the index on pagos_prestamo.prestamo_id is missing", async () => {
    await db.db.execute(sql`drop index pagos_prestamo_prestamo_id_idx`);
    const r = await getPreflight();
    expect(item(r, "legacy.pagos_index")).toMatchObject({ state: "fail" });
    expect(item(r, "legacy.pagos_index").figure).toMatch(/missing/);
    expect(r.failing).toEqual(["legacy.pagos_index"]);
    expect(r.overall).toBe("fail");
  });

  it("fails when a contract column is missing or loses NOT NULL, warns on a widened type, ignores extra columns", async () => {
    await db.db.execute(sql`alter table pagos_prestamo alter column anulado drop not null`);
    await db.db.execute(sql`alter table prestamos alter column estado type varchar(40)`);
    await db.db.execute(sql`alter table prestamos add column sucursal text`);
    try {
      const r = await getPreflight();
      const cols = item(r, "legacy.columns");
      expect(cols.state).toBe("fail");
      expect(cols.figure).toContain("pagos_prestamo.anulado: expected boolean NOT NULL, found boolean NULL");
      expect(cols.figure).toContain("prestamos.estado: expected character varying(20), found character varying(40)");
      const problems = cols.data?.problems as { column: string; severity: string }[];
      expect(problems.find((p) => p.column === "estado")?.severity).toBe("warn");
      expect(cols.data?.extra).toEqual(["prestamos.sucursal"]);
    } finally {
      await db.db.execute(sql`alter table prestamos drop column sucursal`);
      await db.db.execute(sql`alter table prestamos alter column estado type varchar(20)`);
      await db.db.execute(sql`alter table pagos_prestamo alter column anulado set not null`);
    }
    expect(item(await getPreflight(), "legacy.columns").state).toBe("pass");
  });

  it("shows the dry run's invalid prestamos by code and the orphans, as the verify report counts them", async () => {
    await db.db.execute(sql`truncate prestamos, pagos_prestamo restart identity`);
    await seedLegacy(db.db, 80, 5);
    await db.db.execute(
      sql`insert into pagos_prestamo (prestamo_id, monto, fecha_pago, metodo) values (null, 5, '2024-01-01', 'cash'), (99999, 5, '2024-01-01', 'cash')`,
    );
    const r = await getPreflight();
    const dry = item(r, "dry_run");
    const verify = await getVerifyReport(db.db);
    expect(dry.state).toBe("warn");
    expect(verify.dryRun.invalid).toBeGreaterThan(0);
    expect(dry.data).toMatchObject({ checked: 80, invalid: verify.dryRun.invalid, byCode: verify.dryRun.byCode, orphanPagos: 2 });
    for (const [code, k] of Object.entries(verify.dryRun.byCode)) if (k > 0) expect(dry.figure).toContain(`${code} ${k}`);
    expect(dry.figure).toContain(`${verify.dryRun.invalid} of 80 prestamos invalid`);
    expect(dry.figure).toContain("2 orphan pagos (1 without prestamo_id, 1 dangling)");
  });
});

describe("the dry run is a background job", () => {
  const verifyJobs = () =>
    queryRows<{ status: string; requested_by: string }>(db.db, sql`select status, requested_by from console_jobs where kind = 'verify' order by id`);

  it("no request scans: a read changes nothing, a refresh asks for one job that many share, and the result keeps its age until a fresh one ends", async () => {
    const none = await readPreflight();
    expect(none.dryRun).toEqual({ checkedAt: null, ageSeconds: null, refreshing: false });
    expect(item(none, "dry_run")).toMatchObject({ state: "warn", figure: expect.stringMatching(/^none recent/) });
    expect(await verifyJobs()).toEqual([]);
    const first = await readPreflight("?refresh=1");
    expect(first.dryRun).toEqual({ checkedAt: null, ageSeconds: null, refreshing: true });
    expect(item(first, "dry_run")).toMatchObject({ state: "warn", figure: expect.stringMatching(/being computed in the background/) });
    await Promise.all(Array.from({ length: 8 }, () => readPreflight("?refresh=1")));
    expect(await verifyJobs()).toEqual([{ status: "queued", requested_by: "token:pf-reviewer" }]);

    await runQueuedJobs(db.db, "pf-runner", db.driver);
    const computed = await readPreflight();
    expect(computed.dryRun).toMatchObject({ checkedAt: expect.any(String), refreshing: false });
    expect(item(computed, "dry_run").data).toMatchObject({ checked: 20, invalid: 0 });

    // Invalid prestamos arrive: a plain read shows the result it has, a refresh answers at once with it too.
    await seedLegacy(db.db, 10, 2);
    expect(item(await readPreflight(), "dry_run").data).toMatchObject({ checked: 20, invalid: 0 });
    const asked = await readPreflight("?refresh=1", adminToken);
    expect(asked.dryRun).toMatchObject({ checkedAt: computed.dryRun.checkedAt, refreshing: true });
    expect((await verifyJobs()).at(-1)).toEqual({ status: "queued", requested_by: "token:pf-admin" });
    await runQueuedJobs(db.db, "pf-runner", db.driver);
    expect(item(await readPreflight(), "dry_run").data).toMatchObject({ checked: 30, invalid: 5 });
  });

  it("a start takes a dry run at most 15 minutes old; a failed one fails the item until one succeeds", async () => {
    await getPreflight();
    expect((await readDryRun(db.db, "start")).report?.dryRun.checked).toBe(20);
    await db.db.execute(
      sql`update console_jobs set started_at = now() - interval '16 minutes', finished_at = now() - interval '16 minutes' where kind = 'verify'`,
    );
    expect(await readDryRun(db.db, "start")).toMatchObject({ report: null, ageSeconds: null, refreshing: false });
    expect((await readDryRun(db.db, "cached")).ageSeconds).toBeGreaterThanOrEqual(960);

    await resetMigrationTables(db.db, ["console_jobs"]);
    await db.db.execute(sql`insert into console_jobs (kind, requested_by, status, started_at, finished_at, error)
                            values ('verify', 'pre-flight', 'failed', now(), now(), 'canceling statement due to statement timeout')`);
    const failed = await readPreflight();
    expect(item(failed, "dry_run")).toMatchObject({ state: "fail", figure: "the dry run could not run: canceling statement due to statement timeout" });
    expect(failed.failing).toContain("dry_run");
    expect((await verifyJobs()).map((j) => j.status)).toEqual(["failed"]);
    expect(item(await getPreflight(), "dry_run").state).toBe("pass");
  });
});

describe("quiet period", () => {
  it("warns above the threshold, from stored samples; the admin raises the threshold (audited) and it passes; a reviewer cannot", async () => {
    await db.db.execute(sql`insert into legacy_write_samples (at, inserts, updates, deletes) values
                            (now() - interval '40 seconds', 1000, 100, 0), (now() - interval '20 seconds', 2000, 600, 0), (now(), 5000, 1100, 0)`);
    const rate = await getWriteRate(db.db);
    expect(rate).toMatchObject({ measurable: true, insertsPerSec: 100, updatesPerSec: 25, deletesPerSec: 0, totalPerSec: 125, samples: 3 });
    let r = await getPreflight();
    expect(item(r, "quiet.write_rate")).toMatchObject({ state: "warn" });
    expect(item(r, "quiet.write_rate").figure).toMatch(/^125 writes\/s .* threshold 50\/s/);

    const refused = await call(settingsRoute.PUT, {
      method: "PUT",
      path: "/api/prestamos/migration/preflight/settings",
      token: reviewerToken,
      body: { maxWritesPerSecond: 500 },
    });
    expect(refused.status).toBe(403);
    expect(await auditOf(refused.headers.get("x-request-id")!)).toMatchObject({ action: "preflight.settings", outcome: "refused", status: 403 });
    expect((await queryRows(db.db, sql`select * from console_settings`)).length).toBe(0);

    const bad = await call(settingsRoute.PUT, {
      method: "PUT",
      path: "/api/prestamos/migration/preflight/settings",
      token: adminToken,
      body: { maxWritesPerSecond: -1 },
    });
    expect(bad.status).toBe(400);

    const ok = await call(settingsRoute.PUT, {
      method: "PUT",
      path: "/api/prestamos/migration/preflight/settings",
      token: adminToken,
      body: { maxWritesPerSecond: 500 },
    });
    expect(ok.status).toBe(200);
    expect(ok.json).toMatchObject({ maxWritesPerSecond: 500, updatedBy: "token:pf-admin" });
    const audit = await auditOf(ok.headers.get("x-request-id")!);
    expect(audit).toMatchObject({ action: "preflight.settings", outcome: "ok", actor: "token:pf-admin" });
    expect(parse(audit!.details)).toEqual({ from: 50, to: 500 });
    r = await getPreflight();
    expect(item(r, "quiet.write_rate").state).toBe("pass");
  });

  it("samples the real counters: writes between two samples show as a rate", async () => {
    const first = await sampleLegacyWrites(db.db);
    expect(first).not.toBeNull();
    await db.db.execute(sql`insert into prestamos (cliente_nombre) select 'x' from generate_series(1, 500)`);
    await db.db.execute(sql`update prestamos set estado = 'activo' where id <= 10`);
    // The statistics are flushed lazily, per session: at most once a second after a transaction,
    // and by an idle session only after 10 s. The two statements may have run on two sessions of
    // the pool: sample until both show.
    let second = first;
    const shown = () => second!.inserts >= first!.inserts + 500 && second!.updates >= first!.updates + 10;
    for (let i = 0; i < 100 && !shown(); i++) {
      await new Promise((r) => setTimeout(r, 250));
      second = await sampleLegacyWrites(db.db);
    }
    expect(second!.inserts - first!.inserts).toBeGreaterThanOrEqual(500);
    expect(second!.updates - first!.updates).toBeGreaterThanOrEqual(10);
    // Keep only the two samples, ten seconds apart.
    await db.db.execute(
      sql`delete from legacy_write_samples where id not in ((select min(id) from legacy_write_samples), (select max(id) from legacy_write_samples))`,
    );
    await db.db.execute(sql`update legacy_write_samples set at = now() - interval '10 seconds' where id = (select min(id) from legacy_write_samples)`);
    const rate = await getWriteRate(db.db);
    expect(rate.measurable).toBe(true);
    expect(rate.insertsPerSec).toBeGreaterThanOrEqual(50);
    const r = await getPreflight();
    expect(item(r, "quiet.write_rate").state).toBe("warn");
  });

  it("prunes samples older than a day and says why a rate is not measurable", async () => {
    await db.db.execute(sql`insert into legacy_write_samples (at, inserts, updates, deletes) values (now() - interval '2 days', 1, 1, 1)`);
    await sampleLegacyWrites(db.db);
    expect((await queryRows(db.db, sql`select id from legacy_write_samples`)).length).toBe(1);
    expect((await getWriteRate(db.db)).reason).toMatch(/one sample so far/);
    await db.db.execute(sql`insert into legacy_write_samples (at, inserts, updates, deletes) values (now() - interval '30 seconds', 1e9, 0, 0)`);
    expect((await getWriteRate(db.db)).reason).toMatch(/reset/);
  });
});

describe("person-confirmed items", () => {
  it("an admin confirms with a reference (audited), cannot confirm twice, withdraws (audited); a reviewer is refused with nothing written", async () => {
    const refused = await call(confirmRoute.POST, {
      method: "POST",
      path: "/api/prestamos/migration/preflight/confirm",
      token: reviewerToken,
      body: { item: "backup_taken" },
    });
    expect(refused.status).toBe(403);
    expect(await auditOf(refused.headers.get("x-request-id")!)).toMatchObject({ action: "preflight.confirm", outcome: "refused", status: 403 });
    expect((await queryRows(db.db, sql`select * from migration_confirmations`)).length).toBe(0);

    const unknown = await call(confirmRoute.POST, {
      method: "POST",
      path: "/api/prestamos/migration/preflight/confirm",
      token: adminToken,
      body: { item: "issues_documented" },
    });
    expect(unknown.status).toBe(400);
    const extra = await call(confirmRoute.POST, {
      method: "POST",
      path: "/api/prestamos/migration/preflight/confirm",
      token: adminToken,
      body: { item: "backup_taken", by: "x" },
    });
    expect(extra.status).toBe(400);

    const ok = await call(confirmRoute.POST, {
      method: "POST",
      path: "/api/prestamos/migration/preflight/confirm",
      token: adminToken,
      body: { item: "backup_taken", reference: "  legacy-2026-01-31.dump " },
    });
    expect(ok.status).toBe(200);
    expect(ok.json.confirmation).toMatchObject({
      phase: "preflight",
      item: "backup_taken",
      confirmedBy: "token:pf-admin",
      reference: "legacy-2026-01-31.dump",
      withdrawnAt: null,
    });
    const audit = await auditOf(ok.headers.get("x-request-id")!);
    expect(audit).toMatchObject({ action: "preflight.confirm", outcome: "ok", actor: "token:pf-admin", target: "backup_taken" });
    expect(parse(audit!.details)).toMatchObject({ item: "backup_taken", reference: "legacy-2026-01-31.dump" });
    const r = await getPreflight();
    expect(item(r, "confirm.backup_taken")).toMatchObject({ state: "confirmed" });
    expect(item(r, "confirm.backup_taken").figure).toContain("legacy-2026-01-31.dump");

    const twice = await call(confirmRoute.POST, {
      method: "POST",
      path: "/api/prestamos/migration/preflight/confirm",
      token: adminToken,
      body: { item: "backup_taken" },
    });
    expect(twice.status).toBe(409);

    const w = await call(withdrawRoute.POST, {
      method: "POST",
      path: "/api/prestamos/migration/preflight/withdraw",
      token: adminToken,
      body: { item: "backup_taken" },
    });
    expect(w.status).toBe(200);
    expect(await auditOf(w.headers.get("x-request-id")!)).toMatchObject({ action: "preflight.withdraw", outcome: "ok" });
    expect(item(await getPreflight(), "confirm.backup_taken").state).toBe("warn");
    const again = await call(withdrawRoute.POST, {
      method: "POST",
      path: "/api/prestamos/migration/preflight/withdraw",
      token: adminToken,
      body: { item: "backup_taken" },
    });
    expect(again.status).toBe(409);
    // Withdrawn confirmations stay for the record.
    expect(await queryRows(db.db, sql`select item, withdrawn_by from migration_confirmations`)).toEqual([
      { item: "backup_taken", withdrawn_by: "token:pf-admin" },
    ]);
  });

  it("shows pg_dump for the two legacy tables with the password masked, and the folder copy for the embedded database", () => {
    const pg = backupAdvice({ driver: "postgres", databaseUrl: "postgres://app:s3cr%40t@db.internal:6432/loans?sslmode=require" }, "public", "2026-01-31");
    expect(pg.command).toBe(
      'pg_dump --format=custom --no-owner --table=public.prestamos --table=public.pagos_prestamo --file=prestamos-legacy-2026-01-31.dump "postgres://app:****@db.internal:6432/loans?sslmode=require"',
    );
    expect(pg.command).not.toContain("s3cr");
    expect(maskUrl("postgres://u@h/db?password=x")).toBe("postgres://u@h/db?password=****");
    const em = backupAdvice({ driver: "pglite", dataDir: "/srv/console/.data/pglite" }, "public", "2026-01-31");
    expect(em.kind).toBe("embedded");
    expect(em.note).toMatch(/pg_dump does not apply/);
    expect(em.command).toContain('cp -a "/srv/console/.data/pglite" "/srv/console/.data/pglite-backup-2026-01-31"');
  });
});

describe("starting a run against the pre-flight", () => {
  it("refuses a start while an item fails unless START ANYWAY, then keeps the snapshot in the run and the audit row", async () => {
    await db.db.execute(sql`drop index pagos_prestamo_prestamo_id_idx`);
    const refused = await call(start.POST, { method: "POST", path: "/api/prestamos/migration/start", token: adminToken, body: { batchSize: 5 } });
    expect(refused.status).toBe(409);
    expect(refused.json.error.code).toBe("CONFLICT");
    expect(refused.json.error.details.failing.map((f: { id: string }) => f.id)).toEqual(["legacy.pagos_index"]);
    expect(await auditOf(refused.headers.get("x-request-id")!)).toMatchObject({ action: "migration.start", outcome: "refused", status: 409 });
    const wrong = await call(start.POST, {
      method: "POST",
      path: "/api/prestamos/migration/start",
      token: adminToken,
      body: { confirmPreflight: "start anyway" },
    });
    expect(wrong.status).toBe(409);
    expect((await queryRows(db.db, sql`select id from migration_runs`)).length).toBe(0);

    const started = await call(start.POST, {
      method: "POST",
      path: "/api/prestamos/migration/start",
      token: adminToken,
      body: { batchSize: 5, confirmPreflight: "START ANYWAY" },
    });
    expect(started.status).toBe(202);
    const run = await queryOne<{ preflight: unknown }>(db.db, sql`select preflight from migration_runs where id = ${started.json.run.id}`);
    const snap = parse(run!.preflight);
    expect(snap).toMatchObject({ overall: "fail", failing: ["legacy.pagos_index"], override: true });
    expect((snap.items as { id: string; state: string }[]).find((i) => i.id === "legacy.pagos_index")?.state).toBe("fail");
    const audit = await auditOf(started.headers.get("x-request-id")!);
    expect(audit).toMatchObject({ action: "migration.start", outcome: "ok", status: 202 });
    expect(parse(audit!.details).preflight).toMatchObject({ failing: ["legacy.pagos_index"], override: true });
  });

  it("starts without a confirmation when nothing fails (warnings do not block) and records the snapshot", async () => {
    const started = await call(start.POST, { method: "POST", path: "/api/prestamos/migration/start", token: adminToken, body: {} });
    expect(started.status).toBe(202);
    const run = await queryOne<{ preflight: unknown }>(db.db, sql`select preflight from migration_runs where id = ${started.json.run.id}`);
    expect(parse(run!.preflight)).toMatchObject({ overall: "warn", failing: [], override: false });
  });
});
