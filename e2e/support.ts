import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { test as base, expect, type Page, type Response } from "@playwright/test";

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const AUTH_DIR = path.join(HERE, ".auth");
export const storageStateFor = (role: "admin" | "reviewer") => path.join(AUTH_DIR, `${role}.json`);

/** Outside test-results/, which Playwright empties on every run (CONVENTIONS, pitfalls). */
export const SCREENSHOT_DIR = path.join(HERE, "screenshots");

export const VIEWPORTS = {
  desktop: { width: 1440, height: 900 },
  laptop: { width: 1280, height: 800 },
} as const;

export async function saveScreenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** The error envelope of MIGRATION-SPEC §6, with the request id echoed in the header. */
export async function expectEnvelope(res: { status(): number; headers(): Record<string, string>; json(): Promise<unknown> }, status: number, code: string) {
  expect(res.status()).toBe(status);
  expect(res.headers()["content-type"]).toMatch(/^application\/json/);
  const body = (await res.json()) as { error: { code: string; message: string; requestId?: string } };
  expect(body.error.code).toBe(code);
  expect(typeof body.error.message).toBe("string");
  expect(body.error.message.length).toBeGreaterThan(0);
  expect(JSON.stringify(body)).not.toMatch(/\n\s+at |node_modules/); // never a stack
  if (body.error.requestId) expect(res.headers()["x-request-id"]).toBe(body.error.requestId);
  return body;
}

/** A failed response a test provokes on purpose (a 409 it plays, a 400 it shows in place). */
export interface ExpectedFailure {
  method?: string;
  /** Matched against the URL's path and query. */
  path: RegExp;
  status: number;
}
const expectedFailures = new WeakMap<Page, ExpectedFailure[]>();

/** Declares a response ≥ 400 the test makes the page receive on purpose; any other fails the test. */
export function expectFailedResponse(page: Page, failure: ExpectedFailure): void {
  expectedFailures.set(page, [...(expectedFailures.get(page) ?? []), failure]);
}

function isExpected(page: Page, res: Response): boolean {
  const url = new URL(res.url());
  return (expectedFailures.get(page) ?? []).some(
    (f) => f.status === res.status() && (!f.method || f.method === res.request().method()) && f.path.test(url.pathname + url.search),
  );
}

/**
 * Every console spec's `test`: the page fixture records each request the page makes that fails
 * (a network error, or a response ≥ 400 not declared with expectFailedResponse) and fails the test
 * at its end, so an icon that 404s or a poll that 500s cannot hide behind a green page.
 * A request the page itself cancels (net::ERR_ABORTED: a navigation leaving while a poll or a
 * prefetch is in flight) is no failure.
 */
export const test = base.extend({
  page: async ({ page }, provide) => {
    const failed: string[] = [];
    page.on("requestfailed", (req) => {
      const error = req.failure()?.errorText ?? "failed";
      if (error === "net::ERR_ABORTED") return;
      failed.push(`${req.method()} ${req.url()}: ${error}`);
    });
    page.on("response", (res) => {
      if (res.status() >= 400 && !isExpected(page, res)) failed.push(`${res.request().method()} ${res.url()}: HTTP ${res.status()}`);
    });
    await provide(page);
    expect(failed, "requests of the page that failed").toEqual([]);
  },
});
export { expect };
