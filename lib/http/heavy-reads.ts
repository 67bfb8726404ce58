/**
 * A cap on the reads that walk many rows in the request itself (a page of a rare mismatch
 * category, the report): beyond it the caller gets 503 with Retry-After at once instead of one more
 * of the pool's connections busy for seconds, so the run's batches, sign-in and Stop keep theirs.
 * Per process (each instance has its own pool).
 */
import { AppError } from "@/lib/errors";

export const HEAVY_READS_DEFAULT = 2;
export const HEAVY_READ_RETRY_AFTER_SECONDS = 5;

const g = globalThis as unknown as { __prestamosHeavyReads?: { inFlight: number; max: number } };
const state = () => (g.__prestamosHeavyReads ??= { inFlight: 0, max: Number(process.env.HEAVY_READS_MAX ?? HEAVY_READS_DEFAULT) || HEAVY_READS_DEFAULT });

/** Tests and the measuring script. */
export function setHeavyReadLimit(max: number): void {
  state().max = max;
}

export async function heavyRead<T>(fn: () => Promise<T>): Promise<T> {
  const s = state();
  if (s.inFlight >= s.max) {
    throw new AppError(
      "UNAVAILABLE",
      `${s.max} long reads are already running on this console: try again in ${HEAVY_READ_RETRY_AFTER_SECONDS} s`,
      { limit: s.max, retryAfterSeconds: HEAVY_READ_RETRY_AFTER_SECONDS },
      { "Retry-After": String(HEAVY_READ_RETRY_AFTER_SECONDS) },
    );
  }
  s.inFlight++;
  try {
    return await fn();
  } finally {
    s.inFlight--;
  }
}
