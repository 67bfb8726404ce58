import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { DataDirLockedError, openDb, type DbHandle } from "@/db/client";

/**
 * PGlite has no lock of its own on its data folder (CONVENTIONS, pitfalls): db/client.ts takes
 * `<folder>.lock` holding the pid. The folder is embedded whatever TEST_DB says: this file runs
 * on the PGlite integration run only (`.lite.int.test.ts`).
 */
const ROOT = path.resolve(__dirname, "..");
const TSX = path.join(ROOT, "node_modules", ".bin", "tsx");
const dirs: string[] = [];
const handles: DbHandle[] = [];

function tempDataDir(): string {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), "prestamos-lock-"));
  dirs.push(base);
  return path.join(base, "pglite");
}

/** Runs a TypeScript snippet in a fresh Node process (cwd = repo root) and collects its output. */
function runChild(code: string, env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(TSX, ["--eval", code], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr, ms: Date.now() - started }));
  });
}

afterEach(async () => {
  for (const h of handles.splice(0)) await h.close();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe("the embedded data folder lock", () => {
  it("makes a second openDb({dataDir}) in another process fail with a message naming the holder's pid", async () => {
    const dataDir = tempDataDir();
    const mine = await openDb({ dataDir });
    handles.push(mine);
    expect(fs.readFileSync(`${dataDir}.lock`, "utf8").trim()).toBe(String(process.pid));

    const child = await runChild(
      `import("./db/client.ts").then(async ({ openDb }) => {
         try { const h = await openDb({ dataDir: process.env.DIR }); await h.close(); console.log("OPENED"); process.exit(0); }
         catch (e) { console.log(e.name + ": " + e.message); process.exit(3); }
       });`,
      { DIR: dataDir },
    );
    expect(child.stdout).not.toContain("OPENED");
    expect(child.code).toBe(3);
    expect(child.stdout).toContain("DataDirLockedError");
    expect(child.stdout).toContain(`in use by process ${process.pid}`);
    // The holder is untouched: still usable, lock still ours.
    expect(fs.readFileSync(`${dataDir}.lock`, "utf8").trim()).toBe(String(process.pid));
  });

  it("takes over a stale lock left by a dead process, and releases it on close", async () => {
    const dataDir = tempDataDir();
    const dead = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
    const deadPid = Number(dead.stdout);
    expect(deadPid).toBeGreaterThan(0);
    fs.mkdirSync(path.dirname(dataDir), { recursive: true });
    fs.writeFileSync(`${dataDir}.lock`, String(deadPid));

    const handle = await openDb({ dataDir });
    expect(fs.readFileSync(`${dataDir}.lock`, "utf8").trim()).toBe(String(process.pid));
    await handle.close();
    expect(fs.existsSync(`${dataDir}.lock`)).toBe(false);
  });

  it("refuses in-process too, with the DataDirLockedError class", async () => {
    const dataDir = tempDataDir();
    fs.mkdirSync(path.dirname(dataDir), { recursive: true });
    // pid 1 is always alive (init): a live holder that is not us.
    fs.writeFileSync(`${dataDir}.lock`, "1");
    await expect(openDb({ dataDir })).rejects.toBeInstanceOf(DataDirLockedError);
    expect(fs.readFileSync(`${dataDir}.lock`, "utf8").trim()).toBe("1");
  });

  it("makes the server's start-up exit 1 fast with the clear message when the folder is held", async () => {
    const dataDir = tempDataDir();
    const mine = await openDb({ dataDir });
    handles.push(mine);
    const child = await runChild(`import("./lib/server/boot.ts").then((m) => m.bootOrExit()).then(() => process.exit(0));`, {
      PGLITE_DATA_DIR: dataDir,
      DATABASE_URL: "",
      ADMIN_EMAIL: "",
      ADMIN_PASSWORD: "",
    });
    expect(child.code).toBe(1);
    expect(child.stderr).toContain(`cannot start: The embedded database folder is in use by process ${process.pid}`);
    expect(child.stderr).not.toMatch(/\n\s+at /); // a message, not a stack
    expect(child.ms).toBeLessThan(15_000);
  });

  it("makes npm run db:migrate fail the same way, exit code 1", async () => {
    const dataDir = tempDataDir();
    const mine = await openDb({ dataDir });
    handles.push(mine);
    const child = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
      const c = spawn(TSX, ["lib/cli/db-migrate.ts"], {
        cwd: ROOT,
        env: { ...process.env, PGLITE_DATA_DIR: dataDir, DATABASE_URL: "" },
        stdio: ["ignore", "ignore", "pipe"],
      });
      let stderr = "";
      c.stderr.on("data", (d) => (stderr += d));
      c.on("error", reject);
      c.on("close", (code) => resolve({ code, stderr }));
    });
    expect(child.code).toBe(1);
    expect(child.stderr).toContain(`in use by process ${process.pid}`);
  });
});
