import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { sourceStamp } from "./source-stamp";

let dir: string;
const write = (rel: string, content: string) => {
  fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
  fs.writeFileSync(path.join(dir, rel), content);
};

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "stamp-"));
  write(".gitignore", ".next/\n.data/\nnode_modules/\n");
  write("app/page.tsx", "export default 1;\n");
  write("package-lock.json", '{"lockfileVersion":3}\n');
  execFileSync("git", ["init", "-q"], { cwd: dir });
  execFileSync("git", ["add", "-A"], { cwd: dir });
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("sourceStamp: when the demo's production build must be made again", () => {
  it("stays the same while only the build, the data and the dependencies change", () => {
    const before = sourceStamp(dir);
    write(".next/BUILD_ID", "abc");
    write(".data/pglite/PG_VERSION", "17");
    write("node_modules/x/index.js", "1");
    expect(sourceStamp(dir)).toBe(before);
  });

  it("changes with a tracked file's content, a new untracked source, a removed file and the lockfile", () => {
    const seen = new Set([sourceStamp(dir)]);
    write("app/page.tsx", "export default 2;\n");
    seen.add(sourceStamp(dir));
    write("app/new/page.tsx", "export default 3;\n");
    seen.add(sourceStamp(dir));
    fs.rmSync(path.join(dir, "app/new/page.tsx"));
    fs.rmSync(path.join(dir, "app/page.tsx"));
    seen.add(sourceStamp(dir));
    write("package-lock.json", '{"lockfileVersion":3,"x":1}\n');
    seen.add(sourceStamp(dir));
    expect(seen.size).toBe(5);
  });

  it("walks the tree outside a git checkout, skipping the build and the data", () => {
    fs.rmSync(path.join(dir, ".git"), { recursive: true, force: true });
    const before = sourceStamp(dir);
    write(".next/BUILD_ID", "abc");
    expect(sourceStamp(dir)).toBe(before);
    write("app/page.tsx", "export default 2;\n");
    expect(sourceStamp(dir)).not.toBe(before);
  });
});
