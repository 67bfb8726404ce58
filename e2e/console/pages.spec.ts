import { expect as baseExpect, type Page } from "@playwright/test";
import { saveScreenshot, storageStateFor, test, VIEWPORTS } from "../support";

/** The console shares one embedded database with a migration run next door: UI answers may take seconds. */
const expect = baseExpect.configure({ timeout: 30_000 });

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
  { path: "/failures/predicted", slug: "failures-predicted", h1: /^Predicted failures$/ },
  { path: "/runs", slug: "runs", h1: /^Runs$/ },
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
export const MUTATING =
  /^(Start run|Start anyway|Stop run|Pause run|Resume run|Apply settings|Roll back|Roll back…|Roll back all|Yes, roll back|Migrate|Re-sync|Retry.*|End change capture…|Add user|Add a webhook|Add webhook|Create token|Create test data|Remove all test data|Disable|Enable|Reset password…|Revoke…|Save|Confirm|Withdraw confirmation)$/;

/**
 * No sideways scrolling once the page has settled. The charts' ResponsiveContainer measures its
 * box after the first paint: for a moment the page can be 3 px wider (seen on /metrics with data),
 * which nobody sees; an overflow that lasts is a layout bug and fails.
 */
async function fits(page: Page, path: string) {
  await expect
    .poll(() => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth), {
      message: `${path} overflows sideways`,
      timeout: 3000,
    })
    .toBe(0);
}

/**
 * One page load per page and role, photographed at both widths (the layout is CSS only, so
 * resizing the viewport is enough): half the loads of a test per viewport, on a console that
 * may be migrating in the admin journey next door.
 */
for (const role of ["admin", "reviewer"] as const) {
  test.describe(role, () => {
    test.use({ viewport: VIEWPORTS.desktop, storageState: storageStateFor(role) });

    test(
      role === "reviewer" ? "opens every page: each renders and fits, and none holds a mutating control" : "opens every page: each renders and fits",
      async ({ page }) => {
        test.setTimeout(240_000);
        for (const p of PAGES) {
          await test.step(p.path, async () => {
            await page.setViewportSize(VIEWPORTS.desktop);
            await page.goto(p.path);
            await expect(page.getByRole("heading", { level: 1 })).toHaveText(p.h1, { timeout: 20_000 });
            if (role === "reviewer") await expect(page.getByRole("main").getByRole("button", { name: MUTATING })).toHaveCount(0);
            for (const [vpName, viewport] of Object.entries(VIEWPORTS)) {
              await page.setViewportSize(viewport);
              await fits(page, p.path);
              await saveScreenshot(page, `page-${role}-${p.slug}-${vpName}`);
            }
          });
        }
      },
    );
  });
}
