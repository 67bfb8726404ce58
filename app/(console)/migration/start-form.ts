/**
 * The start form's fields and the body they make. Every field starts blank, showing the engine's
 * default as its placeholder, and is sent only when the operator filled it in: a batch size sent
 * is taken as a fixed size, so an untouched form must leave the engine's adaptive default alone.
 */
import type { StartRunInput } from "@/lib/api/queries";

export interface StartDefaults {
  batchSize: number;
  errorThresholdPct: number;
  targetBatchMs: number;
  pauseMs: number;
  /** The default of this database: 1 on the embedded one, 2 on PostgreSQL. */
  workers: number;
}

export interface StartForm {
  batchSize: string;
  errorThresholdPct: string;
  targetBatchMs: string;
  workers: string;
  pauseMs: string;
  retry: boolean;
}

export type StartBody = StartRunInput;

export const EMPTY_START_FORM: StartForm = { batchSize: "", errorThresholdPct: "", targetBatchMs: "", workers: "", pauseMs: "", retry: false };

/** Blank → undefined; a whole number in [min, max] → it; anything else → false. */
export function optionalInt(v: string, min: number, max: number): number | undefined | false {
  if (v.trim() === "") return undefined;
  if (!/^\d+$/.test(v.trim())) return false;
  const n = Number(v);
  return n >= min && n <= max ? n : false;
}

/** Blank → undefined; a percentage 0–100 → it; anything else → false. */
export function optionalPct(v: string): number | undefined | false {
  if (v.trim() === "") return undefined;
  if (!/^\d{1,3}(\.\d{1,4})?$/.test(v.trim())) return false;
  const n = Number(v);
  return n <= 100 ? n : false;
}

/** The first problem of the form in words, or null. */
export function startFormProblem(f: StartForm): string | null {
  if (optionalInt(f.batchSize, 1, 50_000) === false) return "Batch size must be a whole number from 1 to 50,000 (or blank for adaptive).";
  if (optionalPct(f.errorThresholdPct) === false) return "Error threshold must be a number from 0 to 100 (or blank for the default).";
  if (optionalInt(f.targetBatchMs, 0, 60_000) === false) return "Target batch time must be a whole number of ms from 0 to 60,000 (or blank).";
  if (optionalInt(f.workers, 1, 8) === false) return "Workers must be a whole number from 1 to 8 (or blank).";
  if (optionalInt(f.pauseMs, 0, 60_000) === false) return "Pause must be a whole number of ms from 0 to 60,000 (or blank).";
  return null;
}

/** Only what the operator filled in or ticked; the engine applies its defaults to the rest. */
export function startBody(f: StartForm): StartBody {
  const b: StartBody = {};
  const bs = optionalInt(f.batchSize, 1, 50_000);
  const th = optionalPct(f.errorThresholdPct);
  const t = optionalInt(f.targetBatchMs, 0, 60_000);
  const w = optionalInt(f.workers, 1, 8);
  const pm = optionalInt(f.pauseMs, 0, 60_000);
  if (typeof bs === "number") b.batchSize = bs;
  if (typeof th === "number") b.errorThresholdPct = th;
  if (f.retry) b.retry = true;
  if (typeof t === "number") b.targetBatchMs = t;
  if (typeof w === "number") b.workers = w;
  if (typeof pm === "number") b.pauseMs = pm;
  return b;
}

/** The threshold the run will use: the one typed, else the default. */
export function effectiveThreshold(f: StartForm, d: StartDefaults): number {
  const th = optionalPct(f.errorThresholdPct);
  return typeof th === "number" ? th : d.errorThresholdPct;
}

/** How the batch size will behave, in words, for the placeholder and the summary. */
export function batchingInWords(f: StartForm, d: StartDefaults): string {
  const bs = optionalInt(f.batchSize, 1, 50_000);
  const t = optionalInt(f.targetBatchMs, 0, 60_000);
  if (typeof t === "number") return t > 0 ? `adaptive, ${t} ms target` : "fixed size";
  if (typeof bs === "number") return `fixed at ${bs.toLocaleString("en-US")}`;
  return `adaptive, ${d.targetBatchMs} ms target (starts at ${d.batchSize.toLocaleString("en-US")})`;
}
