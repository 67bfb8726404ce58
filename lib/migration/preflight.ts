/**
 * Pre-flight: what must hold before a run starts, each item measured where the console
 * can know it (database, legacy tables as the contract expects, quiet period, the dry run) and
 * confirmed by a person where it cannot (a backup exists, the team was told).
 *
 * States: pass, warn (shown, never blocking), fail (a start then needs the typed "START ANYWAY"),
 * confirmed (a person vouched for it). The dry run scans the whole legacy table, so it is verify's
 * background job: the pre-flight shows the latest one with its age (`refresh` asks for a new one),
 * and a start takes one up to 15 minutes old, or says there is none. The measured
 * items are preflight-items.ts; the item shape, shared with the checklist, is check-items.ts.
 */
import { sql } from "drizzle-orm";
import type { Db, Driver, Exec } from "@/db/client";
import { queryOne } from "@/db/sql";
import { START_ANYWAY } from "./vocabulary";
import { AppError } from "@/lib/errors";
import { confirmationItems, overallOf, type CheckItem, type ItemState } from "./check-items";
import { activeConfirmations } from "./confirmations";
import { getPreflightSettings, type PreflightSettings } from "./console-settings";
import { CONSOLE_POOL_SIZE, databaseItems, dryRunItem, legacyTableItems, quietItem } from "./preflight-items";
import { getJobStatus, requestJob } from "./jobs";
import type { VerifyReport } from "./verify";
import { getWriteRate, type WriteRate } from "./write-samples";

const START_DRY_RUN_MAX_AGE_MS = 15 * 60_000;

export interface PreflightContext {
  driver: Driver;
  /** DATABASE_URL, for the pg_dump command (the password is masked before it leaves). */
  databaseUrl?: string;
  /** The embedded data folder. */
  dataDir?: string;
  poolSize?: number;
}

export interface BackupAdvice {
  kind: "pg_dump" | "embedded";
  /** The command to run (pg_dump), or the steps to copy the folder (embedded). */
  command: string;
  note: string;
}

export interface PreflightReport {
  checkedAt: string;
  overall: "pass" | "warn" | "fail";
  failing: string[];
  warnings: string[];
  items: CheckItem[];
  backup: BackupAdvice;
  settings: PreflightSettings;
  writeRate: WriteRate;
  dryRun: { checkedAt: string | null; ageSeconds: number | null; refreshing: boolean };
}

/** What a run keeps of the pre-flight (migration_runs.preflight and the start's audit row). */
export interface PreflightSnapshot {
  checkedAt: string;
  overall: PreflightReport["overall"];
  failing: string[];
  warnings: string[];
  /** true when the run was started with "START ANYWAY" over failing items. */
  override: boolean;
  items: { id: string; state: ItemState; figure: string }[];
}

/* ── the dry run: verify's background job ───────────────────────────────────────────── */

export interface DryRunRead {
  /** The newest finished dry run the mode accepts; null when there is none. */
  report: VerifyReport | null;
  /** Seconds since that dry run ended. */
  ageSeconds: number | null;
  /** A fresher one is running or waits its turn. */
  refreshing: boolean;
  /** Why the newest attempt failed, when it is newer than the report. */
  error: string | null;
}

/**
 * The latest dry run, read from verify's background job (it scans the whole legacy table, so no
 * request runs it; a console's first start asks for one). "cached": whatever its age; "fresh":
 * asks for a new one (joining the one queued) and answers with the latest
 * meanwhile; "start": only one at most 15 minutes old, asking for nothing.
 */
export async function readDryRun(db: Exec, mode: "cached" | "fresh" | "start", requestedBy = "pre-flight"): Promise<DryRunRead> {
  if (mode === "fresh") await requestJob(db, "verify", requestedBy);
  const status = await getJobStatus<VerifyReport>(db, "verify");
  const latest = status.latest && (mode !== "start" || status.latest.ageSeconds * 1000 <= START_DRY_RUN_MAX_AGE_MS) ? status.latest : null;
  return {
    report: latest?.result ?? null,
    ageSeconds: latest?.ageSeconds ?? null,
    refreshing: Boolean(status.running || status.queued),
    error: status.lastFailure?.error ?? null,
  };
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** "postgres://user:****@host:5432/db": the password (in the authority or a query parameter) masked. */
export function maskUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "****";
    for (const key of [...u.searchParams.keys()]) if (/^pass(word)?$/i.test(key)) u.searchParams.set(key, "****");
    return u.toString().replace("%2A%2A%2A%2A", "****");
  } catch {
    return "(DATABASE_URL could not be parsed)";
  }
}

export function backupAdvice(ctx: PreflightContext, schema: string, today = new Date().toISOString().slice(0, 10)): BackupAdvice {
  if (ctx.driver === "pglite") {
    const dir = ctx.dataDir ?? "<the data folder>";
    return {
      kind: "embedded",
      command: `# stop the console first (it holds the folder), then:\ncp -a "${dir}" "${dir}-backup-${today}"`,
      note:
        "pg_dump does not apply: the embedded database (PGlite) runs inside the console's own process and listens on no port. " +
        "Stop the console, copy the data folder as a whole, and start it again; the copy is a complete backup of every table.",
    };
  }
  const url = ctx.databaseUrl ? maskUrl(ctx.databaseUrl) : "postgres://USER:****@HOST:5432/DATABASE";
  const q = (t: string) => `${schema}.${t}`;
  return {
    kind: "pg_dump",
    command: `pg_dump --format=custom --no-owner --table=${q("prestamos")} --table=${q("pagos_prestamo")} --file=prestamos-legacy-${today}.dump "${url}"`,
    note: "Give the password through PGPASSWORD or ~/.pgpass rather than in the URL. Restore with pg_restore --data-only into empty tables, or into a scratch database to compare.",
  };
}

/** The pre-flight report; `dryRun` is readDryRun's mode ("cached" by default), `requestedBy` who asks for a fresh one. */
export async function getPreflight(
  db: Db,
  ctx: PreflightContext,
  opts: { dryRun?: "cached" | "fresh" | "start"; requestedBy?: string } = {},
): Promise<PreflightReport> {
  const checkedAt = new Date().toISOString();
  const dry = await readDryRun(db, opts.dryRun ?? "cached", opts.requestedBy);
  const settings = await getPreflightSettings(db);
  const rate = await getWriteRate(db);
  const schema = (await queryOne<{ s: string }>(db, sql`SELECT current_schema() AS s`))?.s ?? "public";
  const items: CheckItem[] = [
    ...(await databaseItems(db, ctx.driver, ctx.poolSize ?? CONSOLE_POOL_SIZE)),
    ...(await legacyTableItems(db, dry.report, ctx.driver).catch((err): CheckItem[] => [
      {
        id: "legacy.tables",
        group: "Legacy tables",
        label: "Legacy tables",
        state: "fail",
        figure: `could not be read: ${message(err)}`,
        why: "The console migrates these tables.",
      },
    ])),
    await quietItem(db, ctx.driver, settings, rate),
    dryRunItem(dry),
    ...confirmationItems("preflight", await activeConfirmations(db, "preflight")),
  ];
  return {
    checkedAt,
    overall: overallOf(items),
    failing: items.filter((i) => i.state === "fail").map((i) => i.id),
    warnings: items.filter((i) => i.state === "warn").map((i) => i.id),
    items,
    backup: backupAdvice(ctx, schema),
    settings,
    writeRate: rate,
    dryRun: { checkedAt: dry.report?.checkedAt ?? null, ageSeconds: dry.ageSeconds, refreshing: dry.refreshing },
  };
}

function toSnapshot(report: PreflightReport, override: boolean): PreflightSnapshot {
  return {
    checkedAt: report.checkedAt,
    overall: report.overall,
    failing: report.failing,
    warnings: report.warnings,
    override,
    items: report.items.map((i) => ({ id: i.id, state: i.state, figure: i.figure })),
  };
}

/**
 * The gate of a start: failing items need `confirm` to be exactly "START ANYWAY" (else 409 CONFLICT
 * with the failing items in details); warnings never block. Returns what the run keeps.
 */
export function preflightGate(report: PreflightReport, confirm: string | undefined): PreflightSnapshot {
  if (report.failing.length === 0) return toSnapshot(report, false);
  if (confirm !== START_ANYWAY) {
    const failing = report.items.filter((i) => i.state === "fail").map((i) => ({ id: i.id, label: i.label, figure: i.figure }));
    throw new AppError("CONFLICT", `Pre-flight fails (${report.failing.join(", ")}): fix it, or send confirmPreflight "${START_ANYWAY}" to start anyway`, {
      failing,
      confirmPreflight: START_ANYWAY,
    });
  }
  return toSnapshot(report, true);
}
