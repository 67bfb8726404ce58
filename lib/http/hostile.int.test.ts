/**
 * hostile input sweep: EVERY route under app/api (found by walking the folder, so a new
 * route is swept the day it lands) × every HTTP method, as Next serves it (the route's export, else
 * Next's own empty 405 or automatic OPTIONS, which fail here) × a wide set of bad inputs × admin
 * token, reviewer token and anonymous, called in-process. Never a 500, never HTML, always the
 * spec's envelope with the right status and an x-request-id, every refused mutation audited as
 * refused, and a checksum of every table the console owns + the legacy tables unchanged.
 */
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { queryOne, queryRows } from "@/db/sql";
import { makeToken } from "@/lib/testing/auth";
import { installAppDb } from "@/lib/testing/app-db";
import { openTestDb, testDriver, type TestDb } from "@/lib/testing/db";
import { seedLegacy } from "@/lib/testing/legacy-seed";
import { requestJob, runQueuedJobs } from "@/lib/migration/jobs";
import { startRun } from "@/lib/migration/runs";
import { runToEnd } from "@/lib/testing/run-to-end";
import { fingerprint } from "@/lib/testing/fingerprint";
import { loadRoutes, MUTATING, type Handler, type RouteFile } from "@/lib/testing/api-routes";

// ---- the bad inputs ----

type Expect = "validation" | "too-large" | "unauthenticated";
interface Case {
  name: string;
  /** Which methods it applies to. */
  methods: "mutating" | "all";
  body?: string;
  contentType?: string;
  headers?: Record<string, string>;
  query?: string;
  /** Replaces the dynamic segment values. */
  param?: string;
  expect: Expect;
}

const deepObject = (n: number) => '{"a":'.repeat(n) + "1" + "}".repeat(n);
const deepArray = (n: number) => "[".repeat(n) + "]".repeat(n);
const MB = 1024 * 1024;
// Every object body carries an unknown field too: strict schemas must refuse it whatever the rest is,
// so no case can succeed by accident (a success would show in the checksum).
const withUnknown = (o: Record<string, unknown>) => JSON.stringify({ ...o, zz_unknown_field: true });
const NUMERIC_FIELDS = ["batchSize", "errorThresholdPct", "count", "dirtyPct", "seed", "id", "page", "limit"];
const STRING_FIELDS = ["name", "email", "password", "role", "url", "confirm", "item", "secret", "events"];
const BAD_NUMBERS: unknown[] = ["1; DROP TABLE prestamos; --", -1, -2147483649, 2147483648, 1e308, "99999999999999999999", "NaN", "１２", null, [], {}];
const BAD_STRINGS: unknown[] = [
  12345,
  null,
  [],
  { $ne: null },
  "' OR '1'='1' --",
  "\u0000\u0001\u001b[31m",
  "\u202e\ud83d\ude00 ＡＤＭＩＮ",
  "x".repeat(100_000),
];

const BODY_CASES: Case[] = [
  { name: "malformed JSON: unclosed object", methods: "mutating", body: '{"batchSize": 10', expect: "validation" },
  { name: "malformed JSON: trailing garbage", methods: "mutating", body: '{"a":1}garbage', expect: "validation" },
  { name: "malformed JSON: NaN literal", methods: "mutating", body: '{"batchSize": NaN}', expect: "validation" },
  { name: "malformed JSON: single quotes", methods: "mutating", body: "{'a': 1}", expect: "validation" },
  { name: "malformed JSON: BOM then object", methods: "mutating", body: '\ufeff{"zz":1}', expect: "validation" },
  { name: "invalid UTF-8 bytes", methods: "mutating", body: "\udcff\udcfe{", expect: "validation" },
  { name: "NUL bytes in JSON", methods: "mutating", body: '{"zz\\u0000":"\\u0000"}', expect: "validation" },
  { name: "raw NUL byte outside JSON", methods: "mutating", body: "{\u0000}", expect: "validation" },
  { name: "JSON null", methods: "mutating", body: "null", expect: "validation" },
  { name: "JSON number", methods: "mutating", body: "-1", expect: "validation" },
  { name: "JSON huge number", methods: "mutating", body: "1e999", expect: "validation" },
  { name: "JSON string", methods: "mutating", body: '"ROLLBACK ALL"', expect: "validation" },
  { name: "JSON array", methods: "mutating", body: "[]", expect: "validation" },
  { name: "JSON array of objects", methods: "mutating", body: '[{"confirm":"ROLLBACK ALL"}]', expect: "validation" },
  { name: "unknown fields only", methods: "mutating", body: withUnknown({ admin: true, role: "admin" }), expect: "validation" },
  { name: "__proto__ pollution", methods: "mutating", body: '{"__proto__":{"role":"admin","isAdmin":true},"zz":1}', expect: "validation" },
  { name: "constructor.prototype pollution", methods: "mutating", body: '{"constructor":{"prototype":{"role":"admin"}}}', expect: "validation" },
  { name: "deep nesting 10,000 objects", methods: "mutating", body: deepObject(10_000), expect: "validation" },
  { name: "deep nesting 10,000 arrays", methods: "mutating", body: deepArray(10_000), expect: "validation" },
  { name: "10,000 unclosed brackets", methods: "mutating", body: "[".repeat(10_000), expect: "validation" },
  { name: "wrong content type", methods: "mutating", body: withUnknown({}), contentType: "text/plain", expect: "validation" },
  {
    name: "form content type",
    methods: "mutating",
    body: "confirm=ROLLBACK+ALL&batchSize=1",
    contentType: "application/x-www-form-urlencoded",
    expect: "validation",
  },
  { name: "oversized body (1 MB + 1)", methods: "mutating", body: `"${"a".repeat(MB - 1)}"`, expect: "too-large" },
  {
    name: "oversized body with a lying small content-length",
    methods: "mutating",
    body: `{"a":"${"b".repeat(2 * MB)}"}`,
    headers: { "content-length": "10" },
    expect: "too-large",
  },
  {
    name: "small body with a huge declared content-length",
    methods: "mutating",
    body: "{}",
    headers: { "content-length": "999999999999" },
    expect: "too-large",
  },
];

const longValue = "a".repeat(100_000);
const QUERY_CASES: Case[] = [
  { name: "negative and non-numeric paging", methods: "all", query: "page=-1&limit=abc", expect: "validation" },
  { name: "int overflow paging", methods: "all", query: "page=2147483648&limit=99999999999999999999", expect: "validation" },
  { name: "exponent and spaces", methods: "all", query: "page=1e3&limit=%207%20", expect: "validation" },
  { name: "repeated params", methods: "all", query: "page=1&page=-2&page=x&limit=1&limit=100000", expect: "validation" },
  { name: "very long query string", methods: "all", query: `q=${longValue}&category=${longValue}`, expect: "validation" },
  {
    name: "SQL-ish values",
    methods: "all",
    query: "category=' OR 1=1 --&code=1;DROP TABLE prestamos&status=%27%3B--&format=xml&runId=1 OR 1=1",
    expect: "validation",
  },
  { name: "NUL and control characters", methods: "all", query: "category=%00&code=%01%1b%7f&after=%00", expect: "validation" },
  {
    name: "unicode: RTL override, emoji, full-width digits",
    methods: "all",
    query: "page=%EF%BC%91&category=%E2%80%AE%F0%9F%98%80&code=%D9%A1%D9%A2",
    expect: "validation",
  },
  { name: "bracket params", methods: "all", query: "page[$gt]=1&limit[]=1&category[0]=a", expect: "validation" },
  { name: "invalid percent-encoding", methods: "all", query: "page=%&limit=%zz&category=%E0%A4%A", expect: "validation" },
  { name: "empty keys and values", methods: "all", query: "=&&=1&page=&limit=", expect: "validation" },
];

const PARAM_CASES: Case[] = [
  "0",
  "-1",
  "abc",
  "2147483648",
  "99999999999999999999",
  "1e3",
  " 7 ",
  "１２",
  "١٢",
  "1\u0000",
  "../1",
  "1;DROP TABLE prestamos",
  "",
  "0x10",
  "+5",
  "1.0",
  "%31",
].map((p) => ({
  name: `id ${JSON.stringify(p)}`,
  methods: "all" as const,
  param: p,
  expect: "validation" as const,
}));

const AUTH_CASES: Case[] = [
  "Bearer",
  "Bearer ",
  "Bearer a b",
  "Basic YWRtaW46YWRtaW4=",
  `Bearer ${"a".repeat(10_000)}`,
  "Bearer pc_' OR '1'='1",
  "bearer\tpc_\u00e9\u00e8",
  "Token pc_x",
].map((h, i) => ({
  name: `bad Authorization #${i}`,
  methods: "all" as const,
  headers: { authorization: h },
  expect: "unauthenticated" as const,
}));

// One body per bad value, with every field of its kind set to it: each handler's schema reads every
// field it knows (a zod object checks them all), so every field meets every value in one call.
const allFields = (fields: string[], v: unknown) => Object.fromEntries(fields.map((f) => [f, v]));
const FIELD_CASES: Case[] = [
  ...BAD_NUMBERS.map((v, i): Case => ({
    name: `every numeric field = bad number #${i}`,
    methods: "mutating",
    body: withUnknown(allFields(NUMERIC_FIELDS, v)),
    expect: "validation",
  })),
  ...BAD_STRINGS.map((v, i): Case => ({
    name: `every string field = bad string #${i}`,
    methods: "mutating",
    body: withUnknown(allFields(STRING_FIELDS, v)),
    expect: "validation",
  })),
];
/** Inputs that are refused before anything is read for anonymous and reviewers; field-level ones only matter to an admin. */
const STRUCTURAL_CASES = [...BODY_CASES, ...QUERY_CASES, ...PARAM_CASES, ...AUTH_CASES];
/**
 * What a caller who is refused before anything is read (anonymous, a reviewer on an admin route)
 * and the 405/404 handlers (they read nothing) get: one case of each kind. CI time goes to the
 * admin's sweep, where every byte is parsed.
 */
const SAMPLE_CASES = [
  BODY_CASES[0],
  BODY_CASES.find((c) => c.name.includes("lying"))!,
  BODY_CASES.find((c) => c.name.includes("10,000 objects"))!,
  BODY_CASES.find((c) => c.name.includes("NUL bytes"))!,
  QUERY_CASES[0],
  QUERY_CASES.find((c) => c.name.includes("very long"))!,
  PARAM_CASES[0],
  PARAM_CASES.find((c) => c.name.includes("\\u0000"))!,
  AUTH_CASES[0],
  AUTH_CASES[4],
].filter(Boolean);
const ALL_CASES = [...STRUCTURAL_CASES, ...FIELD_CASES];

// ---- the sweep ----

let t: TestDb;
let forget: () => void;
let tokens: { admin: string; reviewer: string };
let routes: RouteFile[];
const previousLimit = process.env.API_RATE_LIMIT_PER_MINUTE;

beforeAll(async () => {
  // The sweep makes thousands of calls with one token in a minute: the API limit is tested in rate-limit.int.test.ts.
  process.env.API_RATE_LIMIT_PER_MINUTE = "0";
  t = await openTestDb();
  forget = installAppDb(t);
  tokens = { admin: await makeToken(t.db, "admin"), reviewer: await makeToken(t.db, "reviewer") };
  // Data in every table the engine writes: a finished run with capture on, failures, batches.
  await seedLegacy(t.db, 60, 7);
  const run = await startRun(t.db, { batchSize: 25, errorThresholdPct: 50 }, { name: "sweep", kind: "system" }, "sweep:1:x");
  await runToEnd(t.db, run.id, "sweep:1:x");
  // and the consistency check the worker runs after a run ends (the report needs one).
  await requestJob(t.db, "consistency", "sweep");
  await runQueuedJobs(t.db, "sweep:1:x", t.driver);
  routes = await loadRoutes();
}, 120_000);

afterAll(async () => {
  if (previousLimit === undefined) delete process.env.API_RATE_LIMIT_PER_MINUTE;
  else process.env.API_RATE_LIMIT_PER_MINUTE = previousLimit;
  forget?.();
  await t?.dispose();
});

function paramsFor(r: RouteFile, override?: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const d of r.dynamic) {
    const v = override ?? (d.name === "nextauth" ? "session" : "2147483647");
    out[d.name] = d.catchAll ? v.split("/") : v;
  }
  return out;
}

function urlFor(r: RouteFile, params: Record<string, string | string[]>, query?: string): string {
  let p = r.pattern;
  for (const d of r.dynamic) {
    const v = params[d.name];
    const enc = (Array.isArray(v) ? v : [v]).map((s) => encodeURIComponent(s)).join("/");
    p = p.replace(d.catchAll ? `[...${d.name}]` : `[${d.name}]`, enc);
  }
  return `http://localhost${p}${query ? `?${query}` : ""}`;
}

interface Seen {
  calls: number;
  fiveHundreds: string[];
  problems: string[];
  mutatingRouteCalls: number;
}

function expectedStatuses(
  meta: Handler["routeMeta"],
  method: string,
  principal: "admin" | "reviewer" | "anonymous",
  c: Case,
  isNotFoundCatchAll: boolean,
): number[] {
  if (isNotFoundCatchAll) return [404];
  if (!meta) return []; // a 405 handler or a handler outside the wrapper: decided by the caller
  if (c.expect === "unauthenticated") return [401];
  if (meta.role !== "public" && principal === "anonymous") return [401];
  if (meta.role === "admin" && principal === "reviewer") return [403];
  // A mutation always carries a bad body (or a bad id), so the handler never runs.
  if (MUTATING.has(method)) return c.expect === "too-large" ? [413] : [400];
  // Reads: a bad param is a 400; a query the route does not read is ignored (200); an unknown id is a 404.
  return c.param !== undefined ? [400, 404] : [200, 400, 404];
}

async function sweepOne(r: RouteFile, method: string, handler: Handler, principal: "admin" | "reviewer" | "anonymous", c: Case, seen: Seen): Promise<void> {
  if (c.methods === "mutating" && !MUTATING.has(method)) return;
  if (c.param !== undefined && r.dynamic.length === 0) return;
  const mutating = MUTATING.has(method);
  const params = paramsFor(r, c.param);
  const headers: Record<string, string> = {};
  if (principal !== "anonymous") headers.authorization = `Bearer ${tokens[principal]}`;
  Object.assign(headers, c.headers ?? {});
  // A mutation always carries a bad body, so that a query or id case can never succeed by accident.
  const body = mutating ? (c.body ?? "[]") : undefined;
  if (body !== undefined) headers["content-type"] = c.contentType ?? "application/json";
  let req: Request;
  try {
    req = new Request(urlFor(r, params, c.query), { method, headers, body });
  } catch {
    return; // a value fetch itself refuses (e.g. a NUL in a header): no server would see it either
  }
  const label = `${method} ${r.pattern} as ${principal}: ${c.name}`;
  seen.calls++;
  let res: Response;
  try {
    res = await handler(req, { params: Promise.resolve(params) });
  } catch (err) {
    seen.problems.push(`${label}: threw ${String(err).slice(0, 200)}`);
    return;
  }
  const text = method === "HEAD" ? "" : await res.text();
  const type = res.headers.get("content-type") ?? "";
  if (res.status >= 500) seen.fiveHundreds.push(`${label}: ${res.status} ${text.slice(0, 300)}`);
  if (/html/i.test(type) || /^\s*<(!doctype|html)/i.test(text)) seen.problems.push(`${label}: HTML (${type})`);
  const meta = handler.routeMeta;
  const isHealth = r.pattern === "/api/health";
  const isNextAuth = r.pattern.startsWith("/api/auth/");
  const isCatchAll = r.pattern === "/api/[...path]";
  if (mutating && meta?.action) seen.mutatingRouteCalls++;
  if (method === "OPTIONS" && !isCatchAll) {
    // Next's automatic OPTIONS would do, but its Allow lists every export, 405 handlers included: ours must answer.
    if (res.status !== 204 || !res.headers.get("allow") || !res.headers.get("x-request-id"))
      seen.problems.push(`${label}: OPTIONS ${res.status}, allow ${res.headers.get("allow")}, request id ${res.headers.get("x-request-id")}`);
    return;
  }
  if (!res.headers.get("x-request-id")) seen.problems.push(`${label}: no x-request-id`);
  // HEAD is the envelope's headers without its body.
  if (res.status >= 400 && !/application\/json/.test(type)) seen.problems.push(`${label}: ${res.status} with content type "${type}", not the JSON envelope`);
  let expected = expectedStatuses(meta, method === "HEAD" ? "GET" : method, principal, c, isCatchAll);
  if (!meta && !isHealth && !isCatchAll) expected = [405]; // methodNotAllowed()
  if (isHealth || isNextAuth) expected = method === "GET" || method === "HEAD" ? [200] : [405];
  if (!expected.includes(res.status)) seen.problems.push(`${label}: status ${res.status}, expected one of ${expected.join("/")}: ${text.slice(0, 200)}`);
  if (res.status >= 400 && method !== "HEAD") {
    let json: { error?: { code?: unknown; message?: unknown; requestId?: unknown } } | null = null;
    try {
      json = JSON.parse(text);
    } catch {
      /* checked below */
    }
    if (!json?.error || typeof json.error.code !== "string" || typeof json.error.message !== "string") {
      seen.problems.push(`${label}: not the error envelope: ${text.slice(0, 200)}`);
    } else {
      if (json.error.requestId !== undefined && json.error.requestId !== res.headers.get("x-request-id"))
        seen.problems.push(`${label}: requestId differs from x-request-id`);
      if (/\n\s+at |node_modules|\.ts:\d+/.test(text)) seen.problems.push(`${label}: a stack trace in the response`);
    }
  }
}

describe(`hostile input sweep of every /api route (${testDriver()})`, () => {
  it("walks app/api and finds the routes", () => {
    expect(routes.length).toBeGreaterThanOrEqual(25);
    for (const p of ["/api/prestamos/migration/start", "/api/prestamos/migration/rollback/[id]", "/api/users/[id]", "/api/[...path]", "/api/health"]) {
      expect(routes.map((r) => r.pattern)).toContain(p);
    }
    for (const r of routes) expect(r.exported.size, r.pattern).toBeGreaterThan(0);
  });

  it("answers OPTIONS on every route with an Allow of exactly the methods that do not answer 405", async () => {
    const wrong: string[] = [];
    for (const r of routes.filter((x) => x.pattern !== "/api/[...path]")) {
      const params = paramsFor(r);
      const served: string[] = [];
      // Anonymous: every mutating route is admin-only (access.int.test.ts), so nothing here can change data.
      for (const [method, handler] of Object.entries(r.handlers)) {
        if (method === "OPTIONS") continue;
        if (r.pattern.startsWith("/api/auth/") && ["GET", "HEAD", "POST"].includes(method))
          served.push(method); // next-auth's, needs Next's request scope
        else if ((await handler(new Request(urlFor(r, params), { method }), { params: Promise.resolve(params) })).status !== 405) served.push(method);
      }
      const res = await r.handlers.OPTIONS(new Request(urlFor(r, params), { method: "OPTIONS" }), { params: Promise.resolve(params) });
      const allow = (res.headers.get("allow") ?? "").split(/,\s*/).filter(Boolean).sort();
      const expected = [...served, "OPTIONS"].sort();
      if (res.status !== 204 || allow.join() !== expected.join())
        wrong.push(`${r.pattern}: OPTIONS ${res.status}, Allow "${allow.join(", ")}", serves ${expected.join(", ")}`);
    }
    expect(wrong).toEqual([]);
  });

  it("next-auth's credentials callback answers GET with a 405 envelope (next-auth itself answered 500; the rest of next-auth is swept by e2e)", async () => {
    const na = routes.find((r) => r.pattern === "/api/auth/[...nextauth]")!;
    const res = await na.handlers.GET(new Request("http://localhost/api/auth/callback/credentials?x=%00"), {
      params: Promise.resolve({ nextauth: ["callback", "credentials"] }),
    });
    expect(res.status).toBe(405);
    expect(res.headers.get("x-request-id")).toBeTruthy();
    expect((await res.json()).error).toMatchObject({ code: "METHOD_NOT_ALLOWED" });
  });

  it("never a 500, never HTML, always the envelope with the right status, every refused mutation audited, nothing changed", async () => {
    const before = await fingerprint(t.db);
    const auditBefore = await queryOne<{ n: number; max: number }>(
      t.db,
      sql`select count(*)::int as n, coalesce(max(id), 0)::int as max from console_audit_log`,
    );
    const seen: Seen = { calls: 0, fiveHundreds: [], problems: [], mutatingRouteCalls: 0 };
    for (const r of routes) {
      // next-auth's own endpoints need Next's request scope (cookies()) and cannot run in-process:
      // e2e/api/security.spec.ts sweeps them against the running server instead.
      // The methods it does not serve are swept here all the same.
      const nextAuth = r.pattern.startsWith("/api/auth/");
      for (const [method, handler] of Object.entries(r.handlers)) {
        if (nextAuth && ["GET", "HEAD", "POST"].includes(method)) continue;
        // Every route() handler: all three callers; every bad input as the admin (the only caller
        // every handler reads the input of), a sample as the others: a reviewer's read parses its
        // query with the admin's code, and what differs by caller (401, 403) answers before any parsing.
        // The 405 and 404 handlers answer before reading anything: the sample as admin.
        const wrapped = Boolean(handler.routeMeta) || r.pattern === "/api/health" || r.pattern.startsWith("/api/auth/");
        for (const principal of wrapped ? (["admin", "reviewer", "anonymous"] as const) : (["admin", "anonymous"] as const)) {
          const full = principal === "admin";
          // HEAD is GET's handler (Next's own HEAD): GET's sweep covers its input, HEAD only its headers.
          for (const c of full && handler.routeMeta && method !== "HEAD" ? ALL_CASES : SAMPLE_CASES) await sweepOne(r, method, handler, principal, c, seen);
        }
      }
    }
    const after = await fingerprint(t.db);
    const changed = Object.keys(before).filter((k) => before[k] !== after[k]);
    const audit = await queryRows<{ outcome: string; n: number }>(
      t.db,
      sql`select outcome, count(*)::int as n from console_audit_log where id > ${auditBefore!.max} group by outcome`,
    );
    console.log(
      `[sweep ${testDriver()}] ${routes.length} route files, ${routes.reduce((n, r) => n + r.exported.size, 0)} exported handlers, ${ALL_CASES.length} bad inputs, ${seen.calls} calls, ${seen.fiveHundreds.length} 500s, ${seen.problems.length} other problems, tables changed: ${changed.length}, audit rows: ${JSON.stringify(audit)}`,
    );
    if (seen.problems.length) console.log(seen.problems.slice(0, 60).join("\n"));
    expect(seen.fiveHundreds.slice(0, 20)).toEqual([]);
    expect(seen.problems.slice(0, 30)).toEqual([]);
    expect(changed).toEqual([]);
    // Every call of a mutating route left exactly one audit row, and each says refused.
    expect(audit.filter((a) => a.outcome !== "refused")).toEqual([]);
    expect(audit.reduce((n, a) => n + a.n, 0)).toBe(seen.mutatingRouteCalls);
    expect(seen.calls).toBeGreaterThan(4_000);
  }, 900_000);
});
