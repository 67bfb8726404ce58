import { sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { queryOne, queryRows } from "@/db/sql";
import type { Actor } from "@/lib/audit";
import { call, makeToken } from "@/lib/testing/auth";
import { openTestDb, type TestDb } from "@/lib/testing/db";
import { resetMigrationTables } from "@/lib/testing/reset";
import { installAppDb } from "@/lib/testing/app-db";
import { seedLegacy } from "@/lib/testing/legacy-seed";
import * as checklistRoute from "@/app/api/prestamos/migration/checklist/route";
import * as checklistConfirm from "@/app/api/prestamos/migration/checklist/confirm/route";
import * as reportRoute from "@/app/api/prestamos/migration/report/route";
import { drainCapture } from "@/lib/migration/capture";
import type { CheckItem } from "@/lib/migration/check-items";
import { prepareReport } from "@/lib/migration/report";
import { reportStream } from "@/lib/report/stream";
import { requestJob, runQueuedJobs } from "@/lib/migration/jobs";
import { startRun } from "@/lib/migration/runs";
import { runToEnd } from "@/lib/testing/run-to-end";

let db: TestDb;
let forget: () => void;
let adminToken: string;
let reviewerToken: string;
const admin: Actor = { name: "admin@test.local", kind: "user", role: "admin" };

beforeAll(async () => {
  db = await openTestDb();
  forget = installAppDb(db);
  adminToken = await makeToken(db.db, "admin", "cl-admin");
  reviewerToken = await makeToken(db.db, "reviewer", "cl-reviewer");
});
afterAll(async () => {
  forget?.();
  await db?.dispose();
});
beforeEach(async () => {
  await resetMigrationTables(db.db, [
    "console_jobs",
    "migration_confirmations",
    "console_settings",
    "legacy_write_samples",
    "test_data_rows",
    "test_data_sets",
    "console_audit_log",
  ]);
});

async function migrateAll(batchSize = 10) {
  const run = await startRun(db.db, { batchSize, errorThresholdPct: 100 }, admin, "cl-worker");
  const ended = await runToEnd(db.db, run.id, run.leaseOwner!);
  for (let i = 0; i < 100 && (await drainCapture(db.db)).entries > 0; i++);
  return ended!;
}

/** What a script does before reading the checklist: ask for a fresh consistency check and wait for it. */
async function freshConsistency() {
  await requestJob(db.db, "consistency", "test");
  await runQueuedJobs(db.db, "test-runner", db.driver);
}

const states = (items: CheckItem[]) => Object.fromEntries(items.map((i) => [i.id, i.state]));

describe("post-migration checklist", () => {
  it("is all pass after a clean migration, except the items a person confirms; the admin confirms one (audited)", async () => {
    await seedLegacy(db.db, 45);
    const ended = await migrateAll();
    expect(ended.status).toBe("finished");
    // The application writes during the migration: capture syncs it, the checklist still passes once drained.
    await db.db.execute(sql`update prestamos set estado = 'pagado' where id = 3`);
    for (let i = 0; i < 10 && (await drainCapture(db.db)).entries > 0; i++);
    const none = await call(checklistRoute.GET, { path: "/api/prestamos/migration/checklist", token: reviewerToken });
    expect(states(none.json.items)).toMatchObject({ field_match: "fail", payment_totals: "fail", status_consistent: "fail", relationships: "fail" });
    expect((none.json.items as CheckItem[]).find((i) => i.id === "field_match")!.figure).toContain("no consistency check has finished yet");
    await freshConsistency();

    const res = await call(checklistRoute.GET, { path: "/api/prestamos/migration/checklist", token: reviewerToken });
    expect(res.status).toBe(200);
    expect(states(res.json.items)).toEqual({
      "run.finished": "pass",
      all_processed: "pass",
      field_match: "pass",
      payment_totals: "pass",
      status_consistent: "pass",
      relationships: "pass",
      capture: "pass",
      test_data_removed: "pass",
      new_tables: "pass",
      "confirm.issues_documented": "warn",
      "confirm.final_backup_taken": "warn",
    });
    const byId = Object.fromEntries((res.json.items as CheckItem[]).map((i) => [i.id, i]));
    expect(byId.field_match.figure).toContain("100 % — 45 of 45");
    expect(byId.field_match.link).toBe("/consistency");
    expect(byId.all_processed.link).toBe("/failures");
    expect(byId.test_data_removed.link).toBe("/test-data");
    expect(byId.new_tables.data).toMatchObject({ prestamos: 45 });
    expect(res.json.failing).toEqual([]);

    const refused = await call(checklistConfirm.POST, {
      method: "POST",
      path: "/api/prestamos/migration/checklist/confirm",
      token: reviewerToken,
      body: { item: "final_backup_taken" },
    });
    expect(refused.status).toBe(403);
    expect((await queryRows(db.db, sql`select id from migration_confirmations`)).length).toBe(0);
    const ok = await call(checklistConfirm.POST, {
      method: "POST",
      path: "/api/prestamos/migration/checklist/confirm",
      token: adminToken,
      body: { item: "final_backup_taken", reference: "s3://backups/final.dump" },
    });
    expect(ok.status).toBe(200);
    const audit = await queryOne<{ action: string; actor: string; outcome: string }>(
      db.db,
      sql`select action, actor, outcome from console_audit_log where request_id = ${ok.headers.get("x-request-id")}`,
    );
    expect(audit).toEqual({ action: "checklist.confirm", actor: "token:cl-admin", outcome: "ok" });
    const again = await call(checklistRoute.GET, { path: "/api/prestamos/migration/checklist", token: reviewerToken });
    expect(states(again.json.items)["confirm.final_backup_taken"]).toBe("confirmed");
  });

  it("fails what is not done: pending prestamos, failures, leftover test data, a change backlog", async () => {
    await seedLegacy(db.db, 30, 5);
    const res0 = await call(checklistRoute.GET, { path: "/api/prestamos/migration/checklist", token: reviewerToken });
    // Before anything is migrated the consistency items have nothing to measure: never a pass.
    expect(states(res0.json.items)).toMatchObject({
      "run.finished": "fail",
      all_processed: "fail",
      field_match: "unmeasured",
      payment_totals: "unmeasured",
      status_consistent: "unmeasured",
      relationships: "unmeasured",
    });
    expect(res0.json.overall).toBe("fail");
    await migrateAll();
    await freshConsistency();
    await db.db.execute(sql`insert into test_data_sets (id, seed, count, dirty_pct, created_by) values (1, 1, 1, 0, 'x')`);
    await db.db.execute(sql`insert into test_data_rows (kind, legacy_id, set_id) values ('prestamo', 1, 1)`);
    await db.db.execute(sql`update prestamos set monto = 999 where id = 1`); // captured, not yet synced
    const res = await call(checklistRoute.GET, { path: "/api/prestamos/migration/checklist", token: reviewerToken });
    const s = states(res.json.items);
    expect(s.all_processed).toBe("pass"); // failed with recorded rules counts as processed
    expect(s.test_data_removed).toBe("fail");
    expect(s.capture).toBe("fail");
    expect(s.field_match).toBe("fail"); // prestamo 1 changed in legacy and is not synced yet: the last check no longer holds
    expect((res.json.items as CheckItem[]).find((i) => i.id === "field_match")!.figure).toContain("legacy changes wait in the capture queue");
    const all = (res.json.items as CheckItem[]).find((i) => i.id === "all_processed")!;
    expect(all.figure).toMatch(/\d+ failed/);
    expect(all.figure).toMatch(/INVALID_|UNKNOWN_/);
    // The counts by code, against a plain count of the failed prestamos' rules: a prestamo with
    // two rules of one code counts once, and a rule left on a prestamo that is no longer failed not at all.
    await db.db.execute(sql`insert into migration_failures (legacy_id, code, field, value)
                            select legacy_id, code, field || '_second', value from migration_failures order by id limit 1`);
    await db.db.execute(sql`insert into migration_failures (legacy_id, code, field, value)
                            select legacy_id, 'UNKNOWN_MONEDA', 'moneda', 'x' from migration_state where state = 'migrated' order by legacy_id limit 1`);
    const checked = await call(checklistRoute.GET, { path: "/api/prestamos/migration/checklist", token: reviewerToken });
    const counted = (checked.json.items as CheckItem[]).find((i) => i.id === "all_processed")!;
    const plain = await queryRows<{ code: string; n: number }>(
      db.db,
      sql`select f.code, count(distinct f.legacy_id)::int as n from migration_failures f
          join migration_state s on s.legacy_id = f.legacy_id and s.state = 'failed' group by f.code`,
    );
    expect(plain.length).toBeGreaterThan(0);
    expect(counted.data).toMatchObject({ failedWithoutReason: 0, byCode: Object.fromEntries(plain.map((r) => [r.code, Number(r.n)])) });
    expect(Object.keys(counted.data!.byCode as object).sort()).toEqual(plain.map((r) => r.code).sort());
  });
});

describe("the migration report", () => {
  it("JSON: every run, every failing rule and the audit rows of the period, as in the database; HTML: the runs table and SVG charts", async () => {
    await seedLegacy(db.db, 60, 4);
    // A dirty offending value must come out escaped in HTML.
    await migrateAll(7);
    await db.db.execute(sql`insert into prestamos (cliente_nombre, monto, tasa_interes, plazo_meses, fecha_otorgamiento, estado, moneda)
                            values ('<script>alert(1)</script>', 100, 10, 12, '2024-01-01', '<b>raro</b>', 'PEN')`);
    await migrateAll(50);
    await call(checklistConfirm.POST, {
      method: "POST",
      path: "/api/prestamos/migration/checklist/confirm",
      token: adminToken,
      body: { item: "issues_documented", reference: "JIRA-1" },
    });
    const early = await call(reportRoute.GET, { path: "/api/prestamos/migration/report?format=json", token: reviewerToken });
    expect(early.status).toBe(409); // no check yet: a clear error at once, never the whole walk inside the request
    expect(early.json.error.message).toContain("consistency/refresh");
    await freshConsistency();

    const res = await call(reportRoute.GET, { path: "/api/prestamos/migration/report?format=json", token: reviewerToken });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(res.headers.get("content-disposition")).toMatch(/^attachment; filename="prestamos-migration-report-\d{4}-\d{2}-\d{2}\.json"$/);
    const rep = res.json;

    const runs = await queryRows<{ id: number; started_by: string; status: string }>(db.db, sql`select id, started_by, status from migration_runs order by id`);
    expect(rep.runs.map((r: { id: number; startedBy: string; status: string }) => [r.id, r.startedBy, r.status])).toEqual(
      runs.map((r) => [Number(r.id), r.started_by, r.status]),
    );
    expect(rep.runs[0].settings).toMatchObject({ batchSize: 7, errorThresholdPct: 100, retry: false });
    expect(rep.runs[0].prestamosPerSec).toBeGreaterThan(0);

    const failures = await queryRows<{ legacy_id: number; code: string; field: string; value: string | null; pago_id: number | null }>(
      db.db,
      sql`select f.legacy_id, f.code, f.field, f.value, f.pago_id from migration_failures f
          join migration_state s on s.legacy_id = f.legacy_id and s.state = 'failed' order by f.legacy_id, f.id`,
    );
    expect(failures.length).toBeGreaterThan(10);
    expect(
      rep.failures.map((f: { legacyId: number; code: string; field: string; value: string | null; pagoId: number | null }) => [
        f.legacyId,
        f.code,
        f.field,
        f.value,
        f.pagoId,
      ]),
    ).toEqual(failures.map((f) => [Number(f.legacy_id), f.code, f.field, f.value, f.pago_id == null ? null : Number(f.pago_id)]));
    const failed = await queryOne<{ n: number }>(db.db, sql`select count(*)::int as n from migration_state where state = 'failed'`);
    expect(rep.failedPrestamos).toBe(failed!.n);
    expect(new Set(rep.failures.map((f: { legacyId: number }) => f.legacyId)).size).toBe(failed!.n);

    const audit = await queryRows<{ id: number; action: string }>(
      db.db,
      sql`select id, action from console_audit_log where at >= ${rep.period.from}::timestamptz and at <= ${rep.period.to}::timestamptz order by id`,
    );
    expect(audit.length).toBeGreaterThanOrEqual(4);
    expect(rep.audit.map((a: { id: number; action: string }) => [a.id, a.action])).toEqual(audit.map((a) => [Number(a.id), a.action]));
    expect(rep.audit.map((a: { action: string }) => a.action)).toContain("checklist.confirm");
    expect(Date.parse(rep.period.from)).toBe(Date.parse(rep.runs[0].startedAt) - 86_400_000);
    expect(rep.totals).toEqual({ failureRows: failures.length, batches: rep.batches.length, auditRows: audit.length });
    expect(rep.checklist.items.length).toBeGreaterThan(5);
    expect(rep.confirmations[0]).toMatchObject({ item: "issues_documented", reference: "JIRA-1" });
    expect(rep.consistency.migrated).toBeGreaterThan(0);

    const html = await call(reportRoute.GET, { path: "/api/prestamos/migration/report?format=html", token: reviewerToken });
    expect(html.status).toBe(200);
    expect(html.headers.get("content-type")).toMatch(/^text\/html/);
    expect(html.headers.get("content-disposition")).toMatch(/filename="prestamos-migration-report-\d{4}-\d{2}-\d{2}\.html"/);
    expect(html.text).toContain('<table id="runs">');
    expect(html.text).toMatch(/<svg class="chart"[^>]*>.*<polyline/s);
    expect(html.text).toContain("@media print");
    expect(html.text).not.toContain("<b>raro</b>");
    expect(html.text).toContain("&lt;b&gt;raro&lt;/b&gt;");
    expect(html.text.trim().endsWith("</html>")).toBe(true);
    const rowsInHtml = (html.text.match(/<tr><td class="n">\d*<\/td><td class="mono">(INVALID|UNKNOWN)_/g) ?? []).length;
    expect(rowsInHtml).toBe(failures.length);

    const bad = await call(reportRoute.GET, { path: "/api/prestamos/migration/report?format=pdf", token: reviewerToken });
    expect(bad.status).toBe(400);
    const anon = await call(reportRoute.GET, { path: "/api/prestamos/migration/report" });
    expect(anon.status).toBe(401);
  });

  it("pages through 12,000 failure rows with keyset queries and streams the document in parts", async () => {
    // 3,000 failed prestamos × 4 rules; no legacy rows needed for the archive of failures.
    await db.db.execute(sql`insert into migration_state (legacy_id, state, run_id) select i, 'failed', 1 from generate_series(1, 3000) i`);
    await db.db.execute(sql`insert into migration_failures (legacy_id, code, field, value, pago_id, run_id)
                            select i, (array['INVALID_MONTO','INVALID_TASA','UNKNOWN_ESTADO','INVALID_PAGO'])[k], 'f' || k, 'v' || i || '-' || k,
                                   case when k = 4 then i * 10 else null end, 1
                            from generate_series(1, 3000) i cross join generate_series(1, 4) k`);
    const pages: Record<string, number[]> = { failures: [], audit: [], batches: [] };
    await freshConsistency();
    const head = await prepareReport(db.db, { driver: db.driver }, "test");
    const stream = reportStream(db.db, head, "json", { onPage: (s, n) => pages[s].push(n) });
    const reader = stream.getReader();
    const decoder = new TextDecoder();
    let text = "";
    let chunks = 0;
    let pagesWhenFirstFailureChunk: number | null = null;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks++;
      const part = decoder.decode(value, { stream: true });
      if (pagesWhenFirstFailureChunk === null && part.includes('"code":"INVALID_MONTO"')) pagesWhenFirstFailureChunk = pages.failures.length;
      text += part;
    }
    const rep = JSON.parse(text);
    expect(rep.failures.length).toBe(12_000);
    expect(rep.totals.failureRows).toBe(12_000);
    expect(new Set(rep.failures.map((f: { legacyId: number; field: string }) => `${f.legacyId}/${f.field}`)).size).toBe(12_000);
    expect(rep.failures[11_999]).toMatchObject({ legacyId: 3000, code: "INVALID_PAGO", field: "f4", value: "v3000-4", pagoId: 30000 });
    expect(pages.failures).toEqual([5000, 5000, 2000]);
    // The first page was written out before the next one was read.
    expect(pagesWhenFirstFailureChunk).toBe(1);
    expect(chunks).toBeGreaterThan(5);
    expect(rep.failuresByCode.INVALID_PAGO).toEqual({ prestamos: 3000, rules: 3000 });

    const htmlPages: number[] = [];
    const html = await new Response(reportStream(db.db, head, "html", { pageSize: 4000, onPage: (s, n) => s === "failures" && htmlPages.push(n) })).text();
    expect(htmlPages).toEqual([4000, 4000, 4000, 0]);
    expect((html.match(/<td class="mono">INVALID_PAGO<\/td><td class="mono">f4<\/td>/g) ?? []).length).toBe(3000);
  });
});
