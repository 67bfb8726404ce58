// GET /api/health — public liveness + database reachability; 503 when the database does not answer.
// Not behind route(): the wrapper resolves the caller through the database first, and this is the
// one endpoint that must answer (503, JSON) precisely when the database does not.
import { randomUUID } from "node:crypto";
import { getDbHandle } from "@/db/client";
import { errorResponse } from "@/lib/http/errors";
import { methodNotAllowed } from "@/lib/http/fallback";
import { clientIp, HEALTH_RATE_LIMIT_PER_MINUTE, hitHealthLimit } from "@/lib/http/rate-limit";
import { checkHealth } from "@/lib/server/health";

export const dynamic = "force-dynamic";

export async function GET(req?: Request): Promise<Response> {
  // Each check is a database round trip: an address gets HEALTH_RATE_LIMIT_PER_MINUTE of them.
  const wait = hitHealthLimit(req ? clientIp(req.headers) : null);
  if (wait !== null) {
    return errorResponse(
      "RATE_LIMITED",
      429,
      `Too many health checks: at most ${HEALTH_RATE_LIMIT_PER_MINUTE} a minute per address. Retry in ${wait} s.`,
      randomUUID(),
      { retryAfterSeconds: wait },
      { "Retry-After": String(wait) },
    );
  }
  const report = await checkHealth(getDbHandle);
  return Response.json(report, {
    status: report.database.reachable ? 200 : 503,
    headers: { "x-request-id": randomUUID(), "cache-control": "no-store" },
  });
}

export const { POST, PUT, PATCH, DELETE, OPTIONS } = methodNotAllowed("GET");
