import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDb } from "@/db/client";
import { apiTokens, auditLog } from "@/db/schema";
import { principalFromBearer } from "@/lib/auth/principal";
import { hashToken } from "@/lib/auth/token-hash";
import { openTestDb, testDriver, type TestDb } from "@/lib/testing/db";
import { runTokenCli as runCli } from "@/lib/testing/token-cli";

const TOKEN_LINE = /^pc_[A-Za-z0-9_-]{43}\n$/;

let tmp: string;
let t: TestDb;
beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "token-cli-"));
  if (testDriver() === "postgres") t = await openTestDb();
});
afterAll(async () => {
  await t?.dispose();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe(`npm run token on ${testDriver()}`, () => {
  it("prints exactly one line, the token, which works and is audited as cli", async () => {
    if (testDriver() === "postgres") {
      for (const viaNpm of [false, true]) {
        const r = runCli(["--role", "admin", "--name", viaNpm ? "via-npm" : "ci"], { DATABASE_URL: t.url! }, viaNpm);
        expect(r.stderr).toBe("");
        expect(r.code).toBe(0);
        expect(r.stdout).toMatch(TOKEN_LINE);
        expect(await principalFromBearer(t.db, r.stdout.trim())).toMatchObject({ kind: "token", name: viaNpm ? "via-npm" : "ci", role: "admin" });
      }
      const audit = await t.db.select().from(auditLog).where(eq(auditLog.action, "token.create"));
      expect(audit.map((a) => a.actor)).toEqual(["cli", "cli"]);
    } else {
      // The embedded database: a folder of its own, migrated by the CLI itself.
      const dataDir = path.join(tmp, "pglite");
      const r = runCli(["--role", "reviewer", "--name", "embedded"], { PGLITE_DATA_DIR: dataDir });
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(TOKEN_LINE);
      expect(fs.existsSync(`${dataDir}.lock`)).toBe(false); // closed and released
      const h = await openDb({ dataDir });
      try {
        const [row] = await h.db
          .select()
          .from(apiTokens)
          .where(eq(apiTokens.tokenHash, hashToken(r.stdout.trim())));
        expect(row).toMatchObject({ name: "embedded", role: "reviewer", createdBy: "cli" });
      } finally {
        await h.close();
      }
    }
  });
});
