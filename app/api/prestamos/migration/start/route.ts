// POST /api/prestamos/migration/start — starts a run (202), 409 when one is active.
import { methodNotAllowed } from "@/lib/http/fallback";
import { route } from "@/lib/http/route";
import { StartRunBody } from "@/lib/api/migration";
import { startRun } from "@/lib/migration/runs";
import { localWorkerId, wakeLocalWorker } from "@/lib/migration/worker-id";

export const POST = route({
  role: "admin",
  action: "migration.start",
  body: StartRunBody,
  status: 202,
  handler: async ({ db, body, actor }) => {
    const run = await startRun(db, body, actor, localWorkerId());
    wakeLocalWorker();
    return { run };
  },
});
export const { GET, PUT, PATCH, DELETE } = methodNotAllowed("POST");
