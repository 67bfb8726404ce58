import type { FAILURE_CODES } from "@/lib/migration/vocabulary";

type Code = (typeof FAILURE_CODES)[number];

/** Each failure code in plain words and the rule behind it (MIGRATION-SPEC §3), for every page that lists failures. */
export const FAILURE_CODE_TEXT: Record<Code, { title: string; rule: string; fix: string }> = {
  INVALID_CLIENTE: {
    title: "No client name",
    rule: "cliente_nombre is empty or only white space after cleaning.",
    fix: "Enter the client's name in the legacy row.",
  },
  INVALID_MONTO: { title: "Amount missing or not positive", rule: "monto is NULL, zero or negative.", fix: "Correct the loan amount." },
  INVALID_TASA: {
    title: "Interest rate out of range",
    rule: "tasa_interes is NULL, below 0 or above 200.",
    fix: "Correct the annual rate (a percentage, 0–200).",
  },
  INVALID_PLAZO: { title: "Term out of range", rule: "plazo_meses is NULL, below 1 or above 600.", fix: "Correct the term in months (1–600)." },
  INVALID_FECHA: {
    title: "Grant date unreadable",
    rule: "fecha_otorgamiento is not YYYY-MM-DD or D/M/YYYY, not a real date, or outside 1900–2100.",
    fix: "Write the date as YYYY-MM-DD.",
  },
  UNKNOWN_ESTADO: {
    title: "Unknown status",
    rule: "estado is none of the known spellings of activo, en_mora, pagado, castigado, anulado.",
    fix: "Use one of the known statuses.",
  },
  UNKNOWN_MONEDA: {
    title: "Unknown currency",
    rule: "moneda is neither a spelling of PEN (S/, soles, blank) nor of USD (US$, dolares).",
    fix: "Use PEN or USD.",
  },
  INVALID_PAGO: {
    title: "A payment is invalid",
    rule: "One of its pagos has a NULL or non-positive monto, or an unreadable fecha_pago (voided pagos included).",
    fix: "Correct that pago's amount or date.",
  },
};
