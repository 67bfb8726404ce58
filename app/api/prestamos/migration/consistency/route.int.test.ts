import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { installAppDb } from "@/lib/testing/app-db";
import { call, makeToken } from "@/lib/testing/auth";
import { openTestDb, testDriver, type TestDb } from "@/lib/testing/db";
import { insertPrestamo, migrateAll } from "@/lib/testing/factories";
import { runQueuedJobs } from "@/lib/migration/jobs";
import { GET as failuresRoute } from "../failures/route";
import { GET as metricsRoute } from "../metrics/route";
import { GET as verifyRoute } from "../verify/route";
import { GET as diffRoute, POST as diffPost } from "./[id]/route";
import { GET as consistencyRoute } from "./route";

let forgetAppDb: (() => void) | undefined;

process.env.NEXTAUTH_SECRET ??= "test-secret-for-session-cookies-0123456789";

let t: TestDb;
let reviewer: string;
let good: number;
let tampered: number;

beforeAll(async () => {
  t = await openTestDb();
  forgetAppDb = installAppDb(t);
  reviewer = await makeToken(t.db, "reviewer", "read-side-reviewer");
  good = (await insertPrestamo(t.db, {}, [{ monto: "10.00" }])).id;
  tampered = (await insertPrestamo(t.db, { cliente_documento: " 0012-34 " }, [{ monto: "20.00" }])).id;
  await insertPrestamo(t.db, { estado: "???" });
  await migrateAll(t.db);
  await t.db.execute(sql`UPDATE prestamos_new SET cliente_documento = 'X' WHERE legacy_id = ${tampered}`);
});
afterAll(async () => {
  forgetAppDb?.();
  await t?.dispose();
});

/** token null: an anonymous call. */
const get = (handler: Parameters<typeof call>[0], path: string, token: string | null = reviewer, params?: Record<string, string>) =>
  call(handler, { path, token: token ?? undefined, params });

describe(`read-side routes on ${testDriver()}`, () => {
  it("consistency: the background summary and a page of mismatches for a reviewer", async () => {
    await get(consistencyRoute, "/api/prestamos/migration/consistency?fresh=1");
    await runQueuedJobs(t.db, "test-runner", testDriver());
    const r = await get(consistencyRoute, "/api/prestamos/migration/consistency?category=field&limit=10&unknown=1");
    expect(r.status).toBe(200);
    const body = r.json as { summary: { migrated: number; fieldMatch: { matchingPct: number } }; mismatches: Record<string, unknown> };
    expect(body.summary.migrated).toBe(2);
    expect(body.summary.fieldMatch.matchingPct).toBe(50);
    expect(body.mismatches).toMatchObject({
      category: "field",
      page: 1,
      limit: 10,
      hasMore: false,
      items: [{ legacyId: tampered, columns: ["cliente_documento"] }],
    });
  });

  it("consistency: bad query values are 400, anonymous 401", async () => {
    for (const q of ["fresh=yes", "category=nope", "page=0", "limit=0", "limit=201", "page=abc", "limit=1e3", "from=abc", "from=1.5", "from=2147483648"]) {
      const r = await get(consistencyRoute, `/api/prestamos/migration/consistency?${q}`);
      expect(r.status, q).toBe(400);
      expect((r.json as { error: { code: string } }).error.code).toBe("VALIDATION_ERROR");
    }
    expect((await get(consistencyRoute, "/api/prestamos/migration/consistency", null)).status).toBe(401);
  });

  it("diff: 200 with the tampered field, 400 on bad ids, 404 on unknown, 401 anonymous, 405 on POST", async () => {
    const r = await get(diffRoute, `/api/prestamos/migration/consistency/${tampered}`, reviewer, { id: String(tampered) });
    expect(r.status).toBe(200);
    const lines = (r.json as { lines: { column: string; agree: boolean; legacy: unknown; expected: unknown; actual: unknown }[] }).lines;
    expect(lines.filter((l) => !l.agree)).toEqual([
      {
        column: "cliente_documento",
        legacyField: "cliente_documento",
        legacy: [{ field: "cliente_documento", value: " 0012-34 " }],
        expected: "001234",
        actual: "X",
        agree: false,
      },
    ]);
    for (const bad of ["abc", "-1", "0", "1e3", " 7", "99999999999", "2147483648", "7 "]) {
      const b = await get(diffRoute, `/api/prestamos/migration/consistency/${encodeURIComponent(bad)}`, reviewer, { id: bad });
      expect(b.status, JSON.stringify(bad)).toBe(400);
    }
    const nf = await get(diffRoute, "/api/prestamos/migration/consistency/2147483647", reviewer, { id: "2147483647" });
    expect(nf.status).toBe(404);
    expect((nf.json as { error: { code: string } }).error.code).toBe("NOT_FOUND");
    expect((await get(diffRoute, `/api/prestamos/migration/consistency/${good}`, null, { id: String(good) })).status).toBe(401);
    const post = await call(async (req) => diffPost(req), {
      method: "POST",
      path: `/api/prestamos/migration/consistency/${good}`,
      token: reviewer,
      params: { id: String(good) },
    });
    expect(post.status).toBe(405);
  });

  it("verify, failures and metrics answer a reviewer and refuse anonymous callers", async () => {
    await get(verifyRoute, "/api/prestamos/migration/verify?fresh=1");
    await runQueuedJobs(t.db, "test-runner", testDriver());
    const v = await get(verifyRoute, "/api/prestamos/migration/verify");
    expect(v.status).toBe(200);
    expect(v.json.report).toMatchObject({ dryRun: { checked: 3, invalid: 1, byCode: { UNKNOWN_ESTADO: 1 } }, database: { driver: testDriver() } });
    const f = await get(failuresRoute, "/api/prestamos/migration/failures?code=UNKNOWN_ESTADO&page=1&limit=5");
    expect(f.status).toBe(200);
    expect(f.json).toMatchObject({ total: 1, items: [{ codes: ["UNKNOWN_ESTADO"], rules: [{ field: "estado", value: "???" }] }] });
    expect((await get(failuresRoute, "/api/prestamos/migration/failures?code=NOPE")).status).toBe(400);
    expect((await get(failuresRoute, "/api/prestamos/migration/failures?legacyId=-1")).status).toBe(400);
    const m = await get(metricsRoute, "/api/prestamos/migration/metrics?limit=10");
    expect(m.status).toBe(200);
    expect(m.json).toMatchObject({ batches: [], system: { memory: {} } });
    expect((await get(metricsRoute, "/api/prestamos/migration/metrics?runId=12345")).status).toBe(404);
    for (const h of [verifyRoute, failuresRoute, metricsRoute]) {
      expect((await get(h, "/api/prestamos/migration/x", null)).status).toBe(401);
      expect((await get(h, "/api/prestamos/migration/x", "not-a-token")).status).toBe(401);
    }
  });
});
