import { expect } from "vitest";
import type { Exec } from "@/db/client";
import { independentCompare, type IndependentReport } from "./independent";

/**
 * The new tables equal the independent expectation: no differing value or pago, no missing,
 * unexpected or duplicated prestamo (and the state counts progress shows are right). Returns the
 * report for the figures a test prints.
 */
export async function expectZeroDiffs(db: Exec, scope: "all" | "migrated" = "all"): Promise<IndependentReport> {
  const report = await independentCompare(db, scope);
  expect(report.columnDiffs).toEqual([]);
  expect(report.pagoDiffs).toEqual([]);
  expect(report.unexpected).toEqual([]);
  expect(report.missing).toEqual([]);
  expect(report.duplicates).toBe(0);
  return report;
}
