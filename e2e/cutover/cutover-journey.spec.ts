import { expect as baseExpect, type Page } from "@playwright/test";
import { expectFailedResponse, saveScreenshot, storageStateFor, test, VIEWPORTS } from "../support";

/** One embedded database and a migration beside it: answers may take seconds. */
const expect = baseExpect.configure({ timeout: 60_000 });

/**
 * A new user's cut-over of the embedded demo, and the way back: clean data migrated through the
 * API, then on the Cut-over page the gates, the typed confirmation, the switch's timings, a write
 * through the legacy names seen by the page, the revert with its own confirmation; a reviewer sees
 * it all and has no controls.
 */
test.describe.configure({ mode: "serial" });
test.use({ storageState: storageStateFor("admin"), viewport: VIEWPORTS.desktop });

async function shoot(page: Page, name: string) {
  for (const [label, size] of Object.entries(VIEWPORTS)) {
    await page.setViewportSize(size);
    await saveScreenshot(page, `cutover-${name}-${label}`);
  }
  await page.setViewportSize(VIEWPORTS.desktop);
}

test("admin cuts the demo over and reverts it, a reviewer only looks", async ({ page, browser }) => {
  test.setTimeout(600_000);

  await test.step("the gates refuse while the demo has invalid prestamos", async () => {
    await page.goto("/cutover");
    await expect(page.getByRole("heading", { level: 1, name: "Cut-over" })).toBeVisible();
    await expect(page.getByTestId("phase")).toHaveAttribute("data-phase", "legacy");
    await expect(page.getByTestId("gates-summary")).toContainText("Cut-over refused");
    await expect(page.getByTestId("gate-all_migrated")).toHaveAttribute("data-ok", "false");
    // The confirmation stays disabled until the phrase is typed exactly.
    await page.getByTestId("cutover-input").fill("cut over");
    await expect(page.getByTestId("cutover-submit")).toBeDisabled();
    await page.getByTestId("cutover-input").fill("CUT OVER");
    // The refusal is the point of this step: its 409 is expected, not a failed request of the page.
    expectFailedResponse(page, { method: "POST", path: /^\/api\/prestamos\/migration\/cutover$/, status: 409 });
    await page.getByTestId("cutover-submit").click();
    await expect(page.getByTestId("cutover-error")).toContainText("Cut-over refused");
    await shoot(page, "01-refused");
  });

  await test.step("clean data, migrated, consistency computed (through the API)", async () => {
    expect((await page.request.delete("/api/prestamos/test/data")).ok()).toBe(true);
    expect((await page.request.post("/api/prestamos/test/create-data", { data: { count: 500, dirtyPct: 0, seed: 5 } })).status()).toBe(201);
    const started = await page.request.post("/api/prestamos/migration/start", { data: { confirmPreflight: "START ANYWAY" } });
    expect(started.status()).toBe(202);
    await expect.poll(async () => (await (await page.request.get("/api/prestamos/migration/progress")).json()).state, { timeout: 120_000 }).toBe("finished");
    await expect
      .poll(async () => (await (await page.request.get("/api/prestamos/migration/progress")).json()).capture?.backlog ?? 0, { timeout: 60_000 })
      .toBe(0);
    expect((await page.request.get("/api/prestamos/migration/consistency?limit=1")).ok()).toBe(true);
  });

  await test.step("every gate passes and the cut-over shows its timings", async () => {
    await page.goto("/cutover");
    await expect(page.getByTestId("gates-summary")).toHaveText("Every gate passes.");
    await shoot(page, "02-ready");
    await page.getByTestId("cutover-input").fill("CUT OVER");
    await page.getByTestId("cutover-submit").click();
    await expect(page.getByTestId("switch-done")).toContainText("Cut over: writes held");
    await expect(page.getByTestId("phase")).toHaveAttribute("data-phase", "cut_over");
    await expect(page.getByTestId("switches")).toContainText("Cut-over");
    await expect(page.getByTestId("dump-command")).toContainText("pg_dump");
    await expect(page.getByTestId("reverse")).toContainText("the archive matches the new tables");
    await shoot(page, "03-cut-over");
  });

  await test.step("a reviewer sees the phase and the switches, and no control", async () => {
    const ctx = await browser.newContext({ storageState: storageStateFor("reviewer"), viewport: VIEWPORTS.desktop });
    const rp = await ctx.newPage();
    await rp.goto("/cutover");
    await expect(rp.getByTestId("phase")).toHaveAttribute("data-phase", "cut_over");
    await expect(rp.getByTestId("switches")).toContainText("Cut-over");
    await expect(rp.getByTestId("revert")).toHaveCount(0);
    await expect(rp.getByTestId("finalize")).toHaveCount(0);
    const refused = await rp.request.post("/api/prestamos/migration/revert", { data: { confirm: "REVERT" } });
    expect(refused.status()).toBe(403);
    await shoot(rp, "04-reviewer");
    await ctx.close();
  });

  await test.step("revert with its own confirmation: back to the legacy phase", async () => {
    await page.getByTestId("revert-input").fill("REVERT");
    await page.getByTestId("revert-submit").click();
    await expect(page.getByTestId("switch-done")).toContainText("Reverted");
    await expect(page.getByTestId("phase")).toHaveAttribute("data-phase", "legacy");
    await expect(page.getByTestId("switches")).toContainText("Revert");
    await shoot(page, "05-reverted");
  });
});
