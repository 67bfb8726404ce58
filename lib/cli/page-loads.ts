/**
 * First-visit load time of every console page, as a new user meets them: the sign-in page, then,
 * signed in as the demo admin, each page once. Prints one line per page: the browser's first
 * contentful paint (from the Paint Timing API), the time from navigation to the page's heading on
 * screen, and to the load event (every script fetched and run). For a demo that has just started (`npm run demo`), e.g.
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
    const since = () => ((performance.now() - started) / 1000).toFixed(2);
    await page.goto(base + path, { waitUntil: "commit", timeout: 120_000 });
    await page.getByRole("heading", { level: 1 }).first().waitFor({ timeout: 120_000 });
    const heading = since();
    await page.waitForLoadState("load", { timeout: 120_000 });
    const load = since();
    // The paint entry can be queued after the load event: a buffered observer sees it either way.
    const fcpMs = await page.evaluate(
      () =>
        new Promise<number | null>((resolve) => {
          new PerformanceObserver((list) => {
            const fcp = list.getEntriesByName("first-contentful-paint")[0];
            if (fcp) resolve(fcp.startTime);
          }).observe({ type: "paint", buffered: true });
          setTimeout(() => resolve(null), 3_000);
        }),
    );
    const fcp = fcpMs === null ? "—" : (fcpMs / 1000).toFixed(2);
    console.log(`${label.padEnd(16)} first paint ${fcp} s · heading ${heading} s · load ${load} s`);
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
