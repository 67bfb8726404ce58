import { expect, storageStateFor, test } from "../support";

test.use({ storageState: storageStateFor("reviewer") });

test("every page declares the console's icon, and both icons are served", async ({ page }) => {
  await page.goto("/");
  const hrefs = await page.locator('head link[rel="icon"]').evaluateAll((links) => links.map((l) => (l as HTMLLinkElement).getAttribute("href")));
  expect(hrefs).toEqual(expect.arrayContaining(["/icon.svg", "/favicon.ico"]));
  for (const [path, type] of [
    ["/icon.svg", /^image\/svg\+xml/],
    ["/favicon.ico", /^image\/(x-icon|vnd\.microsoft\.icon)/],
  ] as const) {
    const res = await page.request.get(path);
    expect(res.status(), path).toBe(200);
    expect(res.headers()["content-type"], path).toMatch(type);
  }
});

// The page fixture itself: a request of the page that 404s fails the test (expected to fail here).
test("a page request answering 404 fails the test", async ({ page }) => {
  test.fail();
  await page.goto("/");
  await page.evaluate(() => fetch("/no-such-file.png").then((r) => r.status));
});
