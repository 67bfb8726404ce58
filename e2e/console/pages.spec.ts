import { expect, test, type Page } from "@playwright/test";
import { saveScreenshot, storageStateFor, VIEWPORTS } from "../support";

/**
 * Every console page, per role and per viewport: it renders its heading, nothing overflows
 * sideways, and a full-page screenshot lands in e2e/screenshots/page-<role>-<slug>-<viewport>.png.
 * A reviewer's pages hold no mutating control (hiding is UX; reviewer-journey.spec.ts proves the API refuses).
 */
const PAGES: { path: string; slug: string; h1: RegExp }[] = [
  { path: "/", slug: "overview", h1: /^Overview$/ },
  { path: "/preflight", slug: "preflight", h1: /^Pre-flight$/ },
  { path: "/migration", slug: "migration", h1: /^Migration$/ },
  { path: "/verify", slug: "verify", h1: /^Verify$/ },
  { path: "/prestamos", slug: "prestamos", h1: /^Prestamos$/ },
  { path: "/prestamos/1", slug: "prestamo-1", h1: /^Prestamo\s*1/ },
  { path: "/consistency", slug: "consistency", h1: /^Consistency$/ },
  { path: "/failures", slug: "failures", h1: /^Failures$/ },
  { path: "/metrics", slug: "metrics", h1: /^Metrics$/ },
  { path: "/checklist", slug: "checklist", h1: /^Post-migration checklist$/ },
  { path: "/audit", slug: "audit", h1: /^Audit log$/ },
  { path: "/webhooks", slug: "webhooks", h1: /^Webhooks$/ },
  { path: "/api-docs", slug: "api-docs", h1: /^API reference$/ },
  { path: "/users", slug: "users", h1: /^Users$/ },
  { path: "/tokens", slug: "tokens", h1: /^(API tokens|Tokens)$/ },
  { path: "/test-data", slug: "test-data", h1: /^Test data$/ },
];

/** Buttons that change something; none may be on a reviewer's page. */
export const MUTATING = /^(Start run|Start anyway|Stop run|Pause run|Resume run|Apply settings|Roll back|Roll back…|Roll back all|Yes, roll back|Migrate|Re-sync|Retry.*|End change capture…|Add user|Add a webhook|Add webhook|Create token|Create test data|Remove all test data|Disable|Enable|Reset password…|Revoke…|Save|Confirm|Withdraw confirmation)$/

async function visit(page: Page, p: (typeof PAGES)[number]) {
  await page.goto(p.path);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(p.h1);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow, `${p.path} overflows sideways`).toBe(0);
}

for (const [vpName, viewport] of Object.entries(VIEWPORTS)) {
  for (const role of ["admin", "reviewer"] as const) {
    test.describe(`${role} at ${viewport.width}×${viewport.height}`, () => {
      test.use({ viewport, storageState: storageStateFor(role) });

      test("every page renders, fits and is photographed", async ({ page }) => {
        test.setTimeout(90_000);
        for (const p of PAGES) {
          await test.step(p.path, async () => {
            await visit(page, p);
            if (role === "reviewer") {
              await expect(page.getByRole("main").getByRole("button", { name: MUTATING })).toHaveCount(0);
            }
            await saveScreenshot(page, `page-${role}-${p.slug}-${vpName}`);
          });
        }
      });
    });
  }
}
