import { saveScreenshot, storageStateFor, test, expect, VIEWPORTS } from "../support";

/**
 * The diff shows the white space of a legacy value as stored with glyphs drawn by CSS: the DOM,
 * a copy and a screen reader get the real characters. What the rules made of it (expected, in the
 * new table) is plain text: copying "Juan Pérez" from the new-table column gives "Juan Pérez".
 */
test.use({ storageState: storageStateFor("admin") });

interface Diff {
  state: string;
  failingNow: unknown[];
  lines: { column: string; legacy: { field: string; value: string | null }[]; expected: unknown; actual: unknown }[];
}

test("a legacy value's white space is drawn, never put in the text; the cleaned values are plain text", async ({ page }) => {
  // A demo prestamo that passes the rules and whose stored name has white space to show.
  let found: { id: number; raw: string; diff: Diff } | null = null;
  for (let id = 1; id <= 120 && !found; id++) {
    const res = await page.request.get(`/api/prestamos/migration/consistency/${id}`);
    if (res.status() !== 200) continue;
    const diff = (await res.json()) as Diff;
    const raw = diff.lines.find((l) => l.column === "cliente_nombre")?.legacy[0]?.value;
    if (diff.failingNow.length === 0 && raw && /^\s|\s$|\s\s|[\t\n]/.test(raw)) found = { id, raw, diff };
  }
  expect(found, "a demo prestamo with white space in its stored name").not.toBeNull();
  const { id, raw } = found!;
  if (found!.diff.state !== "migrated") expect((await page.request.post(`/api/prestamos/migration/single/${id}`)).status()).toBe(200);
  const diff = (await (await page.request.get(`/api/prestamos/migration/consistency/${id}`)).json()) as Diff;
  const cleaned = String(diff.lines.find((l) => l.column === "cliente_nombre")!.actual);
  expect(cleaned).not.toBe(raw);

  for (const [size, viewport] of Object.entries(VIEWPORTS)) {
    await page.setViewportSize(viewport);
    await page.goto(`/prestamos/${id}`);
    const row = page.getByRole("table", { name: "Field-level diff of the prestamo" }).getByRole("row").filter({ hasText: "cliente_nombre" });
    const [legacyCell, expectedCell, newCell] = [row.getByRole("cell").nth(1), row.getByRole("cell").nth(2), row.getByRole("cell").nth(3)];
    const stored = legacyCell.getByTestId("visible-text");
    await expect(stored).toBeVisible();

    // The DOM holds the value as stored, glyphs only as generated content.
    expect(await stored.evaluate((el) => el.textContent)).toBe(raw);
    const glyph = await stored
      .locator(".ws")
      .first()
      .evaluate((el) => getComputedStyle(el, "::before").content);
    expect(glyph).not.toBe("none");
    // What a copy of the selection gives: the real characters.
    const selected = await stored.evaluate((el) => {
      const range = document.createRange();
      range.selectNodeContents(el);
      const sel = window.getSelection()!;
      sel.removeAllRanges();
      sel.addRange(range);
      return sel.toString();
    });
    // No glyph in what is copied, and every line of the value with its spaces and tabs. Chrome
    // serialises a selected CR as a space and drops a final newline (the DOM holds both, checked above).
    expect(selected).not.toMatch(/[·→↵°]/);
    for (const line of raw.split(/\r\n|\r|\n/).filter(Boolean)) expect(selected).toContain(line);

    // Expected and new-table values: plain text, the cleaned name and nothing else.
    await expect(newCell).toHaveText(cleaned);
    await expect(expectedCell).toHaveText(cleaned);
    expect(await newCell.evaluate((el) => el.querySelectorAll(".ws").length)).toBe(0);
    const copiedNew = await newCell.evaluate((el) => {
      const range = document.createRange();
      range.selectNodeContents(el);
      const sel = window.getSelection()!;
      sel.removeAllRanges();
      sel.addRange(range);
      return sel.toString().trim();
    });
    expect(copiedNew).toBe(cleaned);
    expect(copiedNew).not.toContain("·");
    await saveScreenshot(page, `prestamo-diff-whitespace-${size}`);
  }
});
