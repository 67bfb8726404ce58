// POST /api/prestamos/migration/start — starts a run (202), 409 when one is active or a pre-flight item fails without "START ANYWAY".
import { methodNotAllowed } from "@/lib/http/fallback";
import { route } from "@/lib/http/route";
import { StartRunBody } from "@/lib/api/migration";
import { assertLegacyPhase } from "@/lib/migration/cutover";
import { getPreflight, preflightGate } from "@/lib/migration/preflight";
import { getDbHandle } from "@/db/client";
import { runDefaultsFor, startRun } from "@/lib/migration/runs";
import { localWorkerId, wakeLocalWorker } from "@/lib/migration/worker-id";
import { preflightContext } from "@/lib/server/preflight-context";

export const POST = route({
  role: "admin",
  action: "migration.start",
  body: StartRunBody,
  status: 202,
  handler: async ({ db, body, actor }) => {
    const { confirmPreflight, ...opts } = body;
    // After a cut-over the pre-flight would read the views: the phase answers first (startRun checks it again, under its lock).
    await assertLegacyPhase(db, "a run");
    // Failing pre-flight items need the typed confirmation; the state is kept with the run.
    const preflight = preflightGate(await getPreflight(db, await preflightContext(), { dryRun: "start" }), confirmPreflight);
    const workers = opts.workers ?? runDefaultsFor((await getDbHandle()).driver).workers;
    const run = await startRun(db, { ...opts, workers, preflight }, actor, localWorkerId());
    wakeLocalWorker();
    return { run };
  },
});
export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = methodNotAllowed("POST");
