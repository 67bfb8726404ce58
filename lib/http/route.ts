import { randomUUID } from "node:crypto";
import { ZodError, type z } from "zod";
import { getDb } from "@/db/client";
import type { Db } from "@/db/client";
import type { Role } from "@/db/schema";
import { writeAudit, type Actor } from "@/lib/audit";
import { AppError, rootMessage } from "@/lib/errors";
import { resolvePrincipal, type Principal } from "@/lib/auth/principal";
import { logger } from "@/lib/log";
import { readJsonBody } from "./body";
import { clientIp, enforceApiRateLimit } from "./rate-limit";
import { errorResponse, toAppError } from "./errors";
import { observeRequest, routePattern } from "./observe";

type Schema = z.ZodType;
type Out<S> = S extends z.ZodType ? z.output<S> : undefined;

export interface RouteContext<P, Q, B> {
  req: Request;
  db: Db;
  requestId: string;
  principal: Principal | null;
  /** The audited actor: pass it to engine mutations so they write their audit row in their transaction. */
  actor: Actor;
  params: P;
  query: Q;
  body: B;
}

export interface RouteDef<PS extends Schema | undefined, QS extends Schema | undefined, BS extends Schema | undefined, R> {
  /** Who may call: "public" (no principal needed), "reviewer" (any signed-in role) or "admin". */
  role: Role | "public";
  /** Audit action (entity.verb) for a mutation: every call, allowed or refused, leaves a row. */
  action?: string;
  /** The audited target, from the raw params (e.g. the legacy id). */
  target?: (params: Record<string, string>) => string | undefined;
  params?: PS;
  query?: QS;
  body?: BS;
  /** Success status (default 200). */
  status?: number;
  /**
   * A credential of this route only, tried before the usual bearer/session lookup (e.g. the
   * Prometheus scrape token); null falls through to the usual lookup.
   */
  principal?: (req: Request) => Principal | null;
  handler: (ctx: RouteContext<Out<PS>, Out<QS>, Out<BS>>) => Promise<R | Response>;
}

// Next 16 types the context of a route handler as { params: Promise<unknown> }; the values are strings or string arrays.
type NextRouteContext = { params: Promise<unknown> };

const MUTATING = new Set(["POST", "PUT", "PATCH", "DELETE"]);

function actorOf(principal: Principal | null, requestId: string): Actor {
  if (!principal) return { name: "anonymous", kind: "anonymous", requestId };
  return {
    name: principal.kind === "token" ? `token:${principal.name}` : principal.name,
    kind: principal.kind,
    role: principal.role,
    requestId,
  };
}

function flatParams(raw: Record<string, string | string[]>): Record<string, string> {
  return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, Array.isArray(v) ? v.join("/") : v]));
}

/**
 * Cookie-authenticated mutations must come from our own origin (a bearer token is not sent by
 * browsers on their own). Two signals, either one refuses: the browser's Sec-Fetch-Site when it is
 * `cross-site` or `same-site` (SameSite=Lax cookies still ride on requests from a sibling
 * subdomain, which is another origin), and an Origin whose host is not ours (`null` included).
 */
function assertSameOrigin(req: Request): void {
  const site = req.headers.get("sec-fetch-site")?.trim().toLowerCase();
  if (site === "cross-site" || site === "same-site") throw new AppError("FORBIDDEN", "Cross-site request refused");
  const origin = req.headers.get("origin");
  if (!origin) return;
  const host = req.headers.get("x-forwarded-host") ?? req.headers.get("host");
  let originHost: string;
  try {
    originHost = new URL(origin).host;
  } catch {
    throw new AppError("FORBIDDEN", "Cross-site request refused");
  }
  if (!host || originHost !== host) throw new AppError("FORBIDDEN", "Cross-site request refused");
}

/**
 * The audited target comes from the raw URL: PostgreSQL text cannot hold a NUL (the insert fails
 * and the refusal would go unaudited: the hostile sweep sent `/rollback/1%00`), and an id can be
 * 100 kB long. NUL becomes U+FFFD and the target is capped.
 */
function auditTarget(def: { target?: (params: Record<string, string>) => string | undefined }, rawParams: Record<string, string>): string | undefined {
  const target = def.target?.(rawParams);
  return target === undefined ? undefined : target.replace(/\u0000/g, "\uFFFD").slice(0, 200);
}

/**
 * Parses caller input with a route's schema. A schema that throws something other than a ZodError
 * (a refine calling `new URL()` on a string that is not one, the hostile sweep found it) is still
 * the caller's bad input: 400, never a 500; the throw goes to the log for the schema's author.
 */
function parseInput(schema: Schema, value: unknown, requestId: string): unknown {
  try {
    return schema.parse(value);
  } catch (err) {
    if (err instanceof ZodError || err instanceof AppError) throw err;
    logger().warn({ requestId, err: rootMessage(err) }, "a schema threw instead of reporting an issue");
    throw new AppError("VALIDATION_ERROR", "The request is not valid");
  }
}

/**
 * The one door of every /api route (CONVENTIONS, pattern 1): request id, principal, role,
 * parsing, the audit row of refused mutations, and the error envelope.
 */
export function route<
  PS extends Schema | undefined = undefined,
  QS extends Schema | undefined = undefined,
  BS extends Schema | undefined = undefined,
  R = unknown,
>(def: RouteDef<PS, QS, BS, R>) {
  const handle = async function handle(req: Request, context?: NextRouteContext): Promise<Response> {
    const started = performance.now();
    const requestId = randomUUID();
    const mutating = MUTATING.has(req.method);
    const rawParams = flatParams(((await context?.params) ?? {}) as Record<string, string | string[]>);
    let db: Db | null = null;
    let actor: Actor = actorOf(null, requestId);
    let failure: string | undefined;
    // One log line and one HTTP metric per request, whatever the outcome.
    const observed = (res: Response): Response => {
      observeRequest({
        requestId,
        method: req.method,
        route: routePattern(new URL(req.url).pathname, rawParams),
        status: res.status,
        durationMs: performance.now() - started,
        actor: actor.name,
        actorKind: actor.kind,
        error: failure,
      });
      return res;
    };
    try {
      db = await getDb();
      let principal: Principal | null = null;
      let authError: unknown;
      try {
        principal = def.principal?.(req) ?? (await resolvePrincipal(req, db));
      } catch (err) {
        authError = err; // a bad bearer still counts against the caller's address below
      }
      actor = actorOf(principal, requestId);
      await enforceApiRateLimit(db, principal, clientIp(req.headers));
      if (authError) throw authError;
      if (def.role !== "public") {
        if (!principal) throw new AppError("UNAUTHENTICATED", "Sign in or send Authorization: Bearer <token>");
        if (def.role === "admin" && principal.role !== "admin") {
          throw new AppError("FORBIDDEN", `This needs the admin role; you are ${principal.role}`);
        }
      }
      if (mutating && principal?.kind === "user") assertSameOrigin(req);

      const params = (def.params ? parseInput(def.params, rawParams, requestId) : undefined) as Out<PS>;
      const url = new URL(req.url);
      const query = (def.query ? parseInput(def.query, Object.fromEntries(url.searchParams), requestId) : undefined) as Out<QS>;
      let body = undefined as Out<BS>;
      if (mutating) {
        const raw = await readJsonBody(req);
        // An empty body means "no fields"; a JSON null is a wrong body, not an empty one.
        if (def.body) body = parseInput(def.body, raw === undefined ? {} : raw, requestId) as Out<BS>;
        else if (raw !== undefined && !(typeof raw === "object" && raw !== null && !Array.isArray(raw) && Object.keys(raw).length === 0)) {
          throw new AppError("VALIDATION_ERROR", "This endpoint takes no body");
        }
      }

      const result = await def.handler({ req, db, requestId, principal, actor, params, query, body });
      if (mutating && def.action && !actor.audited) {
        // Engine mutations audit inside their own transaction; this covers the rest.
        await writeAudit(db, actor, { action: def.action, target: auditTarget(def, rawParams), outcome: "ok", status: def.status ?? 200 });
      }
      if (result instanceof Response) {
        result.headers.set("x-request-id", requestId);
        return observed(result);
      }
      return observed(Response.json(result ?? null, { status: def.status ?? 200, headers: { "x-request-id": requestId, "cache-control": "no-store" } }));
    } catch (err) {
      const appErr = toAppError(err);
      if (appErr.code === "INTERNAL") {
        // The root message only: a stack or drizzle's "Failed query: … params: …" can carry a secret or a hash.
        failure = rootMessage(err);
      }
      if (mutating && def.action && db && !actor.audited) {
        try {
          await writeAudit(db, actor, {
            action: def.action,
            target: auditTarget(def, rawParams),
            outcome: appErr.code === "INTERNAL" ? "error" : "refused",
            status: appErr.status,
            details: { code: appErr.code, message: appErr.message },
          });
        } catch (auditErr) {
          logger().error({ requestId, err: String(auditErr) }, "audit write failed");
        }
      }
      const message = appErr.code === "INTERNAL" ? `Internal error (request ${requestId})` : appErr.message;
      return observed(errorResponse(appErr.code, appErr.status, message, requestId, appErr.details, appErr.headers));
    }
  };
  // Who may call and what is audited, readable by the tests that sweep every route.
  return Object.assign(handle, { routeMeta: { role: def.role, action: def.action } as const });
}
