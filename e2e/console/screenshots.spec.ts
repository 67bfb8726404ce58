import { expect, saveScreenshot, storageStateFor, test, VIEWPORTS } from "../support";

/** Pictures of the shell to look at (developers' guide): desktop and laptop widths, per role. */
for (const [vpName, viewport] of Object.entries(VIEWPORTS)) {
  test.describe(`${vpName} ${viewport.width}×${viewport.height}`, () => {
    test.use({ viewport });

    test("sign-in page", async ({ page }) => {
      await page.goto("/signin");
      await expect(page.getByRole("button", { name: "Sign in", exact: true })).toBeVisible();
      await saveScreenshot(page, `signin-${vpName}`);
    });

    for (const role of ["admin", "reviewer"] as const) {
      test.describe(role, () => {
        test.use({ storageState: storageStateFor(role) });

        test("overview", async ({ page }) => {
          await page.goto("/");
          await expect(page.getByRole("heading", { level: 1, name: "Overview" })).toBeVisible();
          await expect(page.getByText("Prestamos", { exact: true }).first()).toBeVisible();
          // The sidebar and the content sit side by side, nothing overflows horizontally.
          const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
          expect(overflow).toBe(0);
          // Every navigation link fits above the user footer, none clipped by the sidebar's scroll area.
          const links = page.getByRole("navigation", { name: "Console" }).getByRole("link");
          await expect(links.last()).toBeInViewport({ ratio: 1 });
          await saveScreenshot(page, `overview-${role}-${vpName}`);
        });
      });
    }
  });
}
