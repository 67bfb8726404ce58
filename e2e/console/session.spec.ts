import type { Page } from "@playwright/test";
import { DEMO_USERS } from "../../lib/auth/demo";
import { expect, expectFailedResponse, storageStateFor, test } from "../support";

const ALL = ["Overview", "Verify", "Prestamos", "Consistency", "Failures", "Metrics", "Audit"];
const ADMIN_ONLY = ["Users", "Tokens", "Test data"];
const navLinks = (page: Page) => page.getByRole("navigation", { name: "Console" }).getByRole("link");
/** The nav's labels; pages added later may add links, so tests check for these, not an exact list. */
const navLabels = async (page: Page) => (await navLinks(page).allTextContents()).map((t) => t.trim());

test.describe("as admin", () => {
  test.use({ storageState: storageStateFor("admin") });

  test("the shell shows every section, the e-mail and the role", async ({ page }) => {
    await page.goto("/");
    await expect(navLinks(page).first()).toHaveText("Overview");
    const labels = await navLabels(page);
    for (const label of [...ALL, ...ADMIN_ONLY]) expect(labels).toContain(label);
    await expect(page.getByTestId("signed-in-email")).toHaveText("admin@demo.local");
    await expect(page.getByTestId("signed-in-role")).toHaveText("admin");
    await expect(navLinks(page).filter({ hasText: "Overview" })).toHaveAttribute("aria-current", "page");
    await expect(page.getByRole("heading", { level: 1, name: "Overview" })).toBeVisible();
  });
});

test.describe("as reviewer", () => {
  test.use({ storageState: storageStateFor("reviewer") });

  test("the shell hides the admin sections", async ({ page }) => {
    await page.goto("/");
    await expect(navLinks(page).first()).toHaveText("Overview");
    const labels = await navLabels(page);
    for (const label of ALL) expect(labels).toContain(label);
    for (const label of ADMIN_ONLY) expect(labels).not.toContain(label);
    for (const label of ADMIN_ONLY) await expect(page.getByRole("link", { name: label, exact: true })).toHaveCount(0);
    await expect(page.getByTestId("signed-in-email")).toHaveText("reviewer@demo.local");
    await expect(page.getByTestId("signed-in-role")).toHaveText("reviewer");
  });
});

test.describe("signing in and out", () => {
  async function fillAndSubmit(page: Page, email: string, password: string) {
    await page.goto("/signin");
    await page.getByLabel(/^e-?mail$/i).fill(email);
    await page.getByLabel("Password").fill(password);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
  }

  test("a wrong password keeps you on the sign-in page with a message, and no session", async ({ page }) => {
    expectFailedResponse(page, { method: "POST", path: /^\/api\/auth\/callback\/credentials/, status: 401 });
    await fillAndSubmit(page, "admin@demo.local", "not-the-password");
    await expect(page.getByTestId("signin-error")).toBeVisible();
    expect(new URL(page.url()).pathname).toBe("/signin");
    await page.goto("/");
    await page.waitForURL((url) => url.pathname === "/signin");
  });

  test("sign out ends the session", async ({ page }) => {
    const reviewer = DEMO_USERS.find((u) => u.role === "reviewer")!;
    await fillAndSubmit(page, reviewer.email, reviewer.password);
    await page.waitForURL((url) => url.pathname === "/");
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL((url) => url.pathname === "/signin");
    await page.goto("/");
    await page.waitForURL((url) => url.pathname === "/signin");
    const res = await page.request.get("/api/prestamos/migration/progress");
    expect(res.status()).toBe(401);
  });
});
