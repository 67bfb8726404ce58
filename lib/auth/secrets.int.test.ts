/**
 * secrets: tokens and passwords never appear in logs, API responses, the audit log or
 * error details. A set of calls that carry secrets (a wrong password at sign-in, token creation,
 * a bad bearer, user creation and a password change, a refused user creation with a password)
 * runs while the pino logger and the console are captured; then everything is searched for the
 * secret strings (the one response that must show a new token, once, is the only exception).
 */
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { queryRows } from "@/db/sql";
import * as nextauth from "@/app/api/auth/[...nextauth]/route";
import * as tokensRoute from "@/app/api/tokens/route";
import * as tokenRoute from "@/app/api/tokens/[id]/route";
import * as usersRoute from "@/app/api/users/route";
import * as userRoute from "@/app/api/users/[id]/route";
import * as progress from "@/app/api/prestamos/migration/progress/route";
import { authenticate } from "@/lib/auth/sign-in";
import { call, makeToken, makeUser } from "@/lib/testing/auth";
import { createLogger, useLogger } from "@/lib/log";
import { installAppDb } from "@/lib/testing/app-db";
import { openTestDb, testDriver, type TestDb } from "@/lib/testing/db";

let t: TestDb;
let forget: () => void;
beforeAll(async () => {
  t = await openTestDb();
  forget = installAppDb(t);
});
afterAll(async () => {
  forget?.();
  await t?.dispose();
});

describe(`secrets stay secret (${testDriver()})`, () => {
  it("no token or password in logs, responses, the audit log or error details", async () => {
    const logLines: string[] = [];
    const restoreLogger = useLogger(createLogger({ destination: { write: (s: string) => void logLines.push(s) }, level: "trace" }));
    const consoleOut: string[] = [];
    const spies = (["log", "info", "warn", "error", "debug"] as const).map((m) =>
      vi.spyOn(console, m).mockImplementation((...args: unknown[]) => void consoleOut.push(args.map(String).join(" "))),
    );
    const responses: string[] = [];
    const keep = (r: { status: number; text: string; headers: Headers }) => {
      responses.push(`${r.status} ${[...r.headers].map(([k, v]) => `${k}: ${v}`).join("\n")}\n${r.text}`);
      return r;
    };
    const secrets = {
      adminToken: await makeToken(t.db, "admin"),
      wrongPassword: "Wr0ng-Secret-Password-7f3a9c",
      badBearer: "pc_BadBearerSecret_91d0e4c2b7a65f38e0d1c2b3a4f5e6d7c8b9a0f1e2d",
      userPassword: "N3w-User-Secret-Password-42c8",
      changedPassword: "Ch4nged-Secret-Password-b61e",
      refusedPassword: "Refused-Secret-Password-0a9d",
      createdToken: "",
    };
    try {
      const admin = await makeUser(t.db, "admin", { email: "secret-admin@test.local" });
      // Sign-in with a wrong password: the engine and the next-auth route (in-process next-auth may
      // fail for lack of a request scope; whatever it logs is searched too).
      await authenticate(t.db, { email: admin.email, password: secrets.wrongPassword }, "192.0.2.10");
      try {
        const res = await nextauth.POST(
          new Request("http://localhost/api/auth/callback/credentials", {
            method: "POST",
            headers: { "content-type": "application/x-www-form-urlencoded" },
            body: new URLSearchParams({ email: admin.email, password: secrets.wrongPassword, csrfToken: "x", json: "true" }).toString(),
          }),
          { params: Promise.resolve({ nextauth: ["callback", "credentials"] }) },
        );
        responses.push(`${res.status}\n${await res.text()}`);
      } catch (err) {
        consoleOut.push(String((err as Error)?.stack ?? err));
      }
      // Token creation: the one response that shows the token.
      const created = await call(tokensRoute.POST, {
        method: "POST",
        path: "/api/tokens",
        token: secrets.adminToken,
        body: { name: "ci-secret-test", role: "reviewer" },
      });
      expect(created.status).toBe(201);
      secrets.createdToken = created.json.token;
      expect(secrets.createdToken).toMatch(/^pc_/);
      keep(await call(progress.GET, { path: "/api/prestamos/migration/progress", token: secrets.createdToken }));
      keep(await call(tokensRoute.GET, { path: "/api/tokens", token: secrets.adminToken }));
      keep(
        await call(tokenRoute.DELETE, {
          method: "DELETE",
          path: `/api/tokens/${created.json.id}`,
          token: secrets.adminToken,
          params: { id: String(created.json.id) },
        }),
      );
      keep(await call(progress.GET, { path: "/api/prestamos/migration/progress", token: secrets.createdToken })); // revoked: 401
      // A bad bearer.
      keep(await call(progress.GET, { path: "/api/prestamos/migration/progress", token: secrets.badBearer }));
      keep(
        await call(usersRoute.POST, {
          method: "POST",
          path: "/api/users",
          token: secrets.badBearer,
          body: { email: "x@test.local", role: "admin", password: secrets.refusedPassword },
        }),
      );
      // Users with passwords: created, changed, and refused (invalid e-mail, unknown field, too long).
      const u = keep(
        await call(usersRoute.POST, {
          method: "POST",
          path: "/api/users",
          token: secrets.adminToken,
          body: { email: "new-user@test.local", role: "reviewer", password: secrets.userPassword },
        }),
      );
      expect(u.status).toBe(201);
      const id = String(JSON.parse(u.text).id);
      keep(
        await call(userRoute.PATCH, {
          method: "PATCH",
          path: `/api/users/${id}`,
          token: secrets.adminToken,
          params: { id },
          body: { password: secrets.changedPassword },
        }),
      );
      keep(
        await call(usersRoute.POST, {
          method: "POST",
          path: "/api/users",
          token: secrets.adminToken,
          body: { email: "not an e-mail", role: "reviewer", password: secrets.refusedPassword },
        }),
      );
      keep(
        await call(usersRoute.POST, {
          method: "POST",
          path: "/api/users",
          token: secrets.adminToken,
          body: { email: "y@test.local", role: "reviewer", password: secrets.refusedPassword, passwordHint: secrets.refusedPassword },
        }),
      );
      keep(
        await call(usersRoute.POST, {
          method: "POST",
          path: "/api/users",
          token: secrets.adminToken,
          body: { email: "z@test.local", role: "reviewer", password: secrets.refusedPassword.repeat(100) },
        }),
      );
      keep(await call(userRoute.PATCH, { method: "PATCH", path: `/api/users/${id}`, token: secrets.adminToken, params: { id }, body: { password: "short" } }));
      keep(await call(usersRoute.GET, { path: "/api/users", token: secrets.adminToken }));
      keep(await call(userRoute.GET, { path: `/api/users/${id}`, token: secrets.adminToken, params: { id } }));
    } finally {
      restoreLogger();
      for (const s of spies) s.mockRestore();
    }
    const audit = await queryRows<{ row: string }>(t.db, sql`select to_jsonb(a)::text as row from console_audit_log a`);
    const hashes = await queryRows<{ h: string }>(t.db, sql`select password_hash as h from console_users`);
    const places: Record<string, string> = {
      "server log": logLines.join("\n"),
      console: consoleOut.join("\n"),
      "API responses": responses.join("\n"),
      "audit log": audit.map((a) => a.row).join("\n"),
    };
    const leaks: string[] = [];
    for (const [where, text] of Object.entries(places)) {
      for (const [name, secret] of Object.entries(secrets)) if (secret && text.includes(secret)) leaks.push(`${name} in ${where}`);
      for (const { h } of hashes) if (h && text.includes(h)) leaks.push(`a password hash in ${where}`);
      if (/\$scrypt\$|\$argon2|\$2[aby]\$/.test(text)) leaks.push(`something shaped like a password hash in ${where}`);
    }
    console.log(
      `[secrets ${testDriver()}] searched ${logLines.length} log lines, ${consoleOut.length} console lines, ${responses.length} responses, ${audit.length} audit rows for ${Object.keys(secrets).length} secrets: ${leaks.length} leaks`,
    );
    expect(logLines.length).toBeGreaterThan(5); // the capture did capture the requests
    expect(audit.length).toBeGreaterThan(5);
    expect(leaks).toEqual([]);
  });
});
