import { spawnSync } from "node:child_process";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { queryOne, queryRows } from "@/db/sql";
import { call, makeToken } from "@/lib/testing/auth";
import { resetConsistencyCache, resetPrometheus } from "@/lib/testing/metrics";
import { runToEnd } from "@/lib/testing/run-to-end";
import { openTestDb, type TestDb } from "@/lib/testing/db";
import { installAppDb } from "@/lib/testing/app-db";
import { seedLegacy } from "@/lib/testing/legacy-seed";
import { parseExposition, valueOf } from "@/lib/testing/prom-text";
import * as diff from "@/app/api/prestamos/migration/consistency/[id]/route";
import * as progress from "@/app/api/prestamos/migration/progress/route";
import * as start from "@/app/api/prestamos/migration/start/route";
import * as prometheus from "./route";

let db: TestDb;
let forget: () => void;
let admin: string;
let reviewer: string;
const SCRAPE = "scrape-secret-0123456789abcdef";

beforeAll(async () => {
  db = await openTestDb();
  forget = installAppDb(db);
  resetPrometheus();
  resetConsistencyCache();
  process.env.PROMETHEUS_SCRAPE_TOKEN = SCRAPE;
  admin = await makeToken(db.db, "admin");
  reviewer = await makeToken(db.db, "reviewer");
  // 40 prestamos, every 4th broken: the run halts (25 % > 1 %) with failures of several codes.
  await seedLegacy(db.db, 40, 4);
});
afterAll(async () => {
  delete process.env.PROMETHEUS_SCRAPE_TOKEN;
  forget?.();
  await db?.dispose();
});

const scrape = (opts: { token?: string; cookie?: string } = {}) => call(prometheus.GET, { path: "/api/metrics/prometheus", ...opts });

describe("GET /api/metrics/prometheus", () => {
  it("refuses without credentials (401) and with a wrong bearer; accepts the scrape token and a reviewer token", async () => {
    const none = await scrape();
    expect(none.status).toBe(401);
    expect(none.json.error.code).toBe("UNAUTHENTICATED");
    expect((await scrape({ token: "not-the-scrape-token" })).status).toBe(401);
    expect((await scrape({ token: SCRAPE.slice(0, -1) })).status).toBe(401);
    const withScrape = await scrape({ token: SCRAPE });
    expect(withScrape.status).toBe(200);
    expect(withScrape.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    expect((await scrape({ token: reviewer })).status).toBe(200);
    // The scrape token is no console credential.
    expect((await call(progress.GET, { path: "/api/prestamos/migration/progress", token: SCRAPE })).status).toBe(401);
  });

  it("exposes the migration's figures as the database has them, HTTP requests by route pattern, and process metrics", async () => {
    const started = await call(start.POST, { method: "POST", path: "/api/prestamos/migration/start", token: admin, body: { batchSize: 15 } });
    await runToEnd(db.db, started.json.run.id, started.json.run.leaseOwner);
    await call(progress.GET, { path: "/api/prestamos/migration/progress", token: reviewer });
    await call(diff.GET, { path: "/api/prestamos/migration/consistency/3", token: reviewer, params: { id: "3" } });
    await call(diff.GET, { path: "/api/prestamos/migration/consistency/abc", token: reviewer, params: { id: "abc" } });

    const res = await scrape({ token: SCRAPE });
    expect(res.status).toBe(200);
    const e = parseExposition(res.text);

    for (const [name, type] of Object.entries({
      prestamos_migration_run_state: "gauge",
      prestamos_migration_prestamos: "gauge",
      prestamos_migration_batch_duration_seconds: "histogram",
      prestamos_migration_rows_per_second: "gauge",
      prestamos_migration_failures: "gauge",
      prestamos_capture_backlog_entries: "gauge",
      prestamos_capture_backlog_oldest_age_seconds: "gauge",
      prestamos_consistency_match_percent: "gauge",
      prestamos_http_requests_total: "counter",
      prestamos_http_request_duration_seconds: "histogram",
      process_cpu_user_seconds_total: "counter",
      process_resident_memory_bytes: "gauge",
      nodejs_eventloop_lag_seconds: "gauge",
    })) {
      expect(e.types[name], name).toBe(type);
    }

    const run = await queryOne<{ id: number; status: string; batches: number }>(
      db.db,
      sql`select id, status, batches from migration_runs order by id desc limit 1`,
    );
    expect(run!.status).toBe("halted");
    expect(valueOf(e, "prestamos_migration_run_state", { state: "halted" })).toBe(1);
    for (const s of ["idle", "running", "finished", "stopped"]) expect(valueOf(e, "prestamos_migration_run_state", { state: s })).toBe(0);
    expect(valueOf(e, "prestamos_migration_run_id")).toBe(run!.id);

    const states = await queryRows<{ state: string; n: number }>(db.db, sql`select state, count(*)::int as n from migration_state group by state`);
    const byState = Object.fromEntries(states.map((s) => [s.state, s.n]));
    expect(valueOf(e, "prestamos_migration_prestamos", { state: "migrated" })).toBe(byState.migrated ?? 0);
    expect(valueOf(e, "prestamos_migration_prestamos", { state: "failed" })).toBe(byState.failed ?? 0);
    expect(valueOf(e, "prestamos_migration_prestamos", { state: "pending" })).toBe(
      40 - (byState.migrated ?? 0) - (byState.failed ?? 0) - (byState.rolled_back ?? 0),
    );

    const codes = await queryRows<{ code: string; n: number }>(
      db.db,
      sql`select code, count(distinct legacy_id)::int as n from migration_failures group by code`,
    );
    expect(codes.length).toBeGreaterThan(0);
    for (const c of codes) expect(valueOf(e, "prestamos_migration_failures", { code: c.code }), c.code).toBe(c.n);

    // Every run batch so far is in the histogram.
    const batches = await queryOne<{ n: number }>(db.db, sql`select count(*)::int as n from migration_batches where kind = 'run'`);
    expect(valueOf(e, "prestamos_migration_batch_duration_seconds_count", { kind: "run" })).toBe(batches!.n);
    expect(valueOf(e, "prestamos_migration_batch_duration_seconds_bucket", { kind: "run", le: "+Inf" })).toBe(batches!.n);

    const backlog = await queryOne<{ n: number }>(db.db, sql`select count(*)::int as n from capture_changes`);
    expect(valueOf(e, "prestamos_capture_backlog_entries")).toBe(backlog!.n);
    expect(valueOf(e, "prestamos_capture_enabled")).toBe(1);
    expect(valueOf(e, "prestamos_consistency_match_percent")).toBe(100);

    // HTTP requests are labelled by pattern: /consistency/3 and /consistency/abc are one route.
    expect(valueOf(e, "prestamos_http_requests_total", { method: "GET", route: "/api/prestamos/migration/consistency/{id}", status: "200" })).toBe(1);
    expect(valueOf(e, "prestamos_http_requests_total", { method: "GET", route: "/api/prestamos/migration/consistency/{id}", status: "400" })).toBe(1);
    expect(valueOf(e, "prestamos_http_requests_total", { method: "POST", route: "/api/prestamos/migration/start", status: "202" })).toBe(1);
    expect(e.samples.some((s) => s.labels.route?.includes("/3") || s.labels.route?.includes("abc"))).toBe(false);
    expect(valueOf(e, "prestamos_http_requests_total", { method: "GET", route: "/api/metrics/prometheus", status: "401" })).toBe(3);
  });

  it("reads consistency from the cached summary, not on every scrape", async () => {
    await scrape({ token: SCRAPE });
    await db.db.execute(sql`update prestamos_new set cliente_nombre = 'tampered' where legacy_id = (select min(legacy_id) from prestamos_new)`);
    // Within the TTL the figure is the cached one…
    expect(valueOf(parseExposition((await scrape({ token: SCRAPE })).text), "prestamos_consistency_match_percent")).toBe(100);
    // …and a fresh computation (as after a run) is what the next scrape shows.
    resetConsistencyCache();
    const e = parseExposition((await scrape({ token: SCRAPE })).text);
    expect(valueOf(e, "prestamos_consistency_match_percent")).toBeLessThan(100);
    expect(valueOf(e, "prestamos_consistency_computed_age_seconds")).toBeLessThan(5);
  });

  it("is clean under promtool check metrics (Prometheus's own linter), every family of ours included", async () => {
    const res = await scrape({ token: SCRAPE });
    expect(res.status).toBe(200);
    const e = parseExposition(res.text);
    const ours = Object.keys(e.types).filter((name) => name.startsWith("prestamos_"));
    expect(ours.length).toBeGreaterThanOrEqual(15);
    const lint = spawnSync(process.env.PROMTOOL ?? "promtool", ["check", "metrics"], { input: res.text, encoding: "utf8" });
    // Missing promtool is a failure, not a skip: .ci/lib.sh installs it (Debian's prometheus package).
    expect(lint.error, "promtool not found: apt-get install prometheus, or set PROMTOOL").toBeUndefined();
    expect(`${lint.stdout}${lint.stderr}`.trim()).toBe("");
    expect(lint.status).toBe(0);
  });
});
