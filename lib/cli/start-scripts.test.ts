/**
 * Everywhere the console starts, Next's telemetry is off: a console that reads a lender's payments
 * sends nothing anywhere. Reads the npm scripts, every shell script of the repository and the e2e
 * web server's environment, so a new way of starting `next` is held to it the day it lands.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import { describe, expect, it } from "vitest";
import playwrightConfig from "@/playwright.config";

const RUNS_NEXT = /(^|[\s;&|(])(npx\s+next|\S*node_modules\/\.bin\/next|next)\s+(dev|start|build)\b/;
const root = process.cwd();

function shellScripts(): string[] {
  const files = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard"], { cwd: root, encoding: "utf8" }).split("\n").filter(Boolean);
  return files.filter(
    (f) => fs.existsSync(f) && (f.endsWith(".sh") || /^\.ci\/[^/.]+$/.test(f) || fs.readFileSync(f, "utf8").startsWith("#!/usr/bin/env bash")),
  );
}

describe("NEXT_TELEMETRY_DISABLED wherever the console starts", () => {
  it("is set by every npm script that runs next", () => {
    const scripts = (JSON.parse(fs.readFileSync("package.json", "utf8")) as { scripts: Record<string, string> }).scripts;
    const runningNext = Object.entries(scripts).filter(([, cmd]) => RUNS_NEXT.test(cmd));
    expect(runningNext.map(([name]) => name)).toEqual(expect.arrayContaining(["dev", "build", "start"]));
    for (const [name, cmd] of runningNext) {
      const at = cmd.search(RUNS_NEXT);
      expect(cmd.slice(0, at + 1), `npm script ${name}: ${cmd}`).toMatch(/\bNEXT_TELEMETRY_DISABLED=1\b/);
    }
  });

  it("is exported by every shell script before it runs next", () => {
    const running = shellScripts().filter((f) =>
      fs
        .readFileSync(f, "utf8")
        .split("\n")
        .some((l) => !l.trimStart().startsWith("#") && RUNS_NEXT.test(l)),
    );
    expect(running).toEqual(expect.arrayContaining(["lib/cli/demo.sh", "e2e/start-server.sh", ".ci/test"]));
    for (const file of running) {
      const lines = fs.readFileSync(file, "utf8").split("\n");
      const firstRun = lines.findIndex((l) => !l.trimStart().startsWith("#") && RUNS_NEXT.test(l));
      const exported = lines.findIndex((l) => /^\s*export NEXT_TELEMETRY_DISABLED=1\s*$/.test(l));
      expect(exported, `${file} exports NEXT_TELEMETRY_DISABLED=1 before line ${firstRun + 1}`).toBeGreaterThanOrEqual(0);
      expect(exported, `${file} exports NEXT_TELEMETRY_DISABLED=1 before line ${firstRun + 1}`).toBeLessThan(firstRun);
    }
  });

  it("is in the environment of the e2e web server and of CI", () => {
    const server = playwrightConfig.webServer;
    expect(Array.isArray(server) ? server.map((s) => s.env?.NEXT_TELEMETRY_DISABLED) : [server?.env?.NEXT_TELEMETRY_DISABLED]).toEqual(["1"]);
    expect(fs.readFileSync(".ci/run", "utf8")).toMatch(/^export NEXT_TELEMETRY_DISABLED=1$/m);
  });
});
