/**
 * Prints a hash of the source tree: what `npm run demo` compares with the stamp of its last build
 * to decide whether `next build` must run again. The files are git's view of the tree (tracked and
 * untracked-but-not-ignored, so .next, .data and node_modules never count), each hashed by path and
 * content; the lockfile is one of them. Outside a git checkout the tree is walked instead.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";

const NEVER_SOURCE = new Set([".git", "node_modules", ".next", ".data", "test-results", "playwright-report", "bench-results", "coverage", "out"]);

function gitFiles(root: string): string[] | null {
  try {
    const out = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
      cwd: root,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
      maxBuffer: 64 * 1024 * 1024,
    });
    return out.split("\0").filter(Boolean);
  } catch {
    return null;
  }
}

function walk(root: string, rel = ""): string[] {
  return fs.readdirSync(path.join(root, rel), { withFileTypes: true }).flatMap((e) => {
    if (NEVER_SOURCE.has(e.name)) return [];
    const p = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) return walk(root, p);
    return e.isFile() ? [p] : [];
  });
}

export function sourceStamp(root: string): string {
  const files = [...new Set(gitFiles(root) ?? walk(root))].sort();
  const tree = createHash("sha256");
  for (const file of files) {
    let content: Buffer;
    try {
      content = fs.readFileSync(path.join(root, file));
    } catch {
      continue; // deleted in the work tree but still in the index: not a source any more
    }
    tree.update(`${file}\0${createHash("sha256").update(content).digest("hex")}\n`);
  }
  return tree.digest("hex");
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename ?? "")) {
  process.stdout.write(`${sourceStamp(process.argv[2] ?? process.cwd())}\n`);
}
