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

/** What a route does not serve: Next's own answer would be an empty 405, or an OPTIONS whose Allow lists every export. */
type Unserved<A extends HttpMethod> = Exclude<HttpMethod | "OPTIONS" | ("GET" extends A ? never : "HEAD"), A>;

/**
 * The answers for every method a route does not serve. Spread them beside the route's own exports,
 * naming every method the type offers:
 *
 *   export const GET = route({ ... });
 *   export const { HEAD?, POST, PUT, PATCH, DELETE, OPTIONS } = methodNotAllowed("GET");
 *
 * A method Next finds unexported gets its empty 405 (no envelope), and its automatic OPTIONS would
 * list these 405 handlers as allowed: the in-process sweep (lib/http/hostile.int.test.ts) calls
 * what Next serves for every method of every route, so a name left out fails it. The 405s are the
 * JSON envelope (HEAD: its headers without the body); OPTIONS is a 204 whose Allow lists only the
 * methods served. HEAD of a GET route is left to Next, which answers it with GET.
 */
export function methodNotAllowed<const A extends HttpMethod[]>(...allowed: A): Record<Unserved<A[number]>, Handler> {
  const allowList = [...allowed, ...(allowed.includes("GET") ? ["HEAD"] : []), "OPTIONS"];
  const allow = allowList.join(", ");
  const refuse: Handler = async (req) => {
    const requestId = randomUUID();
    const path = new URL(req.url).pathname;
    const res = errorResponse(
      "METHOD_NOT_ALLOWED",
      405,
      `${req.method} is not allowed on ${path}; allowed: ${allowed.join(", ")}`,
      requestId,
      { allowed },
      { allow },
    );
    return req.method === "HEAD" ? withoutBody(res) : res;
  };
  const options: Handler = async () => new Response(null, { status: 204, headers: { allow, "x-request-id": randomUUID() } });
  const out: Partial<Record<HttpMethod | "HEAD" | "OPTIONS", Handler>> = { OPTIONS: options };
  for (const m of HTTP_METHODS) if (!allowed.includes(m)) out[m] = refuse;
  if (!allowed.includes("GET")) out.HEAD = refuse;
  return out as Record<Unserved<A[number]>, Handler>;
}
