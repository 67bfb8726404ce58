import { z } from "zod";

/** Bodies of the migration's mutating endpoints (MIGRATION-SPEC §6); strict: unknown fields are 400. */
export const StartRunBody = z.strictObject({
  batchSize: z.number().int().min(1).max(50_000).optional(),
  errorThresholdPct: z.number().min(0).max(100).optional(),
  retry: z.boolean().optional(),
});
export type StartRunBody = z.infer<typeof StartRunBody>;

export const ROLLBACK_ALL_CONFIRMATION = "ROLLBACK ALL";
export const RollbackAllBody = z.strictObject({
  confirm: z.literal(ROLLBACK_ALL_CONFIRMATION, { message: `Type exactly "${ROLLBACK_ALL_CONFIRMATION}" to confirm` }),
});
