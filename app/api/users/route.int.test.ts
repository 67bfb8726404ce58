import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { installAppDb } from "@/lib/testing/app-db";
import { auditLog, users } from "@/db/schema";
import { systemActor } from "@/lib/audit";
import { makeToken, makeUser, sessionCookie, call } from "@/lib/testing/auth";
import { revokeToken } from "@/lib/auth/tokens";
import { createToken } from "@/lib/auth/tokens";
import { updateUser } from "@/lib/auth/users";
import { openTestDb, testDriver, type TestDb } from "@/lib/testing/db";
import { GET as listUsersRoute, POST as createUserRoute } from "./route";
import { DELETE as deleteUserRoute, GET as getUserRoute, PATCH as patchUserRoute } from "./[id]/route";

let forgetAppDb: (() => void) | undefined;

process.env.NEXTAUTH_SECRET ??= "test-secret-for-session-cookies-0123456789";

let t: TestDb;
let adminToken: string;
let reviewerToken: string;
beforeAll(async () => {
  t = await openTestDb();
  forgetAppDb = installAppDb(t);
  adminToken = await makeToken(t.db, "admin", "admin-script");
  reviewerToken = await makeToken(t.db, "reviewer", "reviewer-script");
});
afterAll(async () => {
  forgetAppDb?.();
  await t?.dispose();
});

const patch = (id: number, body: unknown, token = adminToken) =>
  call(patchUserRoute, { method: "PATCH", path: `/api/users/${id}`, token, body, params: { id: String(id) } });
const del = (id: number, token = adminToken) => call(deleteUserRoute, { method: "DELETE", path: `/api/users/${id}`, token, params: { id: String(id) } });

async function activeAdmins() {
  const rows = await t.db
    .select()
    .from(users)
    .where(and(eq(users.role, "admin"), eq(users.disabled, false)));
  return rows.map((r) => r.id);
}

/** Leaves exactly the given users as active admins (the others become reviewers), bypassing the API. */
async function onlyAdmins(ids: number[]) {
  await t.db.update(users).set({ role: "reviewer" }).where(eq(users.role, "admin"));
  for (const id of ids) await t.db.update(users).set({ role: "admin", disabled: false }).where(eq(users.id, id));
}

describe(`/api/users on ${testDriver()}`, () => {
  it("creates, lists, reads, updates and deletes users, never returning a password hash, auditing each change", async () => {
    await makeUser(t.db, "admin"); // so that Ana, made admin below, is not the last admin when deleted
    const created = await call(createUserRoute, {
      method: "POST",
      path: "/api/users",
      token: adminToken,
      body: { email: "Ana@Example.com", name: "Ana", role: "reviewer", password: "a long password 1" },
    });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ email: "ana@example.com", name: "Ana", role: "reviewer", disabled: false });
    const id = created.json.id as number;

    // The list names every admin's e-mail: admins only.
    expect((await call(listUsersRoute, { path: "/api/users", token: reviewerToken })).status).toBe(403);
    expect((await call(getUserRoute, { path: `/api/users/${id}`, token: reviewerToken, params: { id: String(id) } })).status).toBe(403);
    const list = await call(listUsersRoute, { path: "/api/users", token: adminToken });
    expect(list.status).toBe(200);
    expect(list.json.users.map((u: { email: string }) => u.email)).toContain("ana@example.com");
    expect(list.text).not.toMatch(/scrypt|password/i);

    expect((await call(getUserRoute, { path: `/api/users/${id}`, token: adminToken, params: { id: String(id) } })).json.email).toBe("ana@example.com");
    expect((await call(getUserRoute, { path: "/api/users/999999", token: adminToken, params: { id: "999999" } })).status).toBe(404);

    const updated = await patch(id, { role: "admin", name: "Ana B", password: "another long password" });
    expect(updated.status).toBe(200);
    expect(updated.json).toMatchObject({ role: "admin", name: "Ana B" });
    expect(updated.text).not.toMatch(/scrypt|password/i);

    const dup = await call(createUserRoute, {
      method: "POST",
      path: "/api/users",
      token: adminToken,
      body: { email: "ana@example.com", role: "reviewer", password: "a long password 1" },
    });
    expect(dup.status).toBe(409);

    expect((await del(id)).json).toEqual({ deleted: true, id });
    expect((await del(id)).status).toBe(404);

    const audit = await t.db
      .select()
      .from(auditLog)
      .where(eq(auditLog.target, `user:${id}`))
      .orderBy(auditLog.id);
    expect(audit.map((a) => [a.action, a.outcome, a.actor])).toEqual([
      ["user.create", "ok", "token:admin-script"],
      ["user.update", "ok", "token:admin-script"],
      ["user.delete", "ok", "token:admin-script"],
      ["user.delete", "refused", "token:admin-script"],
    ]);
    expect(JSON.stringify(audit)).not.toMatch(/long password|scrypt\$/);
    expect(audit[1].details).toMatchObject({ changed: { role: { from: "reviewer", to: "admin" }, password: "changed" } });
  });

  it("validates bodies and ids: unknown field, bad e-mail, short password, bad id → 400 VALIDATION_ERROR", async () => {
    const post = (body: unknown) => call(createUserRoute, { method: "POST", path: "/api/users", token: adminToken, body });
    for (const body of [
      { email: "x@example.com", role: "reviewer", password: "a long password 1", isAdmin: true },
      { email: "not-an-email", role: "reviewer", password: "a long password 1" },
      { email: "x@example.com", role: "reviewer", password: "short" },
      { email: "x@example.com", role: "superuser", password: "a long password 1" },
      "{not json",
    ]) {
      const res = await post(body);
      expect(res.status).toBe(400);
      expect(res.json.error.code).toBe("VALIDATION_ERROR");
    }
    const u = await makeUser(t.db, "reviewer");
    expect((await patch(u.id, {})).status).toBe(400);
    expect((await patch(u.id, { password: "short" })).json.error.code).toBe("VALIDATION_ERROR");
    expect((await patch(u.id, { email: "new@example.com" })).json.error.code).toBe("VALIDATION_ERROR");
    for (const bad of ["0", "1e3", "-1", "abc", "2147483648"]) {
      expect(
        (await call(patchUserRoute, { method: "PATCH", path: `/api/users/${bad}`, token: adminToken, body: { name: "x" }, params: { id: bad } })).status,
      ).toBe(400);
    }
  });

  it("refuses a reviewer token on mutations with 403 and an audit row with outcome refused", async () => {
    const u = await makeUser(t.db, "reviewer");
    const res = await patch(u.id, { role: "admin" }, reviewerToken);
    expect(res.status).toBe(403);
    expect(res.json.error.code).toBe("FORBIDDEN");
    const create = await call(createUserRoute, {
      method: "POST",
      path: "/api/users",
      token: reviewerToken,
      body: { email: "r@example.com", role: "admin", password: "a long password 1" },
    });
    expect(create.status).toBe(403);
    const [row] = await t.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.target, `user:${u.id}`), eq(auditLog.outcome, "refused")));
    expect(row).toMatchObject({ action: "user.update", actor: "token:reviewer-script", actorKind: "token", status: 403 });
    expect((await t.db.select().from(users).where(eq(users.id, u.id)))[0].role).toBe("reviewer");
  });

  it("answers 401 to a missing, malformed, unknown or revoked bearer, never falling back to a valid session cookie", async () => {
    const admin = await makeUser(t.db, "admin");
    const cookie = await sessionCookie(admin);
    expect((await call(listUsersRoute, { path: "/api/users", cookie })).status).toBe(200);
    expect((await call(listUsersRoute, { path: "/api/users" })).status).toBe(401);
    const created = await createToken(t.db, { name: "soon-revoked", role: "admin", createdBy: "test" });
    await revokeToken(t.db, created.id, systemActor());
    for (const authorization of [`Bearer ${created.token}`, "Bearer pc_unknown", "Bearer", "Basic abc", `Bearer ${created.token} extra`]) {
      const res = await call(listUsersRoute, { path: "/api/users", cookie, headers: { authorization } });
      expect(res.status, authorization).toBe(401);
      expect(res.json.error.code).toBe("UNAUTHENTICATED");
    }
  });

  it("lets a session user mutate from the same origin and refuses a cross-site origin", async () => {
    const admin = await makeUser(t.db, "admin");
    const u = await makeUser(t.db, "reviewer");
    const cookie = await sessionCookie(admin);
    const ok = await call(patchUserRoute, {
      method: "PATCH",
      path: `/api/users/${u.id}`,
      cookie,
      headers: { origin: "http://localhost", host: "localhost" },
      body: { name: "Renamed" },
      params: { id: String(u.id) },
    });
    expect(ok.status).toBe(200);
    const [audit] = await t.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.target, `user:${u.id}`), eq(auditLog.action, "user.update")));
    expect(audit).toMatchObject({ actor: admin.email, actorKind: "user", outcome: "ok" });
    const cross = await call(patchUserRoute, {
      method: "PATCH",
      path: `/api/users/${u.id}`,
      cookie,
      headers: { origin: "http://evil.example", host: "localhost" },
      body: { name: "Evil" },
      params: { id: String(u.id) },
    });
    expect(cross.status).toBe(403);
  });

  it("never demotes, disables or deletes the last active admin (409), and allows it when another admin remains", async () => {
    const a = await makeUser(t.db, "admin");
    const b = await makeUser(t.db, "admin");
    await onlyAdmins([a.id]);
    for (const res of [await patch(a.id, { role: "reviewer" }), await patch(a.id, { disabled: true }), await del(a.id)]) {
      expect(res.status).toBe(409);
      expect(res.json.error.code).toBe("CONFLICT");
    }
    expect(await activeAdmins()).toEqual([a.id]);
    // A disabled admin is not an active admin either.
    await t.db.update(users).set({ role: "admin", disabled: true }).where(eq(users.id, b.id));
    expect((await patch(a.id, { role: "reviewer" })).status).toBe(409);
    expect((await patch(b.id, { disabled: false })).status).toBe(200);
    expect((await patch(a.id, { role: "reviewer" })).status).toBe(200);
    expect(await activeAdmins()).toEqual([b.id]);
    expect((await patch(b.id, { name: "still admin" })).status).toBe(200); // non-removing changes stay allowed
  });

  it("two concurrent demotions of the last two admins leave one admin", async () => {
    for (let round = 0; round < 5; round++) {
      const a = await makeUser(t.db, "admin");
      const b = await makeUser(t.db, "admin");
      await onlyAdmins([a.id, b.id]);
      const results = await Promise.all([
        updateUser(t.db, a.id, { role: "reviewer" }, systemActor()).then(
          () => 200,
          (e) => e.status as number,
        ),
        updateUser(t.db, b.id, { role: "reviewer" }, systemActor()).then(
          () => 200,
          (e) => e.status as number,
        ),
      ]);
      expect(results.sort()).toEqual([200, 409]);
      expect((await activeAdmins()).length).toBe(1);
    }
    // And concurrent delete + disable.
    const a = await makeUser(t.db, "admin");
    const b = await makeUser(t.db, "admin");
    await onlyAdmins([a.id, b.id]);
    const results = await Promise.all([del(a.id).then((r) => r.status), patch(b.id, { disabled: true }).then((r) => r.status)]);
    expect(results.sort()).toEqual([200, 409]);
    expect((await activeAdmins()).length).toBe(1);
  });
});
