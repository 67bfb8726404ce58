import path from "node:path";
import { defineConfig } from "vitest/config";

const alias = { "@": path.resolve(__dirname) };
process.env.TEST_RUN_TAG ??= String(process.pid);

export default defineConfig({
  resolve: { alias },
  test: {
    projects: [
      {
        resolve: { alias },
        test: { name: "unit", include: ["{lib,db,app,components}/**/*.test.ts"], exclude: ["**/*.int.test.ts", "node_modules/**"], environment: "node" },
      },
      {
        resolve: { alias },
        test: {
          name: "integration",
          include: ["{lib,db,app}/**/*.int.test.ts"],
          // *.pg.int.test.ts need a second real connection (application locks): PostgreSQL only.
          // *.lite.int.test.ts are about the embedded folder itself, whatever TEST_DB says: once.
          exclude: process.env.TEST_DB === "postgres" ? ["**/*.lite.int.test.ts", "node_modules/**"] : ["**/*.pg.int.test.ts", "node_modules/**"],
          environment: "node",
          globalSetup: ["lib/testing/global-setup.ts"],
          setupFiles: ["lib/testing/engine-listeners.setup.ts", "lib/testing/password-cost.setup.ts"],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          // PGlite costs ~850 MB and a core per instance: two files at once. PostgreSQL's files
          // mostly wait (on the server, on forced lock waits, on the throttle's windows): three.
          maxWorkers: process.env.TEST_DB === "postgres" ? 3 : 2,
        },
      },
    ],
  },
});
