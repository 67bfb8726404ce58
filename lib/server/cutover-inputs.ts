import type { Db } from "@/db/client";
import { cachedConsistency } from "@/lib/metrics/consistency-cache";
import { CUTOVER_DEFAULTS, type GateInputs } from "@/lib/migration/cutover";

/**
 * What the cut-over gates take from outside the engine: the latest consistency summary (refreshed
 * in the background when older than the gate allows, so a poll of the gates never waits for a
 * full check).
 */
export async function cutoverGateInputs(db: Db): Promise<GateInputs> {
  return { consistency: await cachedConsistency(db, { ttlMs: CUTOVER_DEFAULTS.consistencyMaxAgeMs / 2, waitMs: 1500 }) };
}
