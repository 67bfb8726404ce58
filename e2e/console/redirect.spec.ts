import { expect, test } from "../support";

// Only the overview exists so far; add each console page here as it lands.
test.describe("pages need a session", () => {
  for (const path of ["/"]) {
    test(`${path} redirects to the sign-in page with the way back`, async ({ page }) => {
      await page.goto(path);
      await page.waitForURL((url) => url.pathname === "/signin");
      expect(new URL(page.url()).searchParams.get("callbackUrl")).toBe(path);
      await expect(page.getByRole("button", { name: "Sign in", exact: true })).toBeVisible();
    });
  }
});
