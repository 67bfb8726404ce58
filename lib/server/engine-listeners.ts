/**
 * What the engine announces goes to the webhooks (a delivery row in the announcing transaction)
 * and to the metrics (the consistency figures Prometheus reports). Installed by boot(), and by
 * the integration tests' setup so that engine calls behave there as in the server.
 */
import { listenToEngine } from "@/lib/migration/events";
import { recordConsistencySummary } from "@/lib/metrics/consistency-cache";
import { queueDeliveries } from "@/lib/webhooks/emit";

export function installEngineListeners(): void {
  listenToEngine("webhooks", { event: queueDeliveries });
  listenToEngine("metrics", { consistencyChecked: recordConsistencySummary });
}
