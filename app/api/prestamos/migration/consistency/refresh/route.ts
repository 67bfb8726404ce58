// POST /api/prestamos/migration/consistency/refresh — 202: a fresh background consistency check is queued (or the one waiting is joined).
import { methodNotAllowed } from "@/lib/http/fallback";
import { route } from "@/lib/http/route";
import { requestJob } from "@/lib/migration/jobs";

export const POST = route({
  role: "admin",
  action: "consistency.refresh",
  status: 202,
  handler: async ({ db, actor }) => requestJob(db, "consistency", actor.name),
});
export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = methodNotAllowed("POST");
