import { getBackgroundWorker } from "./worker";
import { newWorkerId } from "./runs";

/** The worker that will drive a run started by this process (its background worker if any). */
export function localWorkerId(): string {
  return getBackgroundWorker()?.workerId ?? newWorkerId();
}

export function wakeLocalWorker(): void {
  getBackgroundWorker()?.wake();
}
