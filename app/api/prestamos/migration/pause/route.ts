// POST /api/prestamos/migration/pause — pauses the active run after its batches in flight; 409 when none or already paused.
import { methodNotAllowed } from "@/lib/http/fallback";
import { route } from "@/lib/http/route";
import { setRunPaused } from "@/lib/migration/runs";

export const POST = route({
  role: "admin",
  action: "migration.pause",
  handler: async ({ db, actor }) => ({ run: await setRunPaused(db, true, actor) }),
});
export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = methodNotAllowed("POST");
