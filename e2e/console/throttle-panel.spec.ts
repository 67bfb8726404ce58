import { expect, saveScreenshot, storageStateFor, test, VIEWPORTS } from "../support";

/**
 * The throttle panel of the Migration page (MIGRATION-SPEC §8). The e2e server runs on the
 * embedded database, which has no standbys, no other sessions and no WAL archive: the panel must
 * say "not applicable" in words, never a green "not throttled", and the API must agree.
 */
for (const [vpName, viewport] of Object.entries(VIEWPORTS)) {
  for (const role of ["admin", "reviewer"] as const) {
    test.describe(`${role} at ${viewport.width}`, () => {
      test.use({ viewport, storageState: storageStateFor(role) });

      test("the throttle panel says the throttle does not apply to the embedded database", async ({ page }) => {
        await page.goto("/migration");
        const panel = page.locator("section", { has: page.getByRole("heading", { name: "Throttle", exact: true }) });
        await expect(panel).toBeVisible();
        // Its first answer comes from the API after hydration: slow on a loaded machine.
        await expect(panel.getByTestId("throttle-summary")).toContainText("Not applicable on the embedded database", { timeout: 60_000 });
        await expect(panel.getByText("Not applicable", { exact: true })).toBeVisible();
        await expect(panel.getByText("Not throttled")).toHaveCount(0);
        const api = await page.request.get("/api/prestamos/migration/throttle");
        expect(api.status()).toBe(200);
        const body = (await api.json()) as { applicable: boolean; active: boolean; signals: { state: string }[] };
        expect(body).toMatchObject({ applicable: false, active: false });
        expect(new Set(body.signals.map((s) => s.state))).toEqual(new Set(["not_applicable"]));
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        expect(overflow).toBe(0);
        await panel.scrollIntoViewIfNeeded();
        await saveScreenshot(page, `migration-throttle-${role}-${vpName}`);
      });
    });
  }
}

test.describe("reviewer", () => {
  test.use({ storageState: storageStateFor("reviewer") });
  test("cannot change the levels through the API (403, JSON)", async ({ page }) => {
    const res = await page.request.patch("/api/prestamos/migration/throttle", { data: { lock_waits: { threshold: 1 } } });
    expect(res.status()).toBe(403);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("FORBIDDEN");
  });
});
