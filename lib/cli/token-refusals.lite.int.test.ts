import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { acquireDataDirLock } from "@/db/client";
import { runTokenCli as runCli } from "@/lib/testing/token-cli";

/**
 * `npm run token` refusing before it opens any database: the same whatever TEST_DB says, so on
 * the PGlite integration run only (the token itself, on each database: token.int.test.ts).
 */
let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "token-cli-refusals-"));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe("npm run token refusing", () => {
  it("explains, on stderr with exit code 1, that the running console holds the embedded folder", () => {
    const dataDir = path.join(tmp, "locked");
    const release = acquireDataDirLock(dataDir);
    try {
      const r = runCli(["--role", "admin", "--name", "x"], { PGLITE_DATA_DIR: dataDir });
      expect(r.code).toBe(1);
      expect(r.stdout).toBe("");
      expect(r.stderr).toContain(`process ${process.pid}`);
      expect(r.stderr).toContain("Tokens page");
    } finally {
      release();
    }
  });

  it("refuses bad arguments with usage on stderr and nothing on stdout", () => {
    for (const args of [["--role", "owner", "--name", "x"], ["--role", "admin"], ["--bogus"]]) {
      const r = runCli(args, { PGLITE_DATA_DIR: path.join(tmp, "unused") });
      expect(r.code).toBe(1);
      expect(r.stdout).toBe("");
      expect(r.stderr).toMatch(/Usage: npm run token/);
    }
  });
});
