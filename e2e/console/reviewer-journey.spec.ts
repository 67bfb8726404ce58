import { expect as baseExpect } from "@playwright/test";
import { DEMO_USERS } from "../../lib/auth/demo";
import { expectEnvelope, saveScreenshot, test, VIEWPORTS } from "../support";

/** The console shares one embedded database with a migration run next door: UI answers may take seconds. */
const expect = baseExpect.configure({ timeout: 30_000 });

const reviewer = DEMO_USERS.find((u) => u.role === "reviewer")!;

/** What a reviewer must never see on a page: the buttons that change something. */
const STEERING =
  /^(Start run|Start anyway|Stop run|Pause run|Resume run|Apply settings|Roll back…|Roll back all|Yes, roll back|Migrate|Re-sync|End change capture…)$/;

test.describe("reviewer", () => {
  test.use({ viewport: VIEWPORTS.desktop });

  test("signs in, reads every page and a prestamo diff, finds no control that changes anything", async ({ page }) => {
    test.setTimeout(90_000);
    await page.goto("/signin");
    await page.getByLabel(/^e-?mail$/i).fill(reviewer.email);
    await page.getByLabel("Password").fill(reviewer.password);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await page.waitForURL((url) => url.pathname === "/");
    await expect(page.getByTestId("signed-in-role")).toHaveText("reviewer");

    // Every page in the nav is opened and checked for mutating controls by pages.spec.ts (reviewer);
    // here: the nav offers the reading pages, and the admin pages opened by URL explain themselves.
    const nav = page.getByRole("navigation", { name: "Console" }).getByRole("link");
    const hrefs = await nav.evaluateAll((as) => as.map((a) => a.getAttribute("href")));
    expect(hrefs).toEqual(expect.arrayContaining(["/", "/migration", "/verify", "/prestamos", "/consistency", "/failures", "/metrics", "/audit"]));
    expect(hrefs).not.toContain("/tokens");

    await test.step("admin pages say so instead of offering controls", async () => {
      await page.goto("/tokens");
      await expect(page.getByRole("heading", { name: "Admins only" })).toBeVisible();
      await page.goto("/users");
      await expect(page.getByRole("heading", { name: "Admins only" })).toBeVisible();
      await expect(page.getByText("admin@demo.local")).toHaveCount(0);
      expect((await page.request.get("/api/users")).status()).toBe(403);
      await page.goto("/test-data");
      await expect(page.getByRole("button", { name: /^(Create test data|Remove all test data)$/ })).toHaveCount(0);
      await expect(page.getByText("You are signed in as a reviewer")).toBeVisible();
      await page.goto("/migration");
      await expect(page.getByText("You are signed in as a reviewer")).toBeVisible();
      await expect(page.getByRole("main").getByRole("button", { name: STEERING })).toHaveCount(0);
    });

    await test.step("a prestamo's diff, read only", async () => {
      await page.goto("/prestamos");
      await page
        .getByRole("main")
        .getByRole("link", { name: /^\d[\d,]*$/ })
        .first()
        .click();
      await page.waitForURL(/\/prestamos\/\d+$/);
      await expect(page.getByRole("table", { name: "Field-level diff of the prestamo" })).toBeVisible();
      await expect(page.getByRole("button", { name: STEERING })).toHaveCount(0);
      await expect(page.getByRole("region", { name: "Actions" })).toHaveCount(0);
      await saveScreenshot(page, "journey-reviewer-prestamo");
    });

    await test.step("mutating calls with the reviewer's session are refused (403)", async () => {
      const calls = [
        page.request.post("/api/prestamos/migration/start", { data: { errorThresholdPct: 10 } }),
        page.request.post("/api/prestamos/migration/stop"),
        page.request.post("/api/prestamos/migration/pause"),
        page.request.patch("/api/prestamos/migration/settings", { data: { workers: 1 } }),
        page.request.post("/api/prestamos/migration/rollback/1"),
        page.request.post("/api/prestamos/migration/single/1"),
        page.request.post("/api/tokens", { data: { name: "nope", role: "admin" } }),
        page.request.post("/api/users", { data: { email: "x@example.test", role: "admin", password: "a-long-enough-password" } }),
        page.request.delete("/api/prestamos/test/data"),
      ];
      for (const res of await Promise.all(calls)) await expectEnvelope(res, 403, "FORBIDDEN");
      // Reading is allowed with the same session.
      expect((await page.request.get("/api/prestamos/migration/progress")).status()).toBe(200);
    });
  });
});
