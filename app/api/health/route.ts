// GET /api/health — public liveness + database reachability; 503 when the database does not answer.
// Not behind route(): the wrapper resolves the caller through the database first, and this is the
// one endpoint that must answer (503, JSON) precisely when the database does not.
import { randomUUID } from "node:crypto";
import { getDbHandle } from "@/db/client";
import { methodNotAllowed } from "@/lib/http/fallback";
import { checkHealth } from "@/lib/server/health";

export const dynamic = "force-dynamic";

export async function GET(): Promise<Response> {
  const report = await checkHealth(getDbHandle);
  return Response.json(report, {
    status: report.database.reachable ? 200 : 503,
    headers: { "x-request-id": randomUUID(), "cache-control": "no-store" },
  });
}

export const { POST, PUT, PATCH, DELETE, OPTIONS } = methodNotAllowed("GET");
