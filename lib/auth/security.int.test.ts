import http from "node:http";
import type { AddressInfo } from "node:net";
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { installAppDb } from "@/lib/testing/app-db";
import { users } from "@/db/schema";
import { queryOne } from "@/db/sql";
import { systemActor } from "@/lib/audit";
import { GET as readAuditRoute } from "@/app/api/audit/route";
import { clientIp, hitRateLimits, PEER_ADDRESS_HEADER, pruneRateLimits, signInEmailKey } from "@/lib/http/rate-limit";
import { installPeerAddressHeader } from "@/lib/server/peer-address";
import { openTestDb, testDriver, type TestDb } from "@/lib/testing/db";
import { TEST_SCRYPT_COST } from "@/lib/testing/password-cost.setup";
import { needsRehash, setScryptCostForTests, verifyPassword } from "./passwords";
import { resolvePrincipal } from "./principal";
import { authenticate } from "./sign-in";
import { call, makeUser, sessionCookie, TEST_PASSWORD } from "@/lib/testing/auth";
import { updateUser } from "./users";

let forgetAppDb: (() => void) | undefined;

process.env.NEXTAUTH_SECRET ??= "test-secret-for-session-cookies-0123456789";

let t: TestDb;
beforeAll(async () => {
  t = await openTestDb();
  forgetAppDb = installAppDb(t);
});
afterAll(async () => {
  forgetAppDb?.();
  await t?.dispose();
});

const rateLimitRows = async (like = "%") =>
  Number((await queryOne<{ n: number }>(t.db, sql`SELECT count(*)::int AS n FROM console_rate_limits WHERE key LIKE ${like}`))?.n);

describe(`security on ${testDriver()}`, () => {
  it("ends every session of a user whose password changed; a new sign-in carries the new version", async () => {
    const u = await makeUser(t.db, "admin");
    const before = await sessionCookie(u, 1);
    const asReq = (cookie: string) => new Request("http://localhost/api/audit", { headers: { cookie } });
    expect((await resolvePrincipal(asReq(before), t.db))?.id).toBe(u.id);
    // Other changes keep the session.
    await updateUser(t.db, u.id, { name: "Renamed" }, systemActor());
    expect((await resolvePrincipal(asReq(before), t.db))?.id).toBe(u.id);

    await updateUser(t.db, u.id, { password: "a brand new password" }, systemActor());
    expect(await resolvePrincipal(asReq(before), t.db)).toBeNull();
    expect((await call(readAuditRoute, { path: "/api/audit", cookie: before })).status).toBe(401);

    const signedIn = await authenticate(t.db, { email: u.email, password: "a brand new password" }, "10.9.0.1");
    expect(signedIn).toMatchObject({ ok: true, user: { sessionVersion: 2 } });
    expect((await call(readAuditRoute, { path: "/api/audit", cookie: await sessionCookie(u, 2) })).status).toBe(200);
  });

  it("rehashes a password stored with the old scrypt cost at its owner's next sign-in, and the password still works", async () => {
    setScryptCostForTests(null); // OWASP's, as the console hashes
    onTestFinished(() => setScryptCostForTests(TEST_SCRYPT_COST));
    // A hash as the console stored it before (N=2^14), of TEST_PASSWORD.
    const old = await new Promise<string>((resolve, reject) => {
      void import("node:crypto").then(({ randomBytes, scrypt }) => {
        const salt = randomBytes(16);
        scrypt(TEST_PASSWORD.normalize("NFKC"), salt, 64, { N: 16384, r: 8, p: 1 }, (err, key) =>
          err ? reject(err) : resolve(["scrypt", 16384, 8, 1, salt.toString("base64url"), key.toString("base64url")].join("$")),
        );
      });
    });
    const u = await makeUser(t.db, "reviewer");
    await t.db.update(users).set({ passwordHash: old }).where(eq(users.id, u.id));
    expect((await authenticate(t.db, { email: u.email, password: TEST_PASSWORD }, "10.9.0.2")).ok).toBe(true);
    const [row] = await t.db.select().from(users).where(eq(users.id, u.id));
    expect(row.passwordHash).not.toBe(old);
    expect(row.passwordHash).toMatch(/^scrypt\$131072\$8\$1\$/);
    expect(needsRehash(row.passwordHash)).toBe(false);
    expect(await verifyPassword(TEST_PASSWORD, row.passwordHash)).toBe(true);
    // The same password: sessions go on.
    expect(row.sessionVersion).toBe(1);
  });

  it("keeps the rate-limit table bounded: many forged keys are pruned once their window ended, current ones stay", async () => {
    const forged = Array.from({ length: 2000 }, (_, i) => `api:ip:198.18.${i >> 8}.${i & 255}`);
    for (let i = 0; i < forged.length; i += 500) await hitRateLimits(t.db, forged.slice(i, i + 500), 60);
    const signIns = Array.from({ length: 500 }, (_, i) => signInEmailKey(`forged-${i}@example.com`));
    await hitRateLimits(t.db, signIns, 15 * 60);
    const base = await rateLimitRows();
    expect(base).toBeGreaterThanOrEqual(2500);
    // Within their windows nothing goes.
    expect(await pruneRateLimits(t.db)).toBe(0);
    // A minute later the API windows have ended; the sign-in windows (15 min) have not.
    await t.db.execute(sql`UPDATE console_rate_limits SET window_start = now() - interval '61 seconds'`);
    expect(await pruneRateLimits(t.db)).toBeGreaterThanOrEqual(2000);
    expect(await rateLimitRows("api:ip:198.18.%")).toBe(0);
    expect(await rateLimitRows("signin:email:forged-%")).toBe(500);
    await t.db.execute(sql`UPDATE console_rate_limits SET window_start = now() - interval '15 minutes 1 second'`);
    await pruneRateLimits(t.db);
    expect(await rateLimitRows()).toBe(0);
  });

  it("prunes through the index on the window, not a scan of every key", async () => {
    await hitRateLimits(
      t.db,
      Array.from({ length: 300 }, (_, i) => `api:ip:198.19.0.${i}`),
      60,
    );
    await t.db.execute(sql`ANALYZE console_rate_limits`);
    await t.db.execute(sql`SET enable_seqscan = off`);
    try {
      const plan = await t.db.execute(sql`EXPLAIN DELETE FROM console_rate_limits WHERE window_start < now() - interval '60 seconds' AND key LIKE 'api:%'`);
      const text = JSON.stringify(Array.isArray(plan) ? plan : (plan as { rows: unknown[] }).rows);
      expect(text).toMatch(/console_rate_limits_window_idx/);
    } finally {
      await t.db.execute(sql`RESET enable_seqscan`);
    }
  });
});

describe("the caller's address", () => {
  it("is the socket's address by default: X-Forwarded-For and X-Real-IP written by the client count for nothing", () => {
    const h = new Headers({ [PEER_ADDRESS_HEADER]: "::ffff:192.0.2.10", "x-forwarded-for": "203.0.113.1", "x-real-ip": "203.0.113.2" });
    expect(clientIp(h, 0)).toBe("192.0.2.10");
    expect(clientIp(new Headers({ "x-forwarded-for": "203.0.113.1" }), 0)).toBeNull();
  });

  it("behind N trusted proxies is the N-th X-Forwarded-For entry from the right; a shorter chain falls back to the socket", () => {
    const h = (xff: string) => new Headers({ [PEER_ADDRESS_HEADER]: "10.0.0.2", "x-forwarded-for": xff });
    // client → proxy 10.0.0.1 → proxy 10.0.0.2 → console; the client forged "1.2.3.4" in front.
    expect(clientIp(h("1.2.3.4, 198.51.100.4, 10.0.0.1"), 2)).toBe("198.51.100.4");
    expect(clientIp(h("1.2.3.4, 198.51.100.4"), 1)).toBe("198.51.100.4");
    expect(clientIp(h("198.51.100.4"), 2)).toBe("10.0.0.2");
    expect(clientIp({ [PEER_ADDRESS_HEADER]: "10.0.0.2", "x-forwarded-for": ["1.2.3.4", "198.51.100.4"] }, 1)).toBe("198.51.100.4");
  });

  it("reaches the handler as the socket's address, over any value a client sends under the same header name", async () => {
    installPeerAddressHeader();
    let seen: string | string[] | undefined;
    const server = http.createServer((req, res) => {
      seen = req.headers[PEER_ADDRESS_HEADER];
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = server.address() as AddressInfo;
      await fetch(`http://127.0.0.1:${port}/`, { headers: { [PEER_ADDRESS_HEADER]: "203.0.113.66", "x-forwarded-for": "203.0.113.66" } });
      expect(seen).toBe("127.0.0.1");
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
