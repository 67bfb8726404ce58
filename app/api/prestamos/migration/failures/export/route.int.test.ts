import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { installAppDb } from "@/lib/testing/app-db";
import { call, makeToken } from "@/lib/testing/auth";
import { csvLine } from "@/lib/csv";
import { listFailures } from "@/lib/migration/failures";
import { FAILED_RULE_CSV_COLUMNS, iterateFailedRules } from "@/lib/migration/failures-export";
import { FAILURE_CODES } from "@/lib/migration/rules";
import { openTestDb, testDriver, type TestDb } from "@/lib/testing/db";
import { insertPrestamo, migrateAll } from "@/lib/testing/factories";
import { GET } from "./route";

let t: TestDb;
let reviewer: string;
let hostile: number;
let forget: () => void;

beforeAll(async () => {
  t = await openTestDb();
  forget = installAppDb(t);
  reviewer = await makeToken(t.db, "reviewer", "failures-export");
  // Two rules on one prestamo, one of them a value a spreadsheet would evaluate; a failing pago; a clean one.
  hostile = (await insertPrestamo(t.db, { estado: "=SUM(A1)", moneda: "XXX" })).id;
  await insertPrestamo(t.db, { moneda: "ZZZ" });
  await insertPrestamo(t.db, {}, [{ monto: "10.00" }, { monto: "-1" }]);
  await insertPrestamo(t.db, {}, [{ monto: "10.00" }]);
  await migrateAll(t.db);
});
afterAll(async () => {
  forget?.();
  await t?.dispose();
});

const get = (qs: string, token: string | null = reviewer) => call(GET, { path: `/api/prestamos/migration/failures/export${qs}`, token: token ?? undefined });
const lines = (text: string) => text.trimEnd().split("\r\n");

/** What GET /failures lists for the same filter, every page, as the CSV's lines. */
async function pageLines(code?: (typeof FAILURE_CODES)[number]): Promise<string[]> {
  const page = await listFailures(t.db, { code, page: 1, limit: 200 });
  expect(page.hasMore).toBe(false);
  return page.items.flatMap((p) => p.rules.map((r) => csvLine([p.legacyId, p.runId, p.failedAt, r.code, r.field, r.pagoId, r.value]).trimEnd()));
}

describe(`GET /api/prestamos/migration/failures/export on ${testDriver()}`, () => {
  it("streams every failing rule, filtered as the Failures page is, as CSV", async () => {
    const all = await get("");
    expect(all.status).toBe(200);
    expect(all.headers.get("content-type")).toMatch(/^text\/csv/);
    expect(all.headers.get("content-disposition")).toMatch(/^attachment; filename="failures-.*\.csv"$/);
    const [header, ...rows] = lines(all.text);
    expect(header).toBe(FAILED_RULE_CSV_COLUMNS.join(","));
    expect(rows.length).toBeGreaterThanOrEqual(4);
    // The formula is shown, never evaluated.
    expect(rows.find((r) => r.startsWith(`${hostile},`) && r.includes("UNKNOWN_ESTADO"))).toMatch(/,'=SUM\(A1\)$/);
    expect(rows).toEqual(await pageLines());

    // A code keeps the prestamos that fail it, with all their rules (the page shows the same).
    const moneda = lines((await get("?code=UNKNOWN_MONEDA")).text).slice(1);
    expect(moneda).toEqual(await pageLines("UNKNOWN_MONEDA"));
    expect(new Set(moneda.map((r) => r.split(",")[0])).size).toBe(2);
    expect(moneda.some((r) => r.includes("UNKNOWN_ESTADO"))).toBe(true);

    const one = lines((await get(`?legacyId=${hostile}`)).text).slice(1);
    expect(one).toHaveLength(2);
    expect(lines((await get("?code=INVALID_TASA")).text)).toEqual([header]);
  });

  it("walks the prestamos in batches without losing or repeating one", async () => {
    const whole: string[] = [];
    for await (const b of iterateFailedRules(t.db, {})) whole.push(...b.map((r) => JSON.stringify(r)));
    const small: string[] = [];
    let batches = 0;
    for await (const b of iterateFailedRules(t.db, {}, 1)) {
      batches++;
      small.push(...b.map((r) => JSON.stringify(r)));
    }
    expect(batches).toBe(3);
    expect(small).toEqual(whole);
  });

  it("answers bad input with the JSON error envelope, and anonymous callers 401", async () => {
    for (const q of ["?code=NOPE", "?legacyId=abc", "?legacyId=0", "?legacyId=1e3"]) {
      const r = await get(q);
      expect(r.status, q).toBe(400);
      expect(r.headers.get("content-type")).toMatch(/^application\/json/);
      expect((r.json as { error: { code: string } }).error.code).toBe("VALIDATION_ERROR");
    }
    expect((await get("", null)).status).toBe(401);
  });
});
