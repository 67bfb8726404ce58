import { expect as baseExpect } from "@playwright/test";
import { expectEnvelope, saveScreenshot, storageStateFor, test, VIEWPORTS } from "../support";

/** The console shares one embedded database with a migration run next door: UI answers may take seconds. */
const expect = baseExpect.configure({ timeout: 20_000 });

interface Item {
  id: number;
  clienteNombre: string | null;
  clienteDocumento: string | null;
}
interface ListPage {
  items: Item[];
  total: number;
}

const fmt = (n: number) => n.toLocaleString("en-US");

/**
 * The prestamo explorer as a reviewer uses it: the total of the legacy table, a search by legacy
 * id, by part of the cliente's name and by documento, each with the total of what matches, which
 * is the figure GET /api/prestamos answers for the same search.
 */
test.use({ storageState: storageStateFor("reviewer"), viewport: VIEWPORTS.desktop });

test("searches the prestamos by id, name and documento and shows the total of the matches", async ({ page }) => {
  test.setTimeout(120_000);
  const api = async (qs: string) => {
    const res = await page.request.get(`/api/prestamos?${qs}`);
    expect(res.status()).toBe(200);
    return (await res.json()) as ListPage;
  };
  const search = async (q: string) => {
    await page.getByRole("searchbox", { name: "Search" }).fill(q);
    await page.getByRole("form", { name: "Search and filter prestamos" }).getByRole("button", { name: "Search" }).click();
    await page.waitForURL((u) => u.searchParams.get("q") === q);
  };
  const rowLink = (id: number) =>
    page.getByRole("table", { name: "Legacy prestamos with their migration state" }).getByRole("link", { name: String(id), exact: true });
  const total = page.getByTestId("prestamos-total");

  const all = await api("limit=50");
  expect(all.total).toBeGreaterThan(0);
  await page.goto("/prestamos");
  await expect(total).toContainText(`${fmt(all.total)} prestamos in the legacy table`);
  await expect(page.getByRole("navigation", { name: "Pages" })).toContainText(`of ${fmt(all.total)}`);

  await test.step("by legacy id", async () => {
    const target = all.items[Math.min(3, all.items.length - 1)];
    await search(String(target.id));
    await expect(rowLink(target.id)).toBeVisible();
    const expected = await api(`q=${target.id}`);
    await expect(total).toContainText(`${fmt(expected.total)} ${expected.total === 1 ? "prestamo" : "prestamos"} match`);
  });

  await test.step("by part of the cliente's name, case-insensitive", async () => {
    const named = all.items.find((i) => /[A-Za-z]{4,}/.test(i.clienteNombre ?? ""))!;
    const word = /[A-Za-z]{4,}/.exec(named.clienteNombre!)![0];
    const q = word.slice(0, 4).toUpperCase();
    await search(q);
    await expect(rowLink(named.id)).toBeVisible();
    const expected = await api(`q=${encodeURIComponent(q)}`);
    expect(expected.total).toBeLessThanOrEqual(all.total);
    await expect(total).toContainText(`${fmt(expected.total)} ${expected.total === 1 ? "prestamo" : "prestamos"} match`);
    for (const [name, viewport] of Object.entries(VIEWPORTS)) {
      await page.setViewportSize(viewport);
      await saveScreenshot(page, `explorer-search-${name}`);
    }
    await page.setViewportSize(VIEWPORTS.desktop);
  });

  await test.step("by documento", async () => {
    const withDoc = all.items.find((i) => (i.clienteDocumento ?? "").trim().length >= 4)!;
    const q = withDoc.clienteDocumento!.trim();
    await search(q);
    await expect(rowLink(withDoc.id)).toBeVisible();
    const expected = await api(`q=${encodeURIComponent(q)}`);
    await expect(total).toContainText(`${fmt(expected.total)} ${expected.total === 1 ? "prestamo" : "prestamos"} match`);
  });

  await test.step("a search nothing matches says so, with a total of 0", async () => {
    await search("zz-no-cliente-has-this-zz");
    await expect(total).toContainText("0 prestamos match");
    await expect(page.getByText("No prestamo matches")).toBeVisible();
  });

  await test.step("a bad value in the address is dropped on the page and a 400 from the API", async () => {
    await page.goto("/prestamos?state=bogus&q=a");
    await expect(page.getByText("Ignored an invalid state in the address.")).toBeVisible();
    await expectEnvelope(await page.request.get("/api/prestamos?state=bogus"), 400, "VALIDATION_ERROR");
    await expectEnvelope(await page.request.get("/api/prestamos?limit=0"), 400, "VALIDATION_ERROR");
  });
});
