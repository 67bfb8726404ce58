import { randomUUID } from "node:crypto";
import NextAuth from "next-auth";
import { getDb } from "@/db/client";
import { authOptions } from "@/lib/auth/options";
import { normalizeEmail } from "@/lib/auth/users";
import { AppError, rootMessage } from "@/lib/errors";
import { errorResponse, toAppError } from "@/lib/http/errors";
import { methodNotAllowed } from "@/lib/http/fallback";
import { assertSignInAllowed, clientIp } from "@/lib/http/rate-limit";

type Ctx = { params: Promise<{ nextauth: string[] }> };

const nextAuth = NextAuth(authOptions) as (req: Request, ctx: Ctx) => Promise<Response>;

async function signInEmail(req: Request): Promise<string | null> {
  const type = req.headers.get("content-type") ?? "";
  try {
    if (type.includes("application/json")) {
      const body = (await req.clone().json()) as { email?: unknown };
      return typeof body?.email === "string" ? body.email : null;
    }
    if (type.includes("application/x-www-form-urlencoded")) {
      return new URLSearchParams(await req.clone().text()).get("email");
    }
  } catch {
    /* next-auth answers malformed bodies itself */
  }
  return null;
}

/** A NUL byte anywhere in the URL makes next-auth answer 500 (its error page, found by the e2e sweep): refuse it first. */
function refuseNul(req: Request): Response | null {
  if (!/%00/i.test(req.url)) return null;
  return errorResponse("VALIDATION_ERROR", 400, "The URL holds a NUL byte", randomUUID());
}

const { GET: credentialsCallbackGet } = methodNotAllowed("POST");

// GET /api/auth/*: next-auth (csrf, session, providers, sign-out page).
export async function GET(req: Request, ctx: Ctx): Promise<Response> {
  const { nextauth } = await ctx.params;
  // next-auth answers a GET of the credentials callback with a 500 (found by the hostile sweep of its endpoints): it is POST only.
  // The method is the first thing wrong with such a request, whatever its URL holds.
  if (nextauth?.[0] === "callback" && nextauth[1] === "credentials") return credentialsCallbackGet(req);
  return refuseNul(req) ?? nextAuth(req, ctx);
}

// POST /api/auth/*: next-auth; a sign-in past its failed-attempt limit is a 429 envelope with Retry-After before next-auth runs.
export async function POST(req: Request, ctx: Ctx): Promise<Response> {
  const refused = refuseNul(req);
  if (refused) return refused;
  const { nextauth } = await ctx.params;
  if (nextauth?.[0] === "callback" && nextauth[1] === "credentials") {
    const requestId = randomUUID();
    try {
      const email = await signInEmail(req);
      if (email && !email.includes("\u0000")) await assertSignInAllowed(await getDb(), normalizeEmail(email), clientIp(req.headers));
    } catch (err) {
      const appErr = err instanceof AppError ? err : toAppError(err);
      if (appErr.code === "INTERNAL")
        console.error(JSON.stringify({ level: "error", requestId, msg: "sign-in rate limit check failed", error: rootMessage(err) }));
      const message = appErr.code === "INTERNAL" ? `Internal error (request ${requestId})` : appErr.message;
      return errorResponse(appErr.code, appErr.status, message, requestId, appErr.details, appErr.headers);
    }
  }
  return nextAuth(req, ctx);
}
export const { PUT, PATCH, DELETE, OPTIONS } = methodNotAllowed("GET", "POST");
