import { describe, expect, it } from "vitest";
import { BATCH_SIZE_BOUNDS } from "./runs";
import { nextBatchSize } from "./run-batches";

describe("time-targeted batch sizes", () => {
  it("grows toward the target, never more than 1.5× a step", () => {
    expect(nextBatchSize(1000, 250, 500)).toBe(1500);
    expect(nextBatchSize(1000, 400, 500)).toBe(1250);
  });
  it("shrinks in proportion when a batch is slow, and halves at once on an outlier", () => {
    expect(nextBatchSize(1000, 800, 500)).toBe(625);
    expect(nextBatchSize(1000, 5000, 500)).toBe(500);
  });
  it("stays within its bounds, and a target of 0 keeps the size fixed", () => {
    expect(nextBatchSize(BATCH_SIZE_BOUNDS.max, 1, 500)).toBe(BATCH_SIZE_BOUNDS.max);
    expect(nextBatchSize(BATCH_SIZE_BOUNDS.min, 100_000, 500)).toBe(BATCH_SIZE_BOUNDS.min);
    expect(nextBatchSize(777, 5000, 0)).toBe(777);
  });
});
