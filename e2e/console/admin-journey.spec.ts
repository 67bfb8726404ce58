import { expect as baseExpect } from "@playwright/test";
import { expectFailedResponse, saveScreenshot, storageStateFor, test, VIEWPORTS } from "../support";

/** The console shares one embedded database with a migration run next door: UI answers may take seconds. */
const expect = baseExpect.configure({ timeout: 30_000 });

/**
 * An admin's migration of the embedded demo (3,000 dirty prestamos, 0.8 % invalid), end to end
 * through the console: Verify → start (with a 10 % threshold so it finishes) → pause, tune,
 * resume → finished → a failed prestamo → a migrated one's diff, rolled back and migrated again →
 * Consistency 100 % → Metrics charts → an API token used over HTTP → pre-flight, checklist, report.
 * One serial story: each step depends on the state the previous one left.
 */
test.describe.configure({ mode: "serial" });
test.use({ storageState: storageStateFor("admin"), viewport: VIEWPORTS.desktop });

test("admin migrates the demo data and inspects the result", async ({ page, playwright, baseURL }) => {
  // Two runs (one halting on purpose) on a shared 2-core machine: measured 5.2 min in all.
  test.setTimeout(480_000);

  await test.step("Verify shows the legacy data before the run", async () => {
    await page.goto("/verify");
    await expect(page.getByRole("heading", { level: 1, name: "Verify" })).toBeVisible();
    // The verify report is a background job: ask for one when none is on its way, then wait for it.
    const ask = page.getByRole("button", { name: "Check again" });
    if (await ask.isEnabled()) await ask.click();
    await expect(page.getByRole("link", { name: /^List the \d[\d,]*$/ }).first()).toBeVisible({ timeout: 180_000 });
    await saveScreenshot(page, "journey-admin-01-verify");
  });

  await test.step("a predicted failure, before anything ran", async () => {
    await page
      .getByRole("link", { name: /^List the \d[\d,]*$/ })
      .first()
      .click();
    await page.waitForURL(/\/failures\/predicted\?code=/);
    await expect(page.getByRole("heading", { level: 1, name: "Predicted failures" })).toBeVisible();
    const first = page.getByRole("main").getByRole("table", { name: "Predicted failures" }).getByRole("link").first();
    const id = (await first.textContent())!.trim();
    await saveScreenshot(page, "journey-admin-01b-predicted-failures");
    await first.click();
    await page.waitForURL(`**/prestamos/${id}`);
    await expect(page.getByRole("heading", { level: 1 })).toContainText(id);
    await expect(page.getByRole("heading", { name: "Rules failing now" })).toBeVisible();
  });

  let haltedRunId = 0;
  let finishedRunId = 0;
  await test.step("a start predicted to halt asks for a confirmation, halts, and its outcome says what next", async () => {
    // Another spec may be driving a run on the same server: start from a quiet console.
    await expect
      .poll(
        async () => ((await (await page.request.get("/api/prestamos/migration/progress")).json()) as { run: { active: boolean } | null }).run?.active ?? false,
        { timeout: 180_000 },
      )
      .toBe(false);
    await page.goto("/migration");
    const summary = page.getByTestId("start-summary");
    // The demo is 0.8 % invalid: a 0.5 % threshold halts. Retry, so failed ones count too whatever ran before.
    await page.getByLabel("Error threshold (%)").fill("0.5");
    await page.getByRole("checkbox", { name: /Retry/ }).check();
    await expect(summary.getByTestId("summary-take")).toContainText(/Takes [\d,]+ prestamos/);
    const prediction = summary.getByTestId("summary-prediction");
    const computeNow = prediction.getByRole("button", { name: "Run the dry run now" });
    if (await computeNow.isVisible()) await computeNow.click();
    // A background job: the summary follows it and shows the prediction when it ends (the runners may rest after the job before).
    await expect(prediction).toContainText("Predicted to halt", { timeout: 60_000 });
    await expect(prediction).toContainText(/threshold of 0\.50 %/);
    await page.getByRole("button", { name: "Start run" }).click();
    const confirm = page.getByTestId("halt-confirmation");
    await expect(confirm).toContainText("This run is predicted to halt.");
    await saveScreenshot(page, "journey-admin-01c-halt-confirmation");
    let sent: unknown = null;
    page.on("request", (r) => {
      if (r.url().endsWith("/api/prestamos/migration/start") && r.method() === "POST") sent = r.postDataJSON();
    });
    await confirm.getByRole("button", { name: "Start anyway" }).click();
    await expect(page.getByTestId("run-state")).toHaveText("Halted", { timeout: 120_000 });
    expect(sent).toEqual({ errorThresholdPct: 0.5, retry: true }); // only what was filled in: batching and workers stay the engine's defaults
    const outcome = page.getByTestId("outcome-panel");
    await expect(outcome).toContainText(/halted itself/);
    await expect(outcome.getByTestId("outcome-text")).toContainText(/% of [\d,]+ prestamos it processed failed/);
    await expect(outcome.getByRole("link", { name: /^Review the [\d,]+ failures$/ })).toHaveAttribute("href", "/failures");
    await expect(page.getByText(/Run #\d+ started\./)).toHaveCount(0);
    haltedRunId = Number((await outcome.getByRole("link", { name: /in the history$/ }).getAttribute("href"))!.split("/").pop());
    await expect(page.getByTestId("run-target-batch-ms")).toHaveText("adaptive, 500 ms");
    await expect(page.getByTestId("run-workers")).toHaveText("1");
    await saveScreenshot(page, "journey-admin-01d-halted-outcome");
    await outcome.getByRole("button", { name: /^Raise the threshold to [\d.]+ % and go on…$/ }).click();
    await expect(page.getByLabel("Error threshold (%)")).toHaveValue("1");
    await page.getByRole("checkbox", { name: /Retry/ }).uncheck();
    await expect(page.getByTestId("summary-prediction")).toContainText("Within the threshold");
  });

  await test.step("Start refused by pre-flight, then START ANYWAY", async () => {
    await page.goto("/migration");
    await expect(page.getByTestId("run-state")).toHaveText("Halted");
    await page.getByLabel("Batch size").fill("300");
    await page.getByLabel("Error threshold (%)").fill("10");
    await page.getByTestId("start-advanced").locator("summary").click();
    await page.getByTestId("start-advanced").getByLabel("Pause (ms)").fill("400");
    // The demo passes pre-flight, so its 409 is played once by the browser's network layer: the
    // page must list the failing items and resend with the typed confirmation.
    expectFailedResponse(page, { method: "POST", path: /^\/api\/prestamos\/migration\/start$/, status: 409 });
    let startBodies: unknown[] = [];
    await page.route("**/api/prestamos/migration/start", async (route) => {
      startBodies.push(route.request().postDataJSON());
      if (startBodies.length > 1) return route.continue();
      await route.fulfill({
        status: 409,
        contentType: "application/json",
        body: JSON.stringify({
          error: {
            code: "CONFLICT",
            message: 'Pre-flight fails (db.space): fix it, or send confirmPreflight "START ANYWAY" to start anyway',
            details: { failing: [{ id: "db.space", label: "Free disk space", figure: "2 GB free, 3 GB needed" }], confirmPreflight: "START ANYWAY" },
            requestId: "e2e-played",
          },
        }),
      });
    });
    await page.getByRole("button", { name: "Start run" }).click();
    const refusal = page.getByTestId("preflight-refusal");
    await expect(refusal).toContainText("Free disk space");
    await expect(refusal).toContainText("2 GB free, 3 GB needed");
    await expect(refusal.getByRole("link", { name: "Pre-flight" })).toHaveAttribute("href", "/preflight");
    const anyway = refusal.getByRole("button", { name: "Start anyway" });
    await expect(anyway).toBeDisabled();
    await refusal.getByRole("textbox").fill("START ANYWAY");
    await saveScreenshot(page, "journey-admin-02-preflight-refusal");
    await anyway.click();
    const startedLine = page.getByText(/Run #\d+ started\./);
    await expect(startedLine).toBeVisible();
    finishedRunId = Number(/Run #(\d+)/.exec((await startedLine.textContent()) ?? "")?.[1]);
    expect(startBodies[0]).toEqual({ batchSize: 300, errorThresholdPct: 10, pauseMs: 400 });
    expect(startBodies[1]).toEqual({ batchSize: 300, errorThresholdPct: 10, pauseMs: 400, confirmPreflight: "START ANYWAY" });
    startBodies = [];
    await page.unroute("**/api/prestamos/migration/start");
  });

  await test.step("Pause, tune and resume the active run", async () => {
    await page.getByRole("button", { name: "Pause run" }).click();
    await expect(page.getByTestId("run-state")).toHaveText("Paused", { timeout: 30_000 });
    await page.getByRole("form", { name: "Tune the run" }).getByLabel("Workers").fill("1");
    await page.getByRole("form", { name: "Tune the run" }).getByLabel("Pause (ms)").fill("50");
    await page.getByRole("button", { name: "Apply settings" }).click();
    await expect(page.getByText(/: target \d+ ms, 1 worker, pause 50 ms\./)).toBeVisible();
    await expect(page.getByTestId("run-workers")).toHaveText("1");
    await expect(page.getByTestId("run-pause-ms")).toHaveText("50 ms");
    await saveScreenshot(page, "journey-admin-03-paused-tuned");
    await page.getByRole("button", { name: "Resume run" }).click();
    await expect(page.getByTestId("run-state")).toHaveText(/Running|Finished/, { timeout: 30_000 });
  });

  await test.step("progress reaches the end", async () => {
    await expect(page.getByTestId("run-state")).toHaveText("Finished", { timeout: 120_000 });
    await expect(page.getByTestId("total-pending")).toHaveText("0");
    await expect(page.getByTestId("progress-percent")).toHaveText("100.00 %");
    await saveScreenshot(page, "journey-admin-04-finished");
  });

  await test.step("a failed prestamo from Failures", async () => {
    await page.goto("/failures");
    await page
      .getByRole("main")
      .getByRole("link", { name: /^\d[\d,]*$/ })
      .first()
      .click();
    await page.waitForURL(/\/prestamos\/\d+$/);
    await expect(page.getByRole("heading", { level: 1 })).toContainText("Failed");
    await expect(page.getByRole("heading", { name: "Rules failing now" })).toBeVisible();
    // The fields its rules refuse are marked in the field-by-field table (or in a pago's, opened for it).
    await expect(page.getByRole("table").getByText("fails a rule").first()).toBeVisible();
    // Nothing of it is in the new tables: nothing to roll back, and migrating would only fail again.
    const actions = page.getByRole("region", { name: "Actions" });
    await expect(actions.getByRole("button", { name: "Roll back…" })).toBeDisabled();
    await expect(actions.getByRole("button", { name: "Migrate", exact: true })).toBeDisabled();
    await expect(actions).toContainText("migrate would mark it failed again");
    await saveScreenshot(page, "journey-admin-05-failed-prestamo");
  });

  let migratedId = 0;
  await test.step("a migrated prestamo from the explorer: diff, roll back, migrate again", async () => {
    await page.goto("/prestamos?state=migrated");
    const link = page
      .getByRole("main")
      .getByRole("link", { name: /^\d[\d,]*$/ })
      .first();
    migratedId = Number((await link.textContent())?.replace(/\D/g, ""));
    await link.click();
    await page.waitForURL(`**/prestamos/${migratedId}`);
    await expect(page.getByRole("heading", { level: 1 })).toContainText("Migrated");
    await expect(page.getByText("Everything agrees")).toBeVisible();
    await expect(page.getByRole("table", { name: "Field-level diff of the prestamo" })).toBeVisible();
    // The button and its help use the same word.
    await expect(page.getByRole("button", { name: "Re-sync", exact: true })).toBeEnabled();
    await expect(page.getByRole("region", { name: "Actions" })).toContainText("Re-sync writes it from its legacy rows now.");
    await saveScreenshot(page, "journey-admin-06-diff");

    await page.getByRole("button", { name: "Roll back…" }).click();
    await page.getByRole("button", { name: "Yes, roll back" }).click();
    await expect(page.getByText(/Rolled back: \d+ pagos removed/)).toBeVisible();
    await expect(page.getByRole("heading", { level: 1 })).toContainText("Rolled back");

    await page.getByRole("button", { name: "Migrate", exact: true }).click();
    await expect(page.getByText(/Migrated with \d+ pagos\./)).toBeVisible();
    await expect(page.getByRole("heading", { level: 1 })).toContainText("Migrated");
    await expect(page.getByText("Everything agrees")).toBeVisible();
  });

  await test.step("Consistency: 100 % field match", async () => {
    await page.goto("/consistency");
    const matching = page.locator("dt", { hasText: "Data matching" }).locator("xpath=following-sibling::dd[1]");
    await expect(matching).toHaveText("100.00 %");
    // The demo's orphan pagos are errors: said above the list, before any warning, with a way to them.
    const orphans = page.getByRole("region", { name: /orphan legacy pagos?$/ });
    await expect(orphans).toBeVisible();
    await orphans.getByRole("link", { name: "List them" }).click();
    await page.waitForURL(/category=orphan_legacy_pago/);
    await expect(page.getByRole("table", { name: "Mismatches" }).getByText("Orphan legacy pago").first()).toBeVisible();
    await saveScreenshot(page, "journey-admin-07-consistency");
  });

  await test.step("the run history: both runs, the halted one opened with its charts", async () => {
    await page.goto("/runs");
    await expect(page.getByRole("heading", { level: 1, name: "Runs" })).toBeVisible();
    const table = page.getByRole("table", { name: "Runs, newest first" });
    const halted = table.getByRole("row").filter({ has: page.getByRole("link", { name: `#${haltedRunId}`, exact: true }) });
    const finished = table.getByRole("row").filter({ has: page.getByRole("link", { name: `#${finishedRunId}`, exact: true }) });
    await expect(halted).toContainText("Halted");
    await expect(halted).toContainText(/exceeds the threshold of 0.5 %/);
    await expect(finished).toContainText("Finished");
    await saveScreenshot(page, "journey-admin-07b-runs");
    await halted.getByRole("link", { name: `#${haltedRunId}`, exact: true }).click();
    await page.waitForURL(`**/runs/${haltedRunId}`);
    await expect(page.getByTestId("run-detail-state")).toHaveText("Halted");
    await expect(page.getByRole("heading", { name: "Failures per batch" })).toBeVisible();
    await expect(page.getByRole("img", { name: /threshold 0\.50 %/ })).toBeVisible();
    await saveScreenshot(page, "journey-admin-07c-run-halted");
    await page.setViewportSize(VIEWPORTS.laptop);
    await saveScreenshot(page, "journey-admin-07c-run-halted-laptop");
    await page.setViewportSize(VIEWPORTS.desktop);
    await page.getByLabel("Pick a run").selectOption(String(finishedRunId));
    await page.waitForURL(`**/runs/${finishedRunId}`);
    await expect(page.getByTestId("run-detail-state")).toHaveText("Finished");
    await page.goto(`/audit?target=run:${haltedRunId}`);
    await page
      .getByRole("link", { name: `run:${haltedRunId}` })
      .first()
      .click();
    await page.waitForURL(`**/runs/${haltedRunId}`);
  });

  await test.step("Metrics: the charts are drawn", async () => {
    await page.goto("/metrics");
    await expect(page.getByRole("heading", { name: "Throughput per batch" })).toBeVisible();
    await expect(page.locator("svg.recharts-surface").first()).toBeVisible();
    expect(await page.locator("svg.recharts-surface").count()).toBeGreaterThanOrEqual(3);
    await saveScreenshot(page, "journey-admin-08-metrics");
  });

  await test.step("a token from the Tokens page works over HTTP, and stops working once revoked", async () => {
    await page.goto("/tokens");
    await expect(page.getByText(/npm run token/).first()).toBeVisible();
    const name = `e2e-script-${Date.now()}`;
    await page.getByLabel("Token name").fill(name);
    await page.getByLabel("Token role").selectOption("reviewer");
    await page.getByRole("button", { name: "Create token" }).click();
    await expect(page.getByTestId("new-token")).toContainText("shown only once");
    const token = await page.getByTestId("new-token-value").inputValue();
    expect(token).toMatch(/^pc_[A-Za-z0-9_-]{43}$/);
    await saveScreenshot(page, "journey-admin-09-token-created");

    // A clean client: no cookie, only the bearer.
    const api = await playwright.request.newContext({ baseURL, storageState: { cookies: [], origins: [] } });
    try {
      const auth = { Authorization: `Bearer ${token}` };
      const progress = await api.get("/api/prestamos/migration/progress", { headers: auth });
      expect(progress.status()).toBe(200);
      expect(((await progress.json()) as { state: string }).state).toBe("finished");
      expect((await api.post("/api/prestamos/migration/stop", { headers: auth })).status()).toBe(403);
      expect((await api.get("/api/prestamos/migration/progress")).status()).toBe(401);

      const row = page.getByRole("row").filter({ hasText: name }).first();
      await row.getByRole("button", { name: "Revoke…" }).click();
      await page.getByRole("button", { name: "Yes, revoke" }).click();
      await expect(page.getByText(`“${name}” revoked.`)).toBeVisible();
      await expect(page.getByRole("row").filter({ hasText: name }).first()).toContainText("revoked");
      expect((await api.get("/api/prestamos/migration/progress", { headers: auth })).status()).toBe(401);
    } finally {
      await api.dispose();
    }
  });

  await test.step("Users: 400 and 409 shown in place, then a reviewer is added", async () => {
    await page.goto("/users");
    expectFailedResponse(page, { method: "POST", path: /^\/api\/users$/, status: 400 });
    expectFailedResponse(page, { method: "PATCH", path: /^\/api\/users\/\d+$/, status: 409 });
    const email = `e2e-${Date.now()}@example.test`;
    await page.getByLabel("E-mail").fill(email);
    await page.getByLabel("Password").fill("too-short");
    await page.getByRole("button", { name: "Add user" }).click();
    await expect(page.getByTestId("create-user-result")).toContainText("VALIDATION_ERROR");
    await expect(page.getByTestId("create-user-result")).toContainText("at least 12 characters");
    await page.getByLabel("Password").fill("a-long-enough-password");
    await page.getByRole("button", { name: "Add user" }).click();
    await expect(page.getByTestId("create-user-result")).toContainText(`Added ${email} as reviewer.`);

    // The demo admin is the only active admin: the API refuses to disable it (409), in place.
    const adminRow = page.getByRole("row").filter({ hasText: "admin@demo.local" }).first();
    await adminRow.getByRole("button", { name: "Disable" }).click();
    await page.getByRole("group", { name: "Confirm the change to admin@demo.local" }).getByRole("button", { name: "Yes, disable" }).click();
    await expect(page.getByRole("alert").filter({ hasText: "CONFLICT" })).toContainText("HTTP 409");
    const newRow = page.getByRole("row").filter({ hasText: email }).first();
    // A role change is asked first; Cancel leaves the role as it was and sends nothing.
    await newRow.getByLabel(`Role of ${email}`).selectOption("admin");
    const confirmNew = page.getByRole("group", { name: `Confirm the change to ${email}` });
    await expect(confirmNew).toContainText(`Make ${email} an admin`);
    await confirmNew.getByRole("button", { name: "Cancel" }).click();
    await expect(confirmNew).toHaveCount(0);
    await expect(newRow.getByLabel(`Role of ${email}`)).toHaveValue("reviewer");
    await newRow.getByRole("button", { name: "Disable" }).click();
    await expect(newRow).toContainText("active");
    await confirmNew.getByRole("button", { name: "Yes, disable" }).click();
    await expect(page.getByText(`${email}: Disabled`)).toBeVisible();
    await expect(newRow).toContainText("disabled");
    await saveScreenshot(page, "journey-admin-10-users");
  });

  await test.step("Pre-flight, checklist, and the HTML report", async () => {
    await page.goto("/preflight");
    await expect(page.getByTestId("preflight-overall")).toBeVisible();
    await page.goto("/checklist");
    await expect(page.getByTestId("checklist-overall")).toBeVisible();
    const [download] = await Promise.all([page.waitForEvent("download"), page.getByTestId("report-html").click()]);
    const file = await download.path();
    expect(file).toBeTruthy();
    const report = await page.request.get("/api/prestamos/migration/report?format=html");
    expect(report.status()).toBe(200);
    expect(report.headers()["content-type"]).toMatch(/^text\/html/);
    const html = await report.text();
    await page.setContent(html);
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("Prestamos migration report");
    await saveScreenshot(page, "journey-admin-11-report");
  });
});
