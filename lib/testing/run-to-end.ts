/** Drives runs in the test's own process, batch after batch, instead of the background worker. */
import type { Db } from "@/db/client";
import { processBatch } from "@/lib/migration/run-batches";
import { getActiveRun, type RunDTO } from "@/lib/migration/runs";

/** Drives a run to its end (or `maxBatches`) in this process. */
export async function runToEnd(db: Db, runId: number, workerId: string, maxBatches = Number.MAX_SAFE_INTEGER): Promise<RunDTO | null> {
  for (let i = 0; i < maxBatches; i++) {
    const out = await processBatch(db, runId, workerId);
    if (out.kind === "ended") return out.run;
    if (out.kind === "not-ours") return null;
    if (out.kind === "paused") return out.run;
    if (out.kind === "wait") await new Promise((r) => setTimeout(r, 20));
  }
  return getActiveRun(db);
}
