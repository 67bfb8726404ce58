import { describe, expect, it } from "vitest";
import { batchingInWords, EMPTY_START_FORM, startBody, startFormProblem } from "./start-form";

const DEFAULTS = { batchSize: 2000, errorThresholdPct: 1, targetBatchMs: 500, pauseMs: 0, workers: 1 };

describe("the start form's body", () => {
  it("sends nothing for an untouched form, so the engine's adaptive batches and per-database workers apply", () => {
    expect(startBody(EMPTY_START_FORM)).toEqual({});
    expect(startFormProblem(EMPTY_START_FORM)).toBeNull();
    expect(batchingInWords(EMPTY_START_FORM, DEFAULTS)).toBe("adaptive, 500 ms target (starts at 2,000)");
  });

  it("sends exactly the fields filled in, a batch size then being fixed", () => {
    const f = { ...EMPTY_START_FORM, batchSize: "300", errorThresholdPct: "2.5", pauseMs: "400", retry: true };
    expect(startBody(f)).toEqual({ batchSize: 300, errorThresholdPct: 2.5, pauseMs: 400, retry: true });
    expect(batchingInWords(f, DEFAULTS)).toBe("fixed at 300");
    expect(batchingInWords({ ...f, targetBatchMs: "800" }, DEFAULTS)).toBe("adaptive, 800 ms target");
  });

  it("names the first bad field and sends none of it", () => {
    expect(startFormProblem({ ...EMPTY_START_FORM, batchSize: "2e3" })).toMatch(/^Batch size/);
    expect(startFormProblem({ ...EMPTY_START_FORM, errorThresholdPct: "101" })).toMatch(/^Error threshold/);
    expect(startFormProblem({ ...EMPTY_START_FORM, workers: "9" })).toMatch(/^Workers/);
  });
});
