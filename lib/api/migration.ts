import { z } from "zod";

/** Bodies of the migration's mutating endpoints (MIGRATION-SPEC §6); strict: unknown fields are 400. */
export const StartRunBody = z.strictObject({
  batchSize: z.number().int().min(1).max(50_000).optional(),
  errorThresholdPct: z.number().min(0).max(100).optional(),
  retry: z.boolean().optional(),
  /** Must be "START ANYWAY" to start while a pre-flight item fails (issue 9); warnings never block. */
  confirmPreflight: z.string().max(100).optional(),
});
export type StartRunBody = z.infer<typeof StartRunBody>;

export const ROLLBACK_ALL_CONFIRMATION = "ROLLBACK ALL";
export const RollbackAllBody = z.strictObject({
  confirm: z.literal(ROLLBACK_ALL_CONFIRMATION, { message: `Type exactly "${ROLLBACK_ALL_CONFIRMATION}" to confirm` }),
});
