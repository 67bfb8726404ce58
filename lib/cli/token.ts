// npm run token -- --role admin|reviewer --name NAME [--expires-in-days N]: prints one new API token on one line to stdout, nothing else (MIGRATION-SPEC §7).
import { parseArgs } from "node:util";
import { DataDirLockedError, defaultDataDir, openDb, type DbHandle } from "@/db/client";
import { CreateTokenBody } from "@/lib/api/schemas";
import type { Actor } from "@/lib/audit";
import { createToken } from "@/lib/auth/tokens";
import { prepareDatabase } from "@/lib/migration/prepare";

const USAGE = "Usage: npm run token -- --role admin|reviewer --name NAME [--expires-in-days N]";

// stdout carries the token and nothing else: anything a library prints goes to stderr.
const writeOut = process.stdout.write.bind(process.stdout);
console.log = console.info = console.warn = console.debug = (...args: unknown[]) => console.error(...args);

async function main(argv: string[]): Promise<number> {
  let values: { role?: string; name?: string; "expires-in-days"?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { role: { type: "string" }, name: { type: "string" }, "expires-in-days": { type: "string" }, help: { type: "boolean", short: "h" } },
      strict: true,
    }));
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    return 1;
  }
  if (values.help) {
    console.error(USAGE);
    return 0;
  }
  const days = values["expires-in-days"];
  const parsed = CreateTokenBody.safeParse({
    role: values.role,
    name: values.name,
    expiresInDays: days === undefined ? undefined : /^\d{1,9}$/.test(days) ? Number(days) : days,
  });
  if (!parsed.success) {
    console.error(`${parsed.error.issues.map((i) => `--${i.path.join(".")}: ${i.message}`).join("\n")}\n${USAGE}`);
    return 1;
  }

  const url = process.env.DATABASE_URL;
  let handle: DbHandle;
  try {
    handle = await openDb(url ? { url, max: 1, applicationName: "prestamos-console-token-cli" } : { dataDir: defaultDataDir() });
  } catch (err) {
    if (err instanceof DataDirLockedError) {
      console.error(
        `The embedded database is in use by process ${err.holderPid} (the running console; lock ${err.lockFile}).\n` +
          `Only one process may open it. Create the token on the console's Tokens page (signed in as admin),\n` +
          `or stop the console and run this command again.`,
      );
      return 1;
    }
    throw err;
  }
  try {
    await prepareDatabase(handle);
    const actor: Actor = { name: "cli", kind: "system" };
    const created = await createToken(
      handle.db,
      { name: parsed.data.name, role: parsed.data.role, expiresInDays: parsed.data.expiresInDays, createdBy: "cli" },
      actor,
    );
    writeOut(`${created.token}\n`);
    return 0;
  } finally {
    // An open PGlite (or postgres.js pool) keeps Node alive.
    await handle.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    console.error(`token: ${(err as Error)?.message ?? String(err)}`);
    process.exit(1);
  },
);
