/** The throttle's PATCH body; the signals and their words are the engine's (lib/migration/vocabulary.ts). */
import { z } from "zod";
import { MAX_CRITICAL_AFTER_SECONDS, SIGNAL_IDS, type SignalId, type ThrottlePatch } from "@/lib/migration/vocabulary";

const Level = z.number().finite().min(0).max(1e15);
const SignalPatch = z
  .strictObject({ enabled: z.boolean().optional(), threshold: Level.optional(), resume: Level.optional(), critical: Level.optional() })
  .refine((p) => Object.values(p).some((v) => v !== undefined), { message: "Send at least one of enabled, threshold, resume, critical" });
export type SignalPatch = z.infer<typeof SignalPatch>;

/** PATCH …/throttle: any signal by id, each field optional; unknown ids and fields are 400. */
export const ThrottlePatchBody = z
  .strictObject({
    ...(Object.fromEntries(SIGNAL_IDS.map((id) => [id, SignalPatch.optional()])) as Record<SignalId, z.ZodOptional<typeof SignalPatch>>),
    /** How long a throttle lasts before it alerts (it stays throttled). */
    alertAfterSeconds: z
      .number()
      .int()
      .min(1)
      .max(7 * 24 * 3600)
      .optional(),
    /** How long a signal stays at its critical level before the run halts (0: at the first reading). */
    criticalAfterSeconds: z.number().int().min(0).max(MAX_CRITICAL_AFTER_SECONDS).optional(),
  })
  .refine((b) => Object.values(b).some((v) => v !== undefined), {
    message: `Send at least one of ${SIGNAL_IDS.join(", ")}, alertAfterSeconds, criticalAfterSeconds`,
  });
export type ThrottlePatchBody = z.infer<typeof ThrottlePatchBody>;
// What the route parses is what the engine accepts.
const _parsedIsAccepted = (body: ThrottlePatchBody): ThrottlePatch => body;
