import { expect, test } from "@playwright/test";
import { saveScreenshot, storageStateFor, VIEWPORTS } from "../support";

type Progress = { state: string; phase: string | null; capture: { enabled: boolean; resync: { owed: boolean; checked: number } } };

/**
 * Change capture off after a cleanup, then the re-sync a start owes after that gap, as the
 * Migration page shows them (MIGRATION-SPEC §4 "Capture is never silently off").
 */
test.describe.serial("capture gap on the Migration page", () => {
  test.use({ storageState: storageStateFor("admin") });

  test("capture off says changes are not recorded; the next start shows its re-sync", async ({ page }) => {
    test.setTimeout(180_000);
    const progress = async () => (await (await page.request.get("/api/prestamos/migration/progress")).json()) as Progress;
    expect((await page.request.post("/api/prestamos/migration/start", { data: { errorThresholdPct: 50 } })).status()).toBe(202);
    await expect.poll(async () => (await progress()).state, { timeout: 120_000 }).toBe("finished");
    expect((await page.request.post("/api/prestamos/migration/cleanup")).status()).toBe(200);

    for (const [name, viewport] of Object.entries(VIEWPORTS)) {
      await page.setViewportSize(viewport);
      await page.goto("/migration");
      await expect(page.getByTestId("capture-state")).toHaveText("Off");
      await expect(page.getByText("changes are not recorded")).toBeVisible();
      await saveScreenshot(page, `migration-capture-off-${name}`);
    }

    // Small batches with a pause between them: the re-sync lasts long enough to be looked at.
    expect((await page.request.post("/api/prestamos/migration/start", { data: { batchSize: 100, pauseMs: 3000, errorThresholdPct: 50 } })).status()).toBe(202);
    await expect.poll(async () => (await progress()).capture.resync.checked, { timeout: 30_000 }).toBeGreaterThan(0);
    for (const [name, viewport] of Object.entries(VIEWPORTS)) {
      await page.setViewportSize(viewport);
      await page.goto("/migration");
      await expect(page.getByTestId("capture-state")).toHaveText("On");
      await expect(page.getByTestId("capture-resync")).toContainText("checked");
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      expect(overflow).toBe(0);
      await saveScreenshot(page, `migration-capture-resync-${name}`);
    }
    expect((await progress()).phase).toBe("resync");
    expect((await page.request.post("/api/prestamos/migration/stop")).status()).toBe(200);
  });
});
