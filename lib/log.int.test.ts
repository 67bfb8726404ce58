import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { route } from "@/lib/http/route";
import { call, makeToken, TEST_PASSWORD } from "@/lib/testing/auth";
import { openTestDb, type TestDb } from "@/lib/testing/db";
import { installAppDb } from "@/lib/testing/app-db";
import * as tokens from "@/app/api/tokens/route";
import * as users from "@/app/api/users/route";
import * as hooks from "@/app/api/webhooks/route";
import * as progress from "@/app/api/prestamos/migration/progress/route";
import { createLogger, logWorkerEvent, useLogger } from "./log";

// The webhook below targets 127.0.0.1, which only this allow-list lets through.
process.env.WEBHOOK_ALLOWED_ADDRESSES = "127.0.0.1";

let db: TestDb;
let forget: () => void;
let restoreLogger: () => void;
const lines: string[] = [];

beforeAll(async () => {
  db = await openTestDb();
  forget = installAppDb(db);
  // Capture what pino writes, as production would (JSON lines), at debug so nothing is filtered.
  restoreLogger = useLogger(createLogger({ destination: { write: (s: string) => void lines.push(s) }, level: "debug", env: { NODE_ENV: "production" } }));
});
afterAll(async () => {
  restoreLogger?.();
  forget?.();
  await db?.dispose();
});

describe("request logs", () => {
  it("one JSON line per API request with request id, actor, route, status and duration; no token, password or secret anywhere", async () => {
    const admin = await makeToken(db.db, "admin");
    const secrets: string[] = [admin];
    const password = "a very secret pass phrase 42";
    secrets.push(password);
    const created = await call(users.POST, {
      method: "POST",
      path: "/api/users",
      token: admin,
      body: { email: "log-test@example.com", role: "reviewer", password },
    });
    expect(created.status).toBe(201);
    const t = await call(tokens.POST, { method: "POST", path: "/api/tokens", token: admin, body: { name: "log-test", role: "reviewer" } });
    expect(t.status).toBe(201);
    secrets.push(t.json.token);
    const h = await call(hooks.POST, { method: "POST", path: "/api/webhooks", token: admin, body: { url: "http://127.0.0.1:9/x" } });
    secrets.push(h.json.secret);
    await call(progress.GET, { path: "/api/prestamos/migration/progress", token: "pc_wrong_token_value_123" });
    secrets.push("pc_wrong_token_value_123");
    await call(progress.GET, { path: "/api/prestamos/migration/progress", cookie: "next-auth.session-token=cookie-secret-value" });
    secrets.push("cookie-secret-value");
    logWorkerEvent({ msg: "worker error", error: "boom", password: TEST_PASSWORD, headers: { authorization: `Bearer ${admin}` } });
    secrets.push(TEST_PASSWORD);

    const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const requests = records.filter((r) => r.msg === "request" || r.msg === "request failed");
    expect(requests.length).toBe(5);
    for (const r of requests) {
      expect(r).toEqual(
        expect.objectContaining({
          requestId: expect.any(String),
          actor: expect.any(String),
          method: expect.any(String),
          route: expect.stringMatching(/^\/api\//),
          status: expect.any(Number),
          durationMs: expect.any(Number),
        }),
      );
    }
    expect(requests.map((r) => [r.method, r.route, r.status, r.actor])).toEqual([
      ["POST", "/api/users", 201, expect.stringMatching(/^token:admin-token/)],
      ["POST", "/api/tokens", 201, expect.stringMatching(/^token:/)],
      ["POST", "/api/webhooks", 201, expect.stringMatching(/^token:/)],
      ["GET", "/api/prestamos/migration/progress", 401, "anonymous"],
      ["GET", "/api/prestamos/migration/progress", 401, "anonymous"],
    ]);
    expect(records.find((r) => r.msg === "worker error")).toMatchObject({ level: 50, component: "worker", error: "boom", password: "[redacted]" });
    const text = lines.join("");
    for (const s of secrets) expect(text, `a secret leaked into the logs`).not.toContain(s);
  });

  it("logs a 500 with the database's root message only: no stack, no drizzle query text nor its parameters", async () => {
    const admin = await makeToken(db.db, "admin");
    const secret = "whsec_a-parameter-that-must-not-be-logged";
    const failing = route({
      role: "admin",
      handler: async ({ db: d }) => {
        await d.execute(sql`SELECT * FROM no_such_table_here WHERE secret = ${secret}`);
        return null;
      },
    });
    lines.length = 0;
    const res = await call(failing, { path: "/api/failing", token: admin });
    expect(res.status).toBe(500);
    const failed = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((r) => r.msg === "request failed");
    expect(failed?.err).toMatch(/no_such_table_here/);
    const text = lines.join("");
    expect(text).not.toContain(secret);
    expect(text).not.toMatch(/Failed query|params:|\n\s+at /);
    expect(res.text).not.toContain(secret);
  });
});
