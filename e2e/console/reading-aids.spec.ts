import { expect as baseExpect } from "@playwright/test";
import { storageStateFor, test, VIEWPORTS } from "../support";

/** The console shares one embedded database with a migration run next door: UI answers may take seconds. */
const expect = baseExpect.configure({ timeout: 30_000 });

/** What helps a reader on the record pages: whole audit details, ISO dates, the failure codes explained, a CSV, an API reference to find one's way in. */
test.describe("reading aids", () => {
  test.use({ viewport: VIEWPORTS.laptop, storageState: storageStateFor("admin") });
  // The API reference alone is a long page, rendered beside a migration run on a loaded machine.
  test.describe.configure({ timeout: 90_000 });

  test("Audit: long details open in place; the date filters take ISO dates as typed", async ({ page, baseURL }) => {
    const name = `e2e-audit-details-${Date.now()}`;
    const created = await page.request.post("/api/tokens", { headers: { origin: new URL(baseURL!).origin }, data: { name, role: "reviewer" } });
    expect(created.status()).toBe(201);
    const { id } = (await created.json()) as { id: number };
    try {
      await page.goto(`/audit?target=token:${id}`);
      const row = page.getByRole("row").filter({ hasText: "token.create" });
      const details = row.locator("details");
      await expect(details.locator("pre")).toBeHidden();
      await details.locator("summary").click();
      await expect(details.locator("pre")).toBeVisible();
      await expect(details.locator("pre")).toContainText(`"name": "${name}"`);
      await expect(details.locator("pre")).toContainText('"expiresAt": null');

      const from = page.getByLabel("From");
      await expect(from).toHaveAttribute("placeholder", "YYYY-MM-DD");
      await expect(from).not.toHaveAttribute("type", "date");
      const today = new Date().toISOString().slice(0, 10);
      await from.fill(today);
      await page.getByLabel("To", { exact: true }).fill(today);
      await page.getByRole("button", { name: "Apply" }).click();
      await page.waitForURL(new RegExp(`from=${today}&to=${today}`));
      await expect(page.getByLabel("From")).toHaveValue(today);
      await expect(page.getByRole("row").filter({ hasText: "token.create" })).toBeVisible();
    } finally {
      expect((await page.request.delete(`/api/tokens/${id}`, { headers: { origin: new URL(baseURL!).origin } })).status()).toBe(200);
    }
  });

  test("Failures: every code explained on the page, and a CSV of what the page lists", async ({ page }) => {
    await page.goto("/failures");
    const codes = page.getByRole("table", { name: "Failure codes" });
    await expect(codes.getByRole("row")).toHaveCount(1 + 8);
    await expect(codes.getByRole("row").filter({ hasText: "UNKNOWN_MONEDA" })).toContainText("Use PEN or USD.");
    const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name: "Download CSV" }).click()]);
    expect(download.suggestedFilename()).toMatch(/^failures-.*\.csv$/);
    await page.goto("/failures?code=INVALID_PAGO");
    await expect(page.getByRole("link", { name: "Download CSV" })).toHaveAttribute("href", "/api/prestamos/migration/failures/export?code=INVALID_PAGO");
    const csv = await page.request.get("/api/prestamos/migration/failures/export?code=INVALID_PAGO");
    expect(csv.headers()["content-type"]).toMatch(/^text\/csv/);
    const lines = (await csv.text()).trimEnd().split("\r\n");
    expect(lines[0]).toBe("legacy_id,run_id,failed_at,code,field,pago_id,value");
    for (const line of lines.slice(1)) expect(line).toMatch(/^-?\d+,/);
  });

  test("API reference: a contents list that jumps to each endpoint, code shown as code, a copy button on each example", async ({ page, context }) => {
    await context.grantPermissions(["clipboard-read", "clipboard-write"]);
    await page.goto("/api-docs");
    const contents = page.getByRole("navigation", { name: "Contents" });
    const operations = page.getByTestId("api-operation");
    // Every endpoint, its section (seven) and the shared errors.
    await expect(contents.getByRole("link")).toHaveCount((await operations.count()) + 7 + 1);
    await contents.getByRole("link", { name: "Failures as CSV" }).click();
    await page.waitForURL(/#get-api-prestamos-migration-failures-export$/);
    const card = page.locator("#get-api-prestamos-migration-failures-export");
    await expect(card).toBeInViewport();
    await expect(card.locator("code").filter({ hasText: "legacy_id,run_id,failed_at,code,field,pago_id,value" })).toBeVisible();
    expect(await page.getByRole("main").innerText()).not.toContain("`");
    await card.getByRole("button", { name: "Copy" }).click();
    await expect(card.getByRole("button", { name: "Copied" })).toBeVisible();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(
      'curl -sS \\\n  -H "Authorization: Bearer $TOKEN" \\\n  "$BASE/api/prestamos/migration/failures/export"',
    );
  });
});
