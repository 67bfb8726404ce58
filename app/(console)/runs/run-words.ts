import { fmtInt } from "@/lib/format";
import type { RunDTO } from "@/lib/migration/runs";

/** A run's batching and tunables in words: "adaptive, 500 ms target · 1 worker · no pause · retry". */
export function settingsInWords(run: Pick<RunDTO, "targetBatchMs" | "batchSize" | "workers" | "pauseMs" | "retry">): string {
  return [
    run.targetBatchMs > 0 ? `adaptive, ${fmtInt(run.targetBatchMs)} ms target` : `fixed batches of ${fmtInt(run.batchSize)}`,
    `${fmtInt(run.workers)} ${run.workers === 1 ? "worker" : "workers"}`,
    run.pauseMs > 0 ? `${fmtInt(run.pauseMs)} ms pause` : "no pause",
    ...(run.retry ? ["retry failed and rolled back"] : []),
  ].join(" · ");
}
