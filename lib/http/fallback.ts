import { randomUUID } from "node:crypto";
import { errorResponse } from "./errors";

/**
 * JSON answers where Next would otherwise serve its own HTML 404 or an empty 405
 * (CONVENTIONS, pitfalls: "a method a route does not export gets Next's own 405").
 */
export const HTTP_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];
/** Async like the route() handlers, so the exports are interchangeable in tests and in Next. */
type Handler = (req: Request) => Promise<Response>;

/** HEAD answers like GET without a body. */
const withoutBody = (res: Response) => new Response(null, { status: res.status, headers: res.headers });

/** 404 NOT_FOUND envelope for a path no route serves. */
export async function apiNotFound(req: Request): Promise<Response> {
  const requestId = randomUUID();
  const path = new URL(req.url).pathname;
  const res = errorResponse("NOT_FOUND", 404, `No API endpoint at ${req.method} ${path}`, requestId);
  return req.method === "HEAD" ? withoutBody(res) : res;
}

/** Every method of the catch-all app/api/[...path]/route.ts. */
export const notFoundHandlers = {
  GET: apiNotFound,
  HEAD: apiNotFound,
  POST: apiNotFound,
  PUT: apiNotFound,
  PATCH: apiNotFound,
  DELETE: apiNotFound,
  OPTIONS: apiNotFound,
};

/**
 * 405 METHOD_NOT_ALLOWED envelope handlers for the methods a route does not serve. Spread them
 * beside the route's own exports:
 *
 *   export const GET = route({ ... });
 *   export const { POST, PUT, PATCH, DELETE } = methodNotAllowed("GET");
 *
 * The returned object has exactly the methods not listed (TypeScript refuses to destructure a
 * listed one). HEAD follows GET; OPTIONS is left to Next (it answers 204 with Allow).
 */
export function methodNotAllowed<const A extends HttpMethod[]>(...allowed: A): Record<Exclude<HttpMethod, A[number]>, Handler> {
  const allow = [...allowed, ...(allowed.includes("GET") ? ["HEAD"] : []), "OPTIONS"].join(", ");
  const handler: Handler = async (req) => {
    const requestId = randomUUID();
    const path = new URL(req.url).pathname;
    return errorResponse("METHOD_NOT_ALLOWED", 405, `${req.method} is not allowed on ${path}; allowed: ${allowed.join(", ")}`, requestId, { allowed }, { allow });
  };
  const out: Partial<Record<HttpMethod, Handler>> = {};
  for (const m of HTTP_METHODS) if (!allowed.includes(m)) out[m] = handler;
  return out as Record<Exclude<HttpMethod, A[number]>, Handler>;
}
