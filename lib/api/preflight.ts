import { z } from "zod";
import { CONFIRM_ITEMS } from "@/lib/migration/vocabulary";

/** Schemas of the pre-flight, checklist and report endpoints; strict bodies: unknown fields are 400. */

const Reference = z
  .string()
  .trim()
  .max(500)
  .optional()
  .transform((s) => (s ? s : undefined));

export const PreflightConfirmBody = z.strictObject({ item: z.enum(CONFIRM_ITEMS.preflight), reference: Reference });
export const PreflightWithdrawBody = z.strictObject({ item: z.enum(CONFIRM_ITEMS.preflight) });
export const ChecklistConfirmBody = z.strictObject({ item: z.enum(CONFIRM_ITEMS.checklist), reference: Reference });
export const ChecklistWithdrawBody = z.strictObject({ item: z.enum(CONFIRM_ITEMS.checklist) });

export const PreflightSettingsBody = z.strictObject({
  maxWritesPerSecond: z.number().min(0, "must be 0 or more").max(1_000_000),
});
export type PreflightSettingsBody = z.infer<typeof PreflightSettingsBody>;

/** `?refresh=1` asks for a fresh dry run (a background job; the answer comes at once, with the latest one). Unknown query parameters are ignored. */
export const PreflightQuery = z.object({
  refresh: z
    .enum(["0", "1", "true", "false"])
    .optional()
    .transform((v) => v === "1" || v === "true"),
});

export const ReportQuery = z.object({
  format: z
    .enum(["json", "html"])
    .optional()
    .transform((f) => f ?? "json"),
});
export type ReportQuery = z.infer<typeof ReportQuery>;
