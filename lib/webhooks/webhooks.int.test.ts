import net from "node:net";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { openDb, type DbHandle } from "@/db/client";
import { queryOne, queryRows } from "@/db/sql";
import { call, makeToken } from "@/lib/testing/auth";
import { systemActor } from "@/lib/audit";
import { openTestDb, testDriver, type TestDb } from "@/lib/testing/db";
import { resetMigrationTables } from "@/lib/testing/reset";
import { installAppDb } from "@/lib/testing/app-db";
import { seedLegacy } from "@/lib/testing/legacy-seed";
import { startReceiver } from "@/lib/testing/receiver";
import { claimActiveRun } from "@/lib/migration/runs";
import { runToEnd } from "@/lib/testing/run-to-end";
import { checkConsistencyAfterRun } from "@/lib/migration/jobs";
import { rollbackAll } from "@/lib/migration/prestamo-actions";
import * as start from "@/app/api/prestamos/migration/start/route";
import * as stop from "@/app/api/prestamos/migration/stop/route";
import * as hooks from "@/app/api/webhooks/route";
import * as hook from "@/app/api/webhooks/[id]/route";
import * as deliveriesRoute from "@/app/api/webhooks/[id]/deliveries/route";
import { BACKOFF_SECONDS, MAX_ATTEMPTS, deliverDue } from "./deliver";
import { queueDeliveries } from "./emit";
import { allowedAddresses } from "./target";
import { createWebhook } from "./webhooks";
import { DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, verifySignature } from "./signature";

// The test receivers listen on 127.0.0.1: the one address let through (target.ts refuses loopback otherwise).
process.env.WEBHOOK_ALLOWED_ADDRESSES = "127.0.0.1";

let db: TestDb;
let forget: () => void;
let admin: string;
let reviewer: string;

beforeAll(async () => {
  db = await openTestDb();
  forget = installAppDb(db);
  admin = await makeToken(db.db, "admin");
  reviewer = await makeToken(db.db, "reviewer");
});
afterAll(async () => {
  forget?.();
  await db?.dispose();
});
beforeEach(async () => {
  await resetMigrationTables(db.db, ["console_webhooks", "console_webhook_deliveries"]);
});

async function createHook(url: string, events?: string[]) {
  const res = await call(hooks.POST, { method: "POST", path: "/api/webhooks", token: admin, body: events ? { url, events } : { url } });
  expect(res.status).toBe(201);
  return res.json as { webhook: { id: number; url: string; events: string[]; enabled: boolean }; secret: string };
}

/** Makes every pending delivery due now (time passing, without waiting). */
const makeDue = () => db.db.execute(sql`update console_webhook_deliveries set next_attempt_at = now() where status = 'pending'`);

describe("webhook configuration API", () => {
  it("admin creates (secret once), reviewer lists without secrets, PATCH and DELETE, each audited; reviewer refused", async () => {
    const { webhook, secret } = await createHook("http://127.0.0.1:9/a?key=receiver-own-secret", ["run.finished", "run.halted", "run.finished"]);
    expect(secret).toMatch(/^whsec_[A-Za-z0-9_-]{40,}$/);
    expect(webhook).toMatchObject({ url: "http://127.0.0.1:9/a?key=receiver-own-secret", events: ["run.finished", "run.halted"], enabled: true });

    const list = await call(hooks.GET, { path: "/api/webhooks", token: reviewer });
    expect(list.status).toBe(200);
    expect(list.json.webhooks).toHaveLength(1);
    // Reviewers see the origin only: a path or query can carry the receiver's own secret.
    expect(list.json.webhooks[0].url).toBe("http://127.0.0.1:9/…");
    expect(list.text).not.toContain("receiver-own-secret");
    expect((await call(hooks.GET, { path: "/api/webhooks", token: admin })).json.webhooks[0].url).toBe("http://127.0.0.1:9/a?key=receiver-own-secret");
    expect(list.text).not.toContain(secret);
    expect(list.text).not.toContain("secret");

    const refused = await call(hooks.POST, { method: "POST", path: "/api/webhooks", token: reviewer, body: { url: "https://x.example.com" } });
    expect(refused.status).toBe(403);

    for (const body of [
      { url: "ftp://x.example.com/h" },
      { url: "javascript:alert(1)" },
      { url: "https://u:p@x.example.com" },
      { url: "https://x.example.com", events: ["run.nope"] },
      { url: "https://x.example.com", extra: 1 },
    ]) {
      const bad = await call(hooks.POST, { method: "POST", path: "/api/webhooks", token: admin, body });
      expect(bad.status, JSON.stringify(body)).toBe(400);
    }

    const id = String(webhook.id);
    const patched = await call(hook.PATCH, {
      method: "PATCH",
      path: `/api/webhooks/${id}`,
      token: admin,
      params: { id },
      body: { enabled: false, events: [] },
    });
    expect(patched.status).toBe(200);
    expect(patched.json.webhook).toMatchObject({ enabled: false, events: [] });
    expect((await call(hook.PATCH, { method: "PATCH", path: `/api/webhooks/${id}`, token: admin, params: { id }, body: {} })).status).toBe(400);
    expect((await call(hook.PATCH, { method: "PATCH", path: "/api/webhooks/999", token: admin, params: { id: "999" }, body: { enabled: true } })).status).toBe(
      404,
    );
    expect((await call(hook.DELETE, { method: "DELETE", path: `/api/webhooks/${id}`, token: reviewer, params: { id } })).status).toBe(403);
    expect((await call(hook.DELETE, { method: "DELETE", path: `/api/webhooks/${id}`, token: admin, params: { id } })).status).toBe(200);
    expect((await call(hook.DELETE, { method: "DELETE", path: `/api/webhooks/${id}`, token: admin, params: { id } })).status).toBe(404);

    const audit = await queryRows<{ action: string; outcome: string }>(
      db.db,
      sql`select action, outcome from console_audit_log where action like 'webhook.%' order by id`,
    );
    expect(audit.filter((a) => a.outcome === "ok").map((a) => a.action)).toEqual(["webhook.create", "webhook.update", "webhook.delete"]);
    expect(audit.filter((a) => a.outcome === "refused").length).toBeGreaterThanOrEqual(8);
    const secretInAudit = await queryOne<{ n: number }>(
      db.db,
      sql`select count(*)::int as n from console_audit_log where details::text like ${"%" + secret + "%"}`,
    );
    expect(secretInAudit!.n).toBe(0);
  });
});

describe("run events → deliveries → signed POSTs", () => {
  it("a run's start and finish queue events in their transactions; the deliverer posts them, signed", async () => {
    const receiver = await startReceiver({ reply: "thanks" });
    try {
      const all = await createHook(receiver.url);
      const onlyHalted = await createHook(receiver.url, ["run.halted"]);
      await seedLegacy(db.db, 25);
      const started = await call(start.POST, { method: "POST", path: "/api/prestamos/migration/start", token: admin, body: { batchSize: 10 } });
      expect(started.status).toBe(202);
      const runId = started.json.run.id as number;
      // A start refused (409) queues nothing.
      expect((await call(start.POST, { method: "POST", path: "/api/prestamos/migration/start", token: admin, body: {} })).status).toBe(409);
      await runToEnd(db.db, runId, started.json.run.leaseOwner);

      const rows = await queryRows<{ webhook_id: number; event: string }>(db.db, sql`select webhook_id, event from console_webhook_deliveries order by id`);
      expect(rows).toEqual([
        { webhook_id: all.webhook.id, event: "run.started" },
        { webhook_id: all.webhook.id, event: "run.finished" },
      ]);

      const r = await deliverDue(db.db);
      expect(r).toMatchObject({ claimed: 2, delivered: 2, failed: 0 });
      expect(receiver.received).toHaveLength(2);
      for (const got of receiver.received) {
        expect(verifySignature(all.secret, got.body, got.headers[SIGNATURE_HEADER.toLowerCase()] as string)).toBe(true);
        expect(verifySignature(onlyHalted.secret, got.body, got.headers[SIGNATURE_HEADER.toLowerCase()] as string)).toBe(false);
        expect(verifySignature(all.secret, got.body + " ", got.headers[SIGNATURE_HEADER.toLowerCase()] as string)).toBe(false);
        const body = JSON.parse(got.body);
        expect(got.headers[EVENT_HEADER.toLowerCase()]).toBe(body.event);
        expect(got.headers[DELIVERY_HEADER.toLowerCase()]).toBe(String(body.deliveryId));
        expect(body.data.run.id).toBe(runId);
      }
      const events = receiver.received.map((g) => JSON.parse(g.body).event).sort();
      expect(events).toEqual(["run.finished", "run.started"]);
      const finished = receiver.received.map((g) => JSON.parse(g.body)).find((b) => b.event === "run.finished");
      expect(finished.data.run).toMatchObject({ status: "finished", processed: 25, migrated: 25 });

      const listed = await call(deliveriesRoute.GET, {
        path: `/api/webhooks/${all.webhook.id}/deliveries`,
        token: reviewer,
        params: { id: String(all.webhook.id) },
      });
      expect(listed.status).toBe(200);
      expect(listed.json.total).toBe(2);
      // The receiver's answer is for admins; reviewers get the status code.
      for (const d of listed.json.deliveries)
        expect(d).toMatchObject({ status: "delivered", attempts: 1, lastStatusCode: 200, lastResponse: null, lastError: null });
      const asAdmin = await call(deliveriesRoute.GET, {
        path: `/api/webhooks/${all.webhook.id}/deliveries`,
        token: admin,
        params: { id: String(all.webhook.id) },
      });
      for (const d of asAdmin.json.deliveries) expect(d).toMatchObject({ lastResponse: "thanks" });
      expect(listed.text).not.toContain(all.secret);
      expect((await call(deliveriesRoute.GET, { path: "/api/webhooks/77/deliveries", token: reviewer, params: { id: "77" } })).status).toBe(404);
      expect(
        (
          await call(deliveriesRoute.GET, {
            path: `/api/webhooks/${all.webhook.id}/deliveries?status=failed`,
            token: reviewer,
            params: { id: String(all.webhook.id) },
          })
        ).json.total,
      ).toBe(0);

      // Nothing is due any more: a second pass sends nothing.
      expect((await deliverDue(db.db)).claimed).toBe(0);
    } finally {
      await receiver.close();
    }
  });

  it("halted, stopped (by request and by rollback of all), resumed and consistency.below_100 become events", async () => {
    const h = await createHook("http://127.0.0.1:9/never");
    // Halted: every 4th prestamo broken, far above a 1 % threshold.
    await seedLegacy(db.db, 40, 4);
    const s1 = await call(start.POST, { method: "POST", path: "/api/prestamos/migration/start", token: admin, body: { batchSize: 50 } });
    await runToEnd(db.db, s1.json.run.id, s1.json.run.leaseOwner);
    // Stopped after its batch, by request.
    const s2 = await call(start.POST, { method: "POST", path: "/api/prestamos/migration/start", token: admin, body: { retry: true, errorThresholdPct: 100 } });
    expect((await call(stop.POST, { method: "POST", path: "/api/prestamos/migration/stop", token: admin })).status).toBe(200);
    await runToEnd(db.db, s2.json.run.id, s2.json.run.leaseOwner);
    // Resumed: the lease of a third run expires and another worker takes it over.
    const s3 = await call(start.POST, { method: "POST", path: "/api/prestamos/migration/start", token: admin, body: { retry: true, errorThresholdPct: 100 } });
    await db.db.execute(sql`update migration_runs set lease_expires_at = now() - interval '1 second' where id = ${s3.json.run.id}`);
    const claim = await claimActiveRun(db.db, "another-host:1:abc");
    expect(claim?.resumedFrom).toBeTruthy();
    // Stopped by rollback of all.
    await rollbackAll(db.db, systemActor());

    // consistency.below_100: migrate, then damage a new row behind the console's back.
    const s4 = await call(start.POST, { method: "POST", path: "/api/prestamos/migration/start", token: admin, body: { errorThresholdPct: 100 } });
    const ended = await runToEnd(db.db, s4.json.run.id, s4.json.run.leaseOwner);
    const belowEvents = async () =>
      (await queryOne<{ n: number }>(db.db, sql`select count(*)::int as n from console_webhook_deliveries where event = 'consistency.below_100'`))!.n;
    expect((await checkConsistencyAfterRun(db.db, ended!)).matchingPct).toBe(100);
    expect(await belowEvents()).toBe(0); // 100 %: nothing
    await db.db.execute(sql`update prestamos_new set cliente_nombre = 'tampered' where legacy_id = (select min(legacy_id) from prestamos_new)`);
    const below = await checkConsistencyAfterRun(db.db, ended!);
    expect(below.matchingPct).toBeLessThan(100);
    expect(await belowEvents()).toBe(1);

    const rows = await queryRows<{ event: string; payload: { data: Record<string, unknown> } }>(
      db.db,
      sql`select event, payload from console_webhook_deliveries where webhook_id = ${h.webhook.id} order by id`,
    );
    expect(rows.map((r) => r.event)).toEqual([
      "run.started",
      "run.halted",
      "run.started",
      "run.stopped",
      "run.started",
      "run.resumed",
      "run.stopped",
      "run.started",
      "run.finished",
      "consistency.below_100",
    ]);
    const resumed = rows.find((r) => r.event === "run.resumed")!;
    expect(resumed.payload.data).toMatchObject({ previousWorker: s3.json.run.leaseOwner, run: { id: s3.json.run.id } });
    expect(rows.at(-1)!.payload.data).toMatchObject({ runId: s4.json.run.id, matchingPct: below.matchingPct });
  });

  it("a disabled webhook gets no new events; one subscribed to other events neither", async () => {
    const off = await createHook("http://127.0.0.1:9/off");
    await call(hook.PATCH, {
      method: "PATCH",
      path: `/api/webhooks/${off.webhook.id}`,
      token: admin,
      params: { id: String(off.webhook.id) },
      body: { enabled: false },
    });
    await createHook("http://127.0.0.1:9/other", ["consistency.below_100"]);
    await seedLegacy(db.db, 5);
    expect((await call(start.POST, { method: "POST", path: "/api/prestamos/migration/start", token: admin, body: {} })).status).toBe(202);
    expect((await queryOne<{ n: number }>(db.db, sql`select count(*)::int as n from console_webhook_deliveries`))!.n).toBe(0);
  });
});

describe("the deliverer", () => {
  it("retries a receiver that answers 500 with backoff 10 s, 30 s, 2 min, 10 min, then marks it failed", async () => {
    const receiver = await startReceiver({ status: () => 500, reply: "boom ".repeat(300) });
    try {
      const h = await createHook(receiver.url);
      await queueDeliveries(db.db, "run.started", { run: { id: 1 } });
      const waits: number[] = [];
      for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
        const r = await deliverDue(db.db);
        expect(r.claimed, `attempt ${attempt}`).toBe(1);
        const row = await queryOne<{ status: string; attempts: number; wait: number; last_status_code: number; last_response: string; last_error: string }>(
          db.db,
          sql`select status, attempts, extract(epoch from next_attempt_at - now())::float8 as wait, last_status_code, last_response, last_error from console_webhook_deliveries`,
        );
        expect(row).toMatchObject({ attempts: attempt, last_status_code: 500, last_error: "HTTP 500" });
        expect(row!.last_response.length).toBeLessThanOrEqual(500);
        if (attempt < MAX_ATTEMPTS) {
          expect(row!.status).toBe("pending");
          waits.push(Math.round(row!.wait));
          // Not due before its time…
          expect((await deliverDue(db.db)).claimed).toBe(0);
          // …then time passes.
          await makeDue();
        } else {
          expect(row!.status).toBe("failed");
        }
      }
      expect(waits).toEqual([...BACKOFF_SECONDS]);
      expect(receiver.received).toHaveLength(MAX_ATTEMPTS);
      await makeDue();
      expect((await deliverDue(db.db)).claimed).toBe(0); // failed is final
      const listed = await call(deliveriesRoute.GET, {
        path: `/api/webhooks/${h.webhook.id}/deliveries`,
        token: reviewer,
        params: { id: String(h.webhook.id) },
      });
      expect(listed.json.deliveries[0]).toMatchObject({ status: "failed", attempts: 5, lastStatusCode: 500, nextAttemptAt: null });
    } finally {
      await receiver.close();
    }
  });

  it("records an unreachable receiver as an error and retries it", async () => {
    await createHook("http://127.0.0.1:9/closed");
    await queueDeliveries(db.db, "run.finished", { run: { id: 1 } });
    const r = await deliverDue(db.db, { timeoutMs: 2000 });
    expect(r).toMatchObject({ claimed: 1, retrying: 1 });
    const row = await queryOne<{ status: string; last_status_code: number | null; last_error: string }>(
      db.db,
      sql`select status, last_status_code, last_error from console_webhook_deliveries`,
    );
    expect(row).toMatchObject({ status: "pending", last_status_code: null });
    // A summary, not the error's text (which can name internal hosts and ports).
    expect(row!.last_error).toBe("connection refused");
  });

  it("two deliverers at once never send one delivery twice", async () => {
    const receiver = await startReceiver({ delayMs: 20 });
    // On PostgreSQL the second deliverer is another connection pool, as another instance would be.
    let other: DbHandle | null = null;
    try {
      await createHook(receiver.url);
      await createHook(receiver.url);
      for (let i = 0; i < 20; i++) await queueDeliveries(db.db, "run.started", { run: { id: i + 1 } });
      const total = (await queryOne<{ n: number }>(db.db, sql`select count(*)::int as n from console_webhook_deliveries`))!.n;
      expect(total).toBe(40);
      other = testDriver() === "postgres" ? await openDb({ url: db.url!, max: 3 }) : null;
      const second = other?.db ?? db.db;
      const drain = async (d: typeof db.db) => {
        for (;;) if ((await deliverDue(d, { limit: 3 })).claimed === 0) return;
      };
      await Promise.all([drain(db.db), drain(second), drain(db.db), drain(second)]);
      const ids = receiver.received.map((g) => g.headers[DELIVERY_HEADER.toLowerCase()] as string);
      expect(ids).toHaveLength(40);
      expect(new Set(ids).size).toBe(40);
      const states = await queryRows<{ status: string; attempts: number; n: number }>(
        db.db,
        sql`select status, attempts, count(*)::int as n from console_webhook_deliveries group by 1, 2`,
      );
      expect(states).toEqual([{ status: "delivered", attempts: 1, n: 40 }]);
    } finally {
      await other?.close();
      await receiver.close();
    }
  });
});

/** Every outgoing TCP connection this process tries while `fn` runs (the database's own included, filtered below). */
async function connectionsDuring(fn: () => Promise<void>): Promise<string[]> {
  const seen: string[] = [];
  const original = net.Socket.prototype.connect;
  net.Socket.prototype.connect = function (this: net.Socket, ...args: unknown[]) {
    seen.push(JSON.stringify(args[0]));
    return (original as (...a: unknown[]) => net.Socket).apply(this, args);
  } as typeof original;
  try {
    await fn();
  } finally {
    net.Socket.prototype.connect = original;
  }
  return seen.filter((c) => !c.includes("5432"));
}

describe("server-side request forgery", () => {
  const REFUSED_URLS = [
    "http://127.0.0.2:9/hook",
    "http://localhost:9/hook",
    "http://0.0.0.0:9/",
    "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
    "http://10.0.0.1/",
    "http://172.16.5.4/",
    "http://192.168.1.1/",
    "http://100.64.0.1/",
    "http://[::1]:9/",
    "http://[::]/",
    "http://[::ffff:127.0.0.1]:9/",
    "http://[::ffff:a9fe:a9fe]/",
    "http://[fd00::1]/",
    "http://[fe80::1]/",
    "http://[64:ff9b::a9fe:a9fe]/",
    "http://2852039166/", // 169.254.169.254 in decimal
  ];

  it("refuses every loopback, private, link-local and unique-local class when a webhook is saved, before any connection, storing nothing", async () => {
    const before = process.env.WEBHOOK_ALLOWED_ADDRESSES;
    process.env.WEBHOOK_ALLOWED_ADDRESSES = "";
    try {
      const connections = await connectionsDuring(async () => {
        for (const url of REFUSED_URLS) {
          const res = await call(hooks.POST, { method: "POST", path: "/api/webhooks", token: admin, body: { url } });
          expect(res.status, url).toBe(400);
          expect(res.json.error).toMatchObject({ code: "VALIDATION_ERROR", message: expect.stringMatching(/must reach a public address/) });
        }
      });
      expect(connections).toEqual([]);
    } finally {
      process.env.WEBHOOK_ALLOWED_ADDRESSES = before;
    }
    expect((await queryOne<{ n: number }>(db.db, sql`select count(*)::int as n from console_webhooks`))!.n).toBe(0);
  });

  it("checks again when sending: a webhook whose address became internal (or was stored before the check) is refused without a connection", async () => {
    // Stored directly, as an older console or a hand-written row would have.
    await db.db.execute(
      sql`insert into console_webhooks (url, secret, events, created_by) values ('http://169.254.169.254/latest/meta-data', 'whsec_x', '{}', 'test'), ('http://rebind.test:9/hook', 'whsec_y', '{}', 'test')`,
    );
    await queueDeliveries(db.db, "run.started", { run: { id: 1 } });
    // rebind.test answered a public address when it was saved; now it answers an internal one.
    const policy = { allowed: allowedAddresses("127.0.0.1"), lookup: async () => [{ address: "10.0.0.1", family: 4 }] };
    let result: Awaited<ReturnType<typeof deliverDue>> | undefined;
    const connections = await connectionsDuring(async () => {
      result = await deliverDue(db.db, { policy });
    });
    expect(result).toMatchObject({ claimed: 2, delivered: 0, retrying: 2 });
    expect(connections).toEqual([]);
    const errors = await queryRows<{ last_error: string; last_response: string | null }>(
      db.db,
      sql`select last_error, last_response from console_webhook_deliveries order by id`,
    );
    expect(errors).toEqual([
      { last_error: "refused: the host is not a public address", last_response: null },
      { last_error: "refused: the host is not a public address", last_response: null },
    ]);
  });

  it("connects to the address that was checked, whatever the name would resolve to at connect time", async () => {
    const receiver = await startReceiver({ reply: "pinned" });
    try {
      const port = new URL(receiver.url).port;
      // A name the system cannot resolve at all: the delivery can only reach the receiver through the checked address.
      const lookups: string[] = [];
      const policy = {
        allowed: allowedAddresses("127.0.0.1"),
        lookup: async (host: string) => {
          lookups.push(host);
          return [{ address: "127.0.0.1", family: 4 }];
        },
      };
      const { webhook } = await createWebhook(db.db, { url: `http://receiver.invalid:${port}/hook` }, systemActor(), policy);
      await queueDeliveries(db.db, "run.started", { run: { id: 1 } });
      let result: Awaited<ReturnType<typeof deliverDue>> | undefined;
      const connections = await connectionsDuring(async () => {
        result = await deliverDue(db.db, { policy });
      });
      expect(result).toMatchObject({ claimed: 1, delivered: 1 });
      expect(connections).toHaveLength(1); // the spy sees connections: the refusals above made none
      expect(receiver.received).toHaveLength(1);
      expect(receiver.received[0].headers.host).toBe(`receiver.invalid:${port}`);
      expect(lookups).toEqual(["receiver.invalid", "receiver.invalid"]); // once saved, once sent
      expect(webhook.url).toBe(`http://receiver.invalid:${port}/hook`);
    } finally {
      await receiver.close();
    }
  });
});
