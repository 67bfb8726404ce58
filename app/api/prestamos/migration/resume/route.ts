// POST /api/prestamos/migration/resume — resumes a paused run; 409 when none is paused.
import { methodNotAllowed } from "@/lib/http/fallback";
import { route } from "@/lib/http/route";
import { setRunPaused } from "@/lib/migration/runs";
import { wakeLocalWorker } from "@/lib/migration/worker-id";

export const POST = route({
  role: "admin",
  action: "migration.resume_run",
  handler: async ({ db, actor }) => {
    const run = await setRunPaused(db, false, actor);
    wakeLocalWorker();
    return { run };
  },
});
export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = methodNotAllowed("POST");
