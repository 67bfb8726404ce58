import { spawnSync } from "node:child_process";
import path from "node:path";

/** `npm run token` spawned as a user would: stdout is the token line and nothing else. */
const root = path.resolve(__dirname, "../..");
const tsx = path.join(root, "node_modules", ".bin", "tsx");

/** Runs the token CLI (through tsx, or through npm with `viaNpm`); DATABASE_URL only when `extraEnv` gives one. */
export function runTokenCli(args: string[], extraEnv: Record<string, string>, viaNpm = false) {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extraEnv };
  if (!("DATABASE_URL" in extraEnv)) delete env.DATABASE_URL;
  const [cmd, argv] = viaNpm ? ["npm", ["run", "token", "--", ...args]] : [tsx, ["lib/cli/token.ts", ...args]];
  const r = spawnSync(cmd, argv as string[], { cwd: root, env, encoding: "utf8", timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
