import { describe, expect, it } from "vitest";
import { StartRunBody } from "@/lib/api/migration";
import { exceedsThreshold } from "./run-batches";

// Each of these is a percentage at which failed/processed*100 in floating point lands just above
// the threshold although the rate equals it exactly.
const AT_THE_BOUNDARY = [3.5, 7, 0.7, 1.4, 2.9, 3.3, 5.6];

describe("the error threshold", () => {
  it.each(AT_THE_BOUNDARY)("does not count a rate equal to %s percent as exceeding it, and one more failure does", (pct) => {
    const failed = Math.round(pct * 10);
    expect(exceedsThreshold(failed, 1000, pct)).toBe(false);
    expect(exceedsThreshold(failed + 1, 1000, pct)).toBe(true);
  });

  it("is exact for other sizes too, and nothing processed never exceeds", () => {
    expect(exceedsThreshold(7, 200, 3.5)).toBe(false);
    expect(exceedsThreshold(8, 200, 3.5)).toBe(true);
    expect(exceedsThreshold(1, 3, 33.33)).toBe(true);
    expect(exceedsThreshold(0, 0, 0)).toBe(false);
    expect(exceedsThreshold(1, 1, 100)).toBe(false);
  });

  it("is taken with at most two decimals, so what is compared is what was asked", () => {
    expect(StartRunBody.safeParse({ errorThresholdPct: 3.3 }).success).toBe(true);
    expect(StartRunBody.safeParse({ errorThresholdPct: 0.07 }).success).toBe(true);
    expect(StartRunBody.safeParse({ errorThresholdPct: 3.333 }).success).toBe(false);
  });
});
