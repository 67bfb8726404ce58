import { defineConfig } from "@playwright/test";

/**
 * E2E against the production build (`next build` first: .ci/test does it) served by `next start`
 * on a fixed port, with its own embedded database folder (e2e/start-server.sh), never the
 * developer's .data/pglite. Chromium is Debian's: `npx playwright install` cannot work here.
 */
const PORT = Number(process.env.E2E_PORT ?? 3100);
const baseURL = `http://127.0.0.1:${PORT}`;

export default defineConfig({
  testDir: "e2e",
  outputDir: "test-results",
  timeout: 30_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 2,
  forbidOnly: !!process.env.CI,
  retries: 0,
  reporter: process.env.CI ? [["list"]] : [["list"], ["html", { open: "never" }]],
  use: {
    baseURL,
    headless: true,
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
  },
  projects: [
    { name: "setup", testMatch: /.*\.setup\.ts/ },
    { name: "api", testMatch: /api\/.*\.spec\.ts/ },
    // The admin journey migrates the demo from its first state: nothing else runs a migration beside it.
    { name: "console", testMatch: /console\/.*\.spec\.ts/, testIgnore: /capture-gap\.spec\.ts/, dependencies: ["setup"] },
    { name: "capture-gap", testMatch: /console\/capture-gap\.spec\.ts/, dependencies: ["setup", "console"] },
    // The cut-over journey replaces the demo data and switches the tables under every page: it runs after the rest.
    { name: "cutover", testMatch: /cutover\/.*\.spec\.ts/, dependencies: ["setup", "capture-gap"] },
  ],
  webServer: {
    command: "bash e2e/start-server.sh",
    url: `${baseURL}/api/health`,
    reuseExistingServer: false,
    timeout: 180_000,
    stdout: "pipe",
    stderr: "pipe",
    // SIGTERM so the server closes PGlite and releases the folder's lock (lib/server/boot.ts).
    gracefulShutdown: { signal: "SIGTERM", timeout: 15_000 },
    env: {
      PORT: String(PORT),
      NEXTAUTH_URL: baseURL,
      NEXTAUTH_SECRET: "e2e-only-secret-not-used-anywhere-else-0123456789",
      NEXT_MANUAL_SIG_HANDLE: "1",
      NEXT_TELEMETRY_DISABLED: "1",
      NODE_ENV: "production",
    },
  },
});
