import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { expect, type Page } from "@playwright/test";

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
