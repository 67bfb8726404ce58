/**
 * The webhook deliverer: sends due deliveries (5 s timeout), signed
 * (./signature.ts), retried with exponential backoff, then `failed`.
 *
 * Claiming: one UPDATE takes up to `limit` due rows with FOR UPDATE SKIP LOCKED, counts the
 * attempt and pushes next_attempt_at past the send's timeout (a claim lease), then commits BEFORE
 * sending: no transaction is held across the network, and another instance (or a second loop in
 * this one) neither blocks on those rows nor sees them as due. A process that dies mid-send leaves
 * the row pending; it is retried once the lease ends (at least once: receivers dedupe on
 * X-Prestamos-Delivery).
 *
 * Sending: the target is resolved and checked again (target.ts) and the request connects to the
 * address that was checked (a lookup that answers only that address), so a DNS answer that changed
 * since the webhook was saved cannot point a delivery at an internal service. What is recorded of
 * a failure is a summary ("connection refused", "HTTP 500"), never the error's own text.
 */
import http from "node:http";
import https from "node:https";
import type { LookupFunction } from "node:net";
import { sql } from "drizzle-orm";
import type { Db } from "@/db/client";
import { queryRows } from "@/db/sql";
import { logger } from "@/lib/log";
import { AppError } from "@/lib/errors";
import { DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, signPayload } from "./signature";
import { defaultTargetPolicy, resolveWebhookTarget, type ResolvedTarget, type TargetPolicy } from "./target";

/** Waits after failed attempts 1..4; the 5th failure is final. */
export const BACKOFF_SECONDS = [10, 30, 120, 600] as const;
export const MAX_ATTEMPTS = BACKOFF_SECONDS.length + 1;
export const SEND_TIMEOUT_MS = 5000;
/** A claimed row is not due again for this long (well past the send timeout). */
const CLAIM_SECONDS = 60;
const RESPONSE_EXCERPT = 500;

export interface DeliverOptions {
  limit?: number;
  timeoutMs?: number;
  /** Which addresses may receive (default: WEBHOOK_ALLOWED_ADDRESSES and the system's DNS). */
  policy?: TargetPolicy;
}

export interface DeliverResult {
  claimed: number;
  delivered: number;
  retrying: number;
  failed: number;
}

interface Claimed {
  id: number;
  event: string;
  payload: unknown;
  attempts: number;
  url: string;
  secret: string;
}

async function claimDue(db: Db, limit: number): Promise<Claimed[]> {
  return queryRows<Claimed>(
    db,
    sql`update console_webhook_deliveries d
          set attempts = d.attempts + 1, next_attempt_at = now() + make_interval(secs => ${CLAIM_SECONDS})
        from console_webhooks w
        where w.id = d.webhook_id and d.id in (
          select d2.id from console_webhook_deliveries d2 join console_webhooks w2 on w2.id = d2.webhook_id
          where d2.status = 'pending' and d2.next_attempt_at <= now() and w2.enabled
          order by d2.next_attempt_at, d2.id
          limit ${limit}
          for update of d2 skip locked)
        returning d.id, d.event, d.payload, d.attempts, w.url, w.secret`,
  );
}

type Outcome = { ok: true; status: number; body: string } | { ok: false; status: number | null; body: string | null; error: string };

/** What a reviewer may read of a failed connection: its kind, not the error's text (it can name internal hosts). */
function failureSummary(err: unknown, timeoutMs: number): string {
  if (err instanceof AppError) return `refused: ${err.message.includes("does not resolve") ? "the host does not resolve" : "the host is not a public address"}`;
  const code = String((err as NodeJS.ErrnoException)?.code ?? "");
  if (code === "TIMEOUT") return `timed out after ${timeoutMs} ms`;
  if (code === "ECONNREFUSED") return "connection refused";
  if (code === "ECONNRESET" || code === "EPIPE") return "connection reset";
  if (code === "EHOSTUNREACH" || code === "ENETUNREACH") return "host unreachable";
  if (/CERT|TLS|SSL|SELF_SIGNED/i.test(code)) return "TLS error (certificate or handshake)";
  return "request failed";
}

/** One POST to the checked address (never another: the lookup answers only it), reading at most RESPONSE_EXCERPT characters back. */
function postPinned(target: ResolvedTarget, headers: Record<string, string>, body: string, timeoutMs: number): Promise<{ status: number; body: string }> {
  const lookup: LookupFunction = (_host, options, callback) => {
    const cb = callback as (err: Error | null, address: string | { address: string; family: number }[], family?: number) => void;
    if ((options as { all?: boolean }).all) cb(null, [{ address: target.address, family: target.family }]);
    else cb(null, target.address, target.family);
  };
  const { url } = target;
  const client = url.protocol === "https:" ? https : http;
  return new Promise((resolve, reject) => {
    const req = client.request(
      {
        method: "POST",
        host: url.hostname.replace(/^\[(.*)\]$/, "$1"),
        port: url.port || undefined,
        path: `${url.pathname}${url.search}`,
        headers: { ...headers, "content-length": String(Buffer.byteLength(body)) },
        lookup,
        agent: false,
        timeout: timeoutMs,
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          text += chunk;
          if (text.length >= RESPONSE_EXCERPT) res.destroy(); // enough: never read an endless body
        });
        const done = () => resolve({ status: res.statusCode ?? 0, body: text.slice(0, RESPONSE_EXCERPT) });
        res.on("end", done);
        res.on("close", done);
        res.on("error", done);
      },
    );
    const timer = setTimeout(() => req.destroy(Object.assign(new Error("timed out"), { code: "TIMEOUT" })), timeoutMs);
    req.on("close", () => clearTimeout(timer));
    req.on("timeout", () => req.destroy(Object.assign(new Error("timed out"), { code: "TIMEOUT" })));
    req.on("error", reject);
    req.end(body);
  });
}

async function send(d: Claimed, opts: { timeoutMs: number; policy: TargetPolicy }): Promise<Outcome> {
  const payload = typeof d.payload === "string" ? JSON.parse(d.payload) : d.payload;
  const body = JSON.stringify({ deliveryId: Number(d.id), ...(payload as object) });
  try {
    const target = await resolveWebhookTarget(d.url, opts.policy);
    const res = await postPinned(
      target,
      {
        "content-type": "application/json",
        "user-agent": "prestamos-console-webhooks/1",
        [SIGNATURE_HEADER]: signPayload(d.secret, body),
        [EVENT_HEADER]: d.event,
        [DELIVERY_HEADER]: String(d.id),
      },
      body,
      opts.timeoutMs,
    );
    if (res.status >= 200 && res.status < 300) return { ok: true, status: res.status, body: res.body };
    return { ok: false, status: res.status, body: res.body, error: `HTTP ${res.status}` };
  } catch (err) {
    return { ok: false, status: null, body: null, error: failureSummary(err, opts.timeoutMs) };
  }
}

async function record(db: Db, d: Claimed, out: Outcome): Promise<"delivered" | "retrying" | "failed"> {
  if (out.ok) {
    await db.execute(sql`update console_webhook_deliveries set status = 'delivered', delivered_at = now(), last_status_code = ${out.status},
                           last_response = ${out.body}, last_error = null where id = ${d.id}`);
    return "delivered";
  }
  const final = d.attempts >= MAX_ATTEMPTS;
  const wait = BACKOFF_SECONDS[Math.min(d.attempts, BACKOFF_SECONDS.length) - 1];
  await db.execute(sql`update console_webhook_deliveries set
                         status = ${final ? "failed" : "pending"},
                         next_attempt_at = ${final ? sql`next_attempt_at` : sql`now() + make_interval(secs => ${wait})`},
                         last_status_code = ${out.status}, last_response = ${out.body}, last_error = ${out.error}
                       where id = ${d.id}`);
  return final ? "failed" : "retrying";
}

/** One pass: claims up to `limit` due deliveries, sends them in parallel, records each outcome. */
export async function deliverDue(db: Db, opts: DeliverOptions = {}): Promise<DeliverResult> {
  const claimed = await claimDue(db, opts.limit ?? 10);
  const result: DeliverResult = { claimed: claimed.length, delivered: 0, retrying: 0, failed: 0 };
  await Promise.all(
    claimed.map(async (d) => {
      const out = await send(d, { timeoutMs: opts.timeoutMs ?? SEND_TIMEOUT_MS, policy: opts.policy ?? defaultTargetPolicy() });
      const state = await record(db, d, out);
      result[state]++;
      if (!out.ok)
        logger().warn(
          { component: "webhooks", deliveryId: Number(d.id), event: d.event, attempt: d.attempts, outcome: state, statusCode: out.status, error: out.error },
          "webhook delivery failed",
        );
    }),
  );
  return result;
}

export interface DelivererHandle {
  stop(): Promise<void>;
  wake(): void;
}

/** A small loop that delivers due webhooks every `intervalMs` (and at once while there is more). */
export function startDeliverer(db: Db, opts: DeliverOptions & { intervalMs?: number } = {}): DelivererHandle {
  let running = true;
  let wake: (() => void) | undefined;
  const loop = async () => {
    while (running) {
      let more = false;
      try {
        const r = await deliverDue(db, opts);
        more = r.claimed >= (opts.limit ?? 10);
      } catch (err) {
        logger().error({ component: "webhooks", err: String((err as Error)?.message ?? err) }, "webhook deliverer error");
      }
      if (more) continue;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, opts.intervalMs ?? 1000);
        wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
  };
  const done = loop();
  return {
    wake: () => wake?.(),
    stop: async () => {
      running = false;
      wake?.();
      await done;
    },
  };
}

const g = globalThis as unknown as { __prestamosDeliverer?: DelivererHandle };

/** The process's one deliverer, started at boot. */
export function startWebhookDeliverer(db: Db): DelivererHandle {
  g.__prestamosDeliverer ??= startDeliverer(db);
  return g.__prestamosDeliverer;
}

export async function stopWebhookDeliverer(): Promise<void> {
  const d = g.__prestamosDeliverer;
  g.__prestamosDeliverer = undefined;
  await d?.stop();
}
