import { z } from "zod";
import { CUTOVER_CONFIRMATION, FINALIZE_CONFIRMATION, REVERT_CONFIRMATION, ROLLBACK_ALL_CONFIRMATION } from "@/lib/migration/vocabulary";

/** Bodies of the migration's mutating endpoints (MIGRATION-SPEC §6); strict: unknown fields are 400. */
/** What may change while a run runs: target batch time, pause between batches, batch loops. */
const Tunables = {
  targetBatchMs: z.number().int().min(0).max(60_000).optional(),
  pauseMs: z.number().int().min(0).max(60_000).optional(),
  workers: z.number().int().min(1).max(8).optional(),
};

export const TuneRunBody = z
  .strictObject({ ...Tunables, batchSize: z.number().int().min(1).max(50_000).optional() })
  .refine((b) => Object.values(b).some((v) => v !== undefined), { message: "Send at least one of targetBatchMs, pauseMs, workers, batchSize" });

export const StartRunBody = z.strictObject({
  ...Tunables,
  batchSize: z.number().int().min(1).max(50_000).optional(),
  // Compared in basis points (runs.ts exceedsThreshold): a third decimal would be silently rounded.
  errorThresholdPct: z
    .number()
    .min(0)
    .max(100)
    .refine((v) => Math.abs(v * 100 - Math.round(v * 100)) < 1e-6, { message: "At most two decimals (the threshold is kept in basis points)" })
    .optional(),
  retry: z.boolean().optional(),
  /** Must be "START ANYWAY" to start while a pre-flight item fails; warnings never block. */
  confirmPreflight: z.string().max(100).optional(),
});
export type StartRunBody = z.infer<typeof StartRunBody>;

export const RollbackAllBody = z.strictObject({
  confirm: z.literal(ROLLBACK_ALL_CONFIRMATION, { message: `Type exactly "${ROLLBACK_ALL_CONFIRMATION}" to confirm` }),
});

export const CutoverBody = z.strictObject({
  confirm: z.literal(CUTOVER_CONFIRMATION, { message: `Type exactly "${CUTOVER_CONFIRMATION}" to confirm` }),
});
export const RevertBody = z.strictObject({
  confirm: z.literal(REVERT_CONFIRMATION, { message: `Type exactly "${REVERT_CONFIRMATION}" to confirm` }),
});
export const FinalizeBody = z.strictObject({
  confirm: z.literal(FINALIZE_CONFIRMATION, { message: `Type exactly "${FINALIZE_CONFIRMATION}" to confirm` }),
  dropViews: z.boolean().optional(),
});
