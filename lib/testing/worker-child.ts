/**
 * A console instance's background worker in its own process, for the several-instances tests:
 * opens DATABASE_URL and runs the real startWorker (lib/migration/worker.ts) until killed or
 * SIGTERM. APP_NAME tells its sessions apart in pg_stat_activity. WORKER_ID sets its identity (a foreign host name makes its death invisible to the
 * same-host pid check, so only the lease expiry lets another instance take its run over).
 * Prints its worker id, then one JSON line per worker event.
 */
import { openDb } from "@/db/client";
import { startWorker } from "@/lib/migration/worker";
import { installEngineListeners } from "@/lib/server/engine-listeners";

// A console instance: its events reach the webhooks as the server's would.
installEngineListeners();

const handle = await openDb({ url: process.env.DATABASE_URL!, max: 3, applicationName: process.env.APP_NAME || "prestamos-console-worker-child" });
const worker = startWorker(handle.db, {
  workerId: process.env.WORKER_ID || undefined,
  idleMs: Number(process.env.IDLE_MS ?? 100),
  drainLimit: Number(process.env.DRAIN_LIMIT ?? 1000),
  log: (e) => process.stdout.write(`${JSON.stringify(e)}\n`),
});
process.stdout.write(`worker ${worker.workerId}\n`);
process.on("SIGTERM", () => {
  void worker
    .stop()
    .then(() => handle.close())
    .then(() => process.exit(0));
});
