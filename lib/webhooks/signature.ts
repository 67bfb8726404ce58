/**
 * Webhook signatures: `X-Prestamos-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + "." + body)>`.
 * The receiver recomputes v1 over the raw body it got and compares in constant time, and refuses
 * a t too far from its clock (replays).
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

export const SIGNATURE_HEADER = "X-Prestamos-Signature";
export const EVENT_HEADER = "X-Prestamos-Event";
export const DELIVERY_HEADER = "X-Prestamos-Delivery";

export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString("base64url")}`;
}

export function signPayload(secret: string, body: string, unixSeconds = Math.floor(Date.now() / 1000)): string {
  const v1 = createHmac("sha256", secret).update(`${unixSeconds}.${body}`).digest("hex");
  return `t=${unixSeconds},v1=${v1}`;
}

/** True when `header` signs `body` with `secret` and its t is within `toleranceSeconds` of now. */
export function verifySignature(
  secret: string,
  body: string,
  header: string | null | undefined,
  toleranceSeconds = 300,
  nowSeconds = Math.floor(Date.now() / 1000),
): boolean {
  if (!header) return false;
  const parts = Object.fromEntries(header.split(",").map((kv) => kv.trim().split("=", 2) as [string, string]));
  const t = Number(parts.t);
  if (!Number.isInteger(t) || !parts.v1 || Math.abs(nowSeconds - t) > toleranceSeconds) return false;
  const expected = Buffer.from(createHmac("sha256", secret).update(`${t}.${body}`).digest("hex"), "utf8");
  const given = Buffer.from(parts.v1, "utf8");
  return given.length === expected.length && timingSafeEqual(given, expected);
}
