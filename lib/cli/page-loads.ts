/**
 * First-visit load time of every console page, as a new user meets them: the sign-in page, then,
 * signed in as the demo admin, each page once (time from navigation to its heading on screen).
 * Prints one line per page. For a demo that has just started (`npm run demo`), e.g.
 *   npx tsx lib/cli/page-loads.ts --base http://localhost:3000
 */
import { parseArgs } from "node:util";
import { chromium } from "@playwright/test";
import { DEMO_USERS } from "@/lib/auth/demo";

const PAGES: [string, string][] = [
  ["Overview", "/"],
  ["Pre-flight", "/preflight"],
  ["Migration", "/migration"],
  ["Verify", "/verify"],
  ["Prestamos", "/prestamos"],
  ["Prestamo 1", "/prestamos/1"],
  ["Consistency", "/consistency"],
  ["Failures", "/failures"],
  ["Metrics", "/metrics"],
  ["Checklist", "/checklist"],
  ["Audit", "/audit"],
  ["Webhooks", "/webhooks"],
  ["API reference", "/api-docs"],
  ["Users", "/users"],
  ["Tokens", "/tokens"],
  ["Test data", "/test-data"],
];

const { values } = parseArgs({ options: { base: { type: "string", default: "http://localhost:3000" } } });
const base = values.base!.replace(/\/$/, "");
const admin = DEMO_USERS.find((u) => u.role === "admin")!;

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium", args: ["--no-sandbox", "--disable-gpu"] });
try {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  const timed = async (label: string, path: string) => {
    const started = performance.now();
    await page.goto(base + path, { waitUntil: "load", timeout: 120_000 });
    await page.getByRole("heading", { level: 1 }).first().waitFor({ timeout: 120_000 });
    console.log(`${label.padEnd(16)} ${((performance.now() - started) / 1000).toFixed(2)} s`);
  };
  await timed("Sign-in", "/signin");
  await page.getByLabel(/^e-?mail$/i).fill(admin.email);
  await page.getByLabel("Password").fill(admin.password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.waitForURL((url) => url.pathname === "/", { timeout: 120_000 });
  for (const [label, path] of PAGES) await timed(label, path);
} finally {
  await browser.close();
}
