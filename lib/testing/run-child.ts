/**
 * A console-like process for crash tests: opens the database (DATABASE_URL or PGLITE_DATA_DIR),
 * drives the active run batch by batch with the engine's own functions, and prints one line per
 * committed batch. Tests kill it with SIGKILL at random points and start another.
 */
import { openDb } from "@/db/client";
import { claimActiveRun, newWorkerId } from "@/lib/migration/runs";
import { processBatch } from "@/lib/migration/run-batches";

// Spawned ahead of time (CHILD_WAIT_GO=1, lib/testing/chaos.ts): Node and tsx start while the
// previous child still runs; the database is opened only on "go" (an embedded folder allows one process).
if (process.env.CHILD_WAIT_GO === "1") {
  const go = await new Promise<boolean>((resolve) => {
    process.stdin.on("data", (d) => String(d).includes("go") && resolve(true));
    process.stdin.on("end", () => resolve(false));
  });
  // A live stdin would keep this process from exiting once its work is done.
  process.stdin.removeAllListeners();
  process.stdin.destroy();
  if (!go) process.exit(0); // discarded before it was started
}
const url = process.env.DATABASE_URL;
const dataDir = process.env.PGLITE_DATA_DIR;
// IDLE_IN_TX_MS: a shorter idle-in-transaction limit, for the frozen-session test.
const idleInTransactionMs = process.env.IDLE_IN_TX_MS ? Number(process.env.IDLE_IN_TX_MS) : undefined;
const handle = await openDb(url ? { url, max: 2, ...(idleInTransactionMs === undefined ? {} : { sessionLimits: { idleInTransactionMs } }) } : { dataDir });
const workerId = newWorkerId();
try {
  for (;;) {
    const claim = await claimActiveRun(handle.db, workerId);
    if (!claim) {
      process.stdout.write("no-run\n");
      break;
    }
    const out = await processBatch(handle.db, claim.run.id, workerId);
    if (out.kind === "ended") {
      process.stdout.write(`ended ${out.run.status}\n`);
      break;
    }
    if (out.kind === "not-ours") {
      process.stdout.write("not-ours\n");
      break;
    }
    if (out.kind === "wait" || out.kind === "paused") {
      await new Promise((r) => setTimeout(r, 50));
      continue;
    }
    process.stdout.write(`batch ${out.run.checkpoint}\n`);
  }
} finally {
  await handle.close();
}
