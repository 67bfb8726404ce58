/**
 * Pre-flight: what must hold before a run starts, each item measured where the console
 * can know it (database, legacy tables as the contract expects, quiet period, the dry run) and
 * confirmed by a person where it cannot (a backup exists, the team was told).
 *
 * States: pass, warn (shown, never blocking), fail (a start then needs the typed "START ANYWAY"),
 * confirmed (a person vouched for it). The dry run scans the whole legacy table: its result is
 * cached per database handle for a minute (GET /preflight; `refresh` recomputes), and a start
 * reuses a cached one up to 15 minutes old instead of scanning again (then says so).
 */
import { sql } from "drizzle-orm";
import type { Db, Driver, Exec } from "@/db/client";
import { queryOne, queryRows } from "@/db/sql";
import { START_ANYWAY } from "./vocabulary";
import { AppError } from "@/lib/errors";
import { activeConfirmations, type Confirmation } from "./confirmations";
import { getPreflightSettings, type PreflightSettings } from "./console-settings";
import { FAILURE_CODES } from "./rules";
import { RUN_DEFAULTS } from "./runs";
import { getVerifyReport, type VerifyReport } from "./verify";
import { getWriteRate, type WriteRate } from "./write-samples";

/** `unmeasured`: nothing to measure yet (a consistency item before any prestamo is migrated): never a pass. */
export type ItemState = "pass" | "warn" | "fail" | "confirmed" | "unmeasured";

export interface CheckItem {
  id: string;
  group: string;
  label: string;
  state: ItemState;
  /** The figure behind the state, in words. */
  figure: string;
  /** Why it matters. */
  why: string;
  /** Where the evidence is in the console. */
  link?: string;
  /** Person-confirmed items: the standing confirmation (null when not confirmed). */
  confirmation?: Confirmation | null;
  data?: Record<string, unknown>;
}

/** The legacy contract (../shared/legacy-schema.sql, db/migrate.ts LEGACY_SCHEMA_SQL): column → type and NOT NULL. */
export const LEGACY_COLUMNS: Readonly<Record<"prestamos" | "pagos_prestamo", readonly { name: string; type: string; notNull: boolean }[]>> = {
  prestamos: [
    { name: "id", type: "integer", notNull: true },
    { name: "cliente_nombre", type: "character varying(200)", notNull: false },
    { name: "cliente_documento", type: "character varying(30)", notNull: false },
    { name: "monto", type: "numeric(12,2)", notNull: false },
    { name: "tasa_interes", type: "numeric(6,3)", notNull: false },
    { name: "plazo_meses", type: "integer", notNull: false },
    { name: "fecha_otorgamiento", type: "character varying(20)", notNull: false },
    { name: "estado", type: "character varying(20)", notNull: false },
    { name: "moneda", type: "character varying(10)", notNull: false },
    { name: "created_at", type: "timestamp without time zone", notNull: true },
    { name: "updated_at", type: "timestamp without time zone", notNull: true },
  ],
  pagos_prestamo: [
    { name: "id", type: "integer", notNull: true },
    { name: "prestamo_id", type: "integer", notNull: false },
    { name: "monto", type: "numeric(12,2)", notNull: false },
    { name: "fecha_pago", type: "character varying(20)", notNull: false },
    { name: "metodo", type: "character varying(20)", notNull: false },
    { name: "anulado", type: "boolean", notNull: true },
    { name: "created_at", type: "timestamp without time zone", notNull: true },
  ],
};

/**
 * The new tables' size is estimated from the legacy size: the new rows carry about as many bytes as
 * the legacy ones (text columns cleaned, dates as 4-byte dates, cents as int8, a few derived
 * columns) but one more unique index each (legacy_id). Measured on the demo data: ×1.3. Once the new
 * tables hold 1,000 rows or more, their own bytes per row are extrapolated instead.
 */
export const NEW_SIZE_FACTOR = 1.3;
/** The console's postgres.js pool (db/client.ts getDbHandle: max 10). */
export const CONSOLE_POOL_SIZE = 10;
/** A run needs the pool plus headroom for psql and a second instance's health check. */
export const CONNECTION_HEADROOM = 2;
export const DRY_RUN_TTL_MS = 60_000;
export const START_DRY_RUN_MAX_AGE_MS = 15 * 60_000;

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
  dryRun: { checkedAt: string; cached: boolean; ageSeconds: number } | null;
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

/* ── the dry run, cached ──────────────────────────────────────────────────────────── */

type DryRunEntry = { at: number; report?: VerifyReport; pending?: Promise<VerifyReport> };
// On globalThis: route handlers and pages are bundled apart, and a page's start summary must see
// the dry run a route computed.
const g = globalThis as unknown as { __prestamosDryRunCache?: WeakMap<object, DryRunEntry> };
const dryRunCache = (g.__prestamosDryRunCache ??= new WeakMap<object, DryRunEntry>());

export function clearPreflightCache(db: Db): void {
  dryRunCache.delete(db);
}

async function cachedVerify(db: Db, driver: Driver, mode: "fresh" | "cached" | "start"): Promise<{ report: VerifyReport; cached: boolean } | null> {
  const entry = dryRunCache.get(db);
  const maxAge = mode === "start" ? START_DRY_RUN_MAX_AGE_MS : DRY_RUN_TTL_MS;
  if (mode !== "fresh" && entry?.report && Date.now() - entry.at < maxAge) return { report: entry.report, cached: true };
  if (mode === "start") return null;
  if (entry?.pending) return { report: await entry.pending, cached: false };
  // One scan at a time per handle: concurrent callers share it.
  const pending = getVerifyReport(db, { driver });
  dryRunCache.set(db, { at: entry?.at ?? 0, report: entry?.report, pending });
  try {
    const report = await pending;
    dryRunCache.set(db, { at: Date.now(), report });
    return { report, cached: false };
  } catch (err) {
    dryRunCache.delete(db);
    throw err;
  }
}

/** The cached dry run when one was computed within `maxAgeMs`, else null: never scans. */
export function cachedDryRun(db: Db, maxAgeMs = START_DRY_RUN_MAX_AGE_MS): { report: VerifyReport; ageSeconds: number } | null {
  const entry = dryRunCache.get(db);
  if (!entry?.report || Date.now() - entry.at >= maxAgeMs) return null;
  return { report: entry.report, ageSeconds: Math.max(0, Math.round((Date.now() - Date.parse(entry.report.checkedAt)) / 1000)) };
}

/* ── helpers ───────────────────────────────────────────────────────────────────────── */

const int = new Intl.NumberFormat("en-US");
const n = (x: number | null | undefined) => (x === null || x === undefined ? "—" : int.format(x));
export function bytes(b: number): string {
  const units = ["B", "kB", "MB", "GB", "TB"];
  let v = b;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
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

function typeOf(c: { data_type: string; character_maximum_length: number | null; numeric_precision: number | null; numeric_scale: number | null }): string {
  if (c.data_type === "character varying" || c.data_type === "character") {
    return c.character_maximum_length == null ? c.data_type : `${c.data_type}(${c.character_maximum_length})`;
  }
  if (c.data_type === "numeric") return c.numeric_precision == null ? "numeric" : `numeric(${c.numeric_precision},${c.numeric_scale ?? 0})`;
  return c.data_type;
}

const family = (t: string) =>
  /^(character|text)/.test(t) ? "text" : /^(numeric|integer|bigint|smallint|real|double)/.test(t) ? "number" : /^timestamp/.test(t) ? "timestamp" : t;

/* ── the items ─────────────────────────────────────────────────────────────────────── */

async function databaseItems(db: Exec, ctx: PreflightContext): Promise<CheckItem[]> {
  const row = await queryOne<Record<string, unknown>>(
    db,
    sql`SELECT version() AS version, current_setting('server_version_num')::int AS num,
               current_setting('max_connections')::int AS max_conn,
               current_setting('superuser_reserved_connections')::int AS reserved,
               (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')::int AS in_use,
               (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'
                  AND application_name = current_setting('application_name'))::int AS ours`,
  );
  const version = String(row?.version ?? "");
  const short = /PGlite/.test(version) ? version.replace(/^(PostgreSQL [\d.]+ \(PGlite [\d.]+\)).*$/s, "$1") : version.replace(/^(PostgreSQL [\d.]+).*$/s, "$1");
  const num = Number(row?.num ?? 0);
  const items: CheckItem[] = [
    {
      id: "database.reachable",
      group: "Database",
      label: "Reachable, version",
      state: num >= 140000 ? "pass" : "warn",
      figure: `${short}${ctx.driver === "pglite" ? " — embedded" : ""}`,
      why: "The contract names PostgreSQL 14 or newer; the rules' SQL and the change-capture triggers are written for it.",
      data: { version, versionNum: num, driver: ctx.driver },
    },
  ];
  const pool = ctx.poolSize ?? CONSOLE_POOL_SIZE;
  if (ctx.driver === "pglite") {
    items.push({
      id: "database.connections",
      group: "Database",
      label: "Connections",
      state: "pass",
      figure: "embedded: a single connection inside the console's process",
      why: "A run takes its pool's connections plus headroom; the embedded database has one connection and no other client.",
      data: { embedded: true },
    });
    return items;
  }
  const max = Number(row?.max_conn ?? 0);
  const reserved = Number(row?.reserved ?? 0);
  const inUse = Number(row?.in_use ?? 0);
  const ours = Number(row?.ours ?? 0);
  const usable = max - reserved;
  const free = usable - inUse;
  const needed = pool + CONNECTION_HEADROOM;
  const stillNeeded = Math.max(0, needed - ours);
  const state: ItemState = free < stillNeeded ? "fail" : inUse + stillNeeded > usable * 0.8 ? "warn" : "pass";
  items.push({
    id: "database.connections",
    group: "Database",
    label: "Connections",
    state,
    figure: `${n(inUse)} in use of ${n(usable)} (max_connections ${n(max)} − ${n(reserved)} reserved); a run needs up to ${n(needed)} (pool ${pool} + ${CONNECTION_HEADROOM}), the console holds ${n(ours)}; ${n(free)} free`,
    why: "When the pool cannot open its connections, batches wait and time out, and the application itself may be refused connections.",
    data: { maxConnections: max, reserved, inUse, console: ours, needed, free },
  });
  return items;
}

async function legacyTableItems(db: Exec, verify: VerifyReport | null, ctx: PreflightContext): Promise<CheckItem[]> {
  const cols = await queryRows<{
    table_name: string;
    column_name: string;
    data_type: string;
    character_maximum_length: number | null;
    numeric_precision: number | null;
    numeric_scale: number | null;
    is_nullable: string;
  }>(
    db,
    sql`SELECT table_name::text AS table_name, column_name::text AS column_name, data_type::text AS data_type,
               character_maximum_length::int AS character_maximum_length, numeric_precision::int AS numeric_precision,
               numeric_scale::int AS numeric_scale, is_nullable::text AS is_nullable
        FROM information_schema.columns
        WHERE table_schema = current_schema() AND table_name IN ('prestamos', 'pagos_prestamo')
        ORDER BY table_name, ordinal_position`,
  );
  const problems: { table: string; column: string; expected: string; actual: string; severity: "fail" | "warn" }[] = [];
  const extra: string[] = [];
  for (const [table, expected] of Object.entries(LEGACY_COLUMNS)) {
    const actual = cols.filter((c) => c.table_name === table);
    if (actual.length === 0) {
      problems.push({ table, column: "*", expected: "the table", actual: "missing", severity: "fail" });
      continue;
    }
    for (const e of expected) {
      const a = actual.find((c) => c.column_name === e.name);
      if (!a) {
        problems.push({ table, column: e.name, expected: e.type, actual: "missing", severity: "fail" });
        continue;
      }
      const t = typeOf(a);
      if (t !== e.type) {
        // Same family (a longer varchar, text, a wider numeric): the rules read it as text and cope; another family does not.
        problems.push({ table, column: e.name, expected: e.type, actual: t, severity: family(t) === family(e.type) ? "warn" : "fail" });
      }
      if (e.notNull && a.is_nullable === "YES") {
        problems.push({ table, column: e.name, expected: `${e.type} NOT NULL`, actual: `${t} NULL`, severity: "fail" });
      }
    }
    for (const a of actual) if (!expected.some((e) => e.name === a.column_name)) extra.push(`${table}.${a.column_name}`);
  }
  const colState: ItemState = problems.some((p) => p.severity === "fail") ? "fail" : problems.length ? "warn" : "pass";
  const expectedCount = LEGACY_COLUMNS.prestamos.length + LEGACY_COLUMNS.pagos_prestamo.length;
  const items: CheckItem[] = [
    {
      id: "legacy.columns",
      group: "Legacy tables",
      label: "Columns and types",
      state: colState,
      figure:
        problems.length === 0
          ? `all ${expectedCount} columns as the contract expects${extra.length ? `; extra columns ignored: ${extra.join(", ")}` : ""}`
          : problems.map((p) => `${p.table}.${p.column}: expected ${p.expected}, found ${p.actual}`).join("; "),
      why: "The rules read these columns by name and type; a missing or retyped column makes every batch fail or silently map values differently.",
      data: { problems, extra },
    },
  ];

  const idx = await queryRows<{ name: string }>(
    db,
    sql`SELECT i.relname::text AS name
        FROM pg_index x
        JOIN pg_class t ON t.oid = x.indrelid
        JOIN pg_class i ON i.oid = x.indexrelid
        JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = x.indkey[0]
        WHERE t.relname = 'pagos_prestamo' AND t.relnamespace = to_regnamespace(current_schema())
          AND a.attname = 'prestamo_id' AND x.indisvalid AND x.indpred IS NULL`,
  );
  items.push({
    id: "legacy.pagos_index",
    group: "Legacy tables",
    label: "Index on pagos_prestamo.prestamo_id",
    state: idx.length ? "pass" : "fail",
    figure: idx.length ? `present: ${idx.map((i) => i.name).join(", ")}` : "missing: no valid index leads with pagos_prestamo.prestamo_id",
    why: "Every batch, sync and consistency check looks up the pagos of each prestamo; without the index each lookup scans the whole pagos table and a run at 1M rows takes days while loading the application's database.",
    data: { indexes: idx.map((i) => i.name) },
  });

  const size = await queryOne<Record<string, unknown>>(
    db,
    sql`SELECT coalesce(pg_total_relation_size(to_regclass('prestamos')), 0)::float8 AS p,
               coalesce(pg_total_relation_size(to_regclass('pagos_prestamo')), 0)::float8 AS g,
               coalesce(pg_total_relation_size(to_regclass('prestamos_new')), 0)::float8 AS np,
               coalesce(pg_total_relation_size(to_regclass('pagos_prestamo_new')), 0)::float8 AS ng,
               (SELECT count(*) FROM prestamos_new)::int AS np_rows,
               (SELECT count(*) FROM pagos_prestamo_new)::int AS ng_rows`,
  );
  const legacyBytes = Number(size?.p ?? 0) + Number(size?.g ?? 0);
  const npRows = Number(size?.np_rows ?? 0);
  const ngRows = Number(size?.ng_rows ?? 0);
  const validPrestamos = verify?.dryRun.valid ?? verify?.legacy.prestamos ?? 0;
  const validPagos = verify?.dryRun.pagosOfValid ?? verify?.legacy.pagos ?? 0;
  const extrapolate = npRows >= 1000 && ngRows > 0;
  const estimate = extrapolate
    ? Math.round((Number(size?.np) / npRows) * validPrestamos + (Number(size?.ng) / ngRows) * validPagos)
    : Math.round(legacyBytes * NEW_SIZE_FACTOR);
  items.push({
    id: "legacy.size",
    group: "Legacy tables",
    label: "Rows and size on disk",
    state: "pass",
    figure:
      `${verify ? `${n(verify.legacy.prestamos)} prestamos and ${n(verify.legacy.pagos)} pagos; ` : ""}` +
      `${bytes(legacyBytes)} on disk (prestamos ${bytes(Number(size?.p ?? 0))}, pagos ${bytes(Number(size?.g ?? 0))}); ` +
      `new tables estimated at ${bytes(estimate)} ${extrapolate ? `(their bytes per row so far × the valid rows)` : `(legacy size × ${NEW_SIZE_FACTOR})`}`,
    why: "The new tables, their indexes and the write-ahead log need room on the same disk; running out of space mid-run stops the application's database too.",
    data: {
      prestamos: verify?.legacy.prestamos ?? null,
      pagos: verify?.legacy.pagos ?? null,
      legacyBytes,
      prestamosBytes: Number(size?.p ?? 0),
      pagosBytes: Number(size?.g ?? 0),
      newTablesBytesNow: Number(size?.np ?? 0) + Number(size?.ng ?? 0),
      estimatedNewBytes: estimate,
      estimate: extrapolate ? "extrapolated from the new tables' bytes per row" : `legacy size × ${NEW_SIZE_FACTOR}`,
      driver: ctx.driver,
    },
  });
  return items;
}

async function quietItem(db: Exec, ctx: PreflightContext, settings: PreflightSettings, rate: WriteRate): Promise<CheckItem> {
  const tc = await queryOne<{ on: string }>(db, sql`SELECT current_setting('track_counts') AS on`);
  const why =
    "A migration under heavy writes keeps change capture busy and the backlog long; a quiet period (night, weekend) makes the run faster and the final check meaningful.";
  const base = { id: "quiet.write_rate", group: "Quiet period", label: "Legacy write rate (last minute)", why };
  const embedded = ctx.driver === "pglite";
  if (tc?.on === "off") {
    return { ...base, state: "warn", figure: "not measurable: track_counts is off, so pg_stat_user_tables counts nothing", data: { ...rate, threshold: settings.maxWritesPerSecond } };
  }
  if (!rate.measurable) {
    return {
      ...base,
      state: "warn",
      figure: `not measurable${embedded ? " on the embedded database" : ""} yet: ${rate.reason}`,
      data: { ...rate, threshold: settings.maxWritesPerSecond },
    };
  }
  const over = (rate.totalPerSec ?? 0) > settings.maxWritesPerSecond;
  return {
    ...base,
    state: over ? "warn" : "pass",
    figure:
      `${rate.totalPerSec} writes/s (inserts ${rate.insertsPerSec}, updates ${rate.updatesPerSec}, deletes ${rate.deletesPerSec}) over ${rate.overSeconds} s; ` +
      `threshold ${settings.maxWritesPerSecond}/s${embedded ? ". Embedded: only this console can write to its folder, so these are its own test-data writes" : ""}`,
    data: { ...rate, threshold: settings.maxWritesPerSecond },
  };
}

function dryRunItem(verify: VerifyReport | null, error: string | null): CheckItem {
  const base = {
    id: "dry_run",
    group: "Dry run",
    label: "Dry run of the rules",
    link: "/verify",
    why: "Invalid prestamos are recorded as failures, never migrated; above the run's error threshold (1 % by default) the run halts itself. Orphan pagos are never migrated.",
  };
  if (error) return { ...base, state: "fail", figure: `the dry run could not run: ${error}` };
  if (!verify) return { ...base, state: "warn", figure: "not computed at start (it scans the whole table): open Pre-flight or Verify to compute it" };
  const d = verify.dryRun;
  const codes = FAILURE_CODES.filter((c) => d.byCode[c] > 0).map((c) => `${c} ${n(d.byCode[c])}`);
  const pct = d.checked ? (d.invalid / d.checked) * 100 : 0;
  return {
    ...base,
    state: d.invalid > 0 || verify.legacy.orphanPagos > 0 ? "warn" : "pass",
    figure:
      `${n(d.invalid)} of ${n(d.checked)} prestamos invalid (${pct.toFixed(2)} %${pct > RUN_DEFAULTS.errorThresholdPct ? `: above the default ${RUN_DEFAULTS.errorThresholdPct} % threshold, a run with it halts` : ""})` +
      `${codes.length ? ` — ${codes.join(", ")}` : ""}; ` +
      `${n(verify.legacy.orphanPagos)} orphan pagos (${n(verify.legacy.orphanPagosNull)} without prestamo_id, ${n(verify.legacy.orphanPagosDangling)} dangling)`,
    data: { checked: d.checked, invalid: d.invalid, invalidPct: Number(pct.toFixed(4)), byCode: d.byCode, orphanPagos: verify.legacy.orphanPagos, checkedAt: verify.checkedAt },
  };
}

const CONFIRM_TEXT: Record<string, { label: string; why: string }> = {
  backup_taken: {
    label: "A backup of the legacy tables exists",
    why: "The console never changes legacy rows, but its triggers sit on the application's tables during the whole migration; a backup is the way back from anything unforeseen.",
  },
  team_notified: {
    label: "The team was notified",
    why: "The application's owners and on-call should know that triggers are installed and a run loads the database.",
  },
  issues_documented: {
    label: "Issues are documented",
    why: "Failed prestamos and warnings need an owner and a decision (fix in legacy and retry, or accept) written down.",
  },
  final_backup_taken: {
    label: "A final backup was taken",
    why: "Before the legacy tables are retired, a backup of both the legacy and the new tables is the last way back.",
  },
};

export function confirmationItems(phase: "preflight" | "checklist", confirmations: Record<string, Confirmation | null>): CheckItem[] {
  return Object.entries(confirmations).map(([item, c]) => ({
    id: `confirm.${item}`,
    group: "Confirmed by a person",
    label: CONFIRM_TEXT[item]?.label ?? item,
    state: c ? "confirmed" : "warn",
    figure: c ? `confirmed by ${c.confirmedBy} at ${c.confirmedAt}${c.reference ? ` — ${c.reference}` : ""}` : `not confirmed: an admin confirms it on the ${phase === "preflight" ? "Pre-flight" : "Checklist"} page`,
    why: CONFIRM_TEXT[item]?.why ?? "",
    confirmation: c,
  }));
}

export function overallOf(items: CheckItem[]): "pass" | "warn" | "fail" {
  return items.some((i) => i.state === "fail") ? "fail" : items.some((i) => i.state === "warn" || i.state === "unmeasured") ? "warn" : "pass";
}

/**
 * The pre-flight report. `dryRun`: "cached" (GET: a cached result up to a minute old, else a scan),
 * "fresh" (scan now), "start" (a cached result up to 15 minutes old, else none: a start never scans).
 */
export async function getPreflight(db: Db, ctx: PreflightContext, opts: { dryRun?: "cached" | "fresh" | "start" } = {}): Promise<PreflightReport> {
  const checkedAt = new Date().toISOString();
  let verify: { report: VerifyReport; cached: boolean } | null = null;
  let dryError: string | null = null;
  try {
    verify = await cachedVerify(db, ctx.driver, opts.dryRun ?? "cached");
  } catch (err) {
    dryError = message(err);
  }
  const settings = await getPreflightSettings(db);
  const rate = await getWriteRate(db);
  const schema = (await queryOne<{ s: string }>(db, sql`SELECT current_schema() AS s`))?.s ?? "public";
  const items: CheckItem[] = [
    ...(await databaseItems(db, ctx)),
    ...(await legacyTableItems(db, verify?.report ?? null, ctx).catch((err): CheckItem[] => [
      { id: "legacy.tables", group: "Legacy tables", label: "Legacy tables", state: "fail", figure: `could not be read: ${message(err)}`, why: "The console migrates these tables." },
    ])),
    await quietItem(db, ctx, settings, rate),
    dryRunItem(verify?.report ?? null, dryError),
    ...confirmationItems("preflight", await activeConfirmations(db, "preflight")),
  ];
  const dryAt = verify?.report.checkedAt ?? null;
  return {
    checkedAt,
    overall: overallOf(items),
    failing: items.filter((i) => i.state === "fail").map((i) => i.id),
    warnings: items.filter((i) => i.state === "warn").map((i) => i.id),
    items,
    backup: backupAdvice(ctx, schema),
    settings,
    writeRate: rate,
    dryRun: dryAt ? { checkedAt: dryAt, cached: verify!.cached, ageSeconds: Math.max(0, Math.round((Date.now() - Date.parse(dryAt)) / 1000)) } : null,
  };
}

export function toSnapshot(report: PreflightReport, override: boolean): PreflightSnapshot {
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
    throw new AppError(
      "CONFLICT",
      `Pre-flight fails (${report.failing.join(", ")}): fix it, or send confirmPreflight "${START_ANYWAY}" to start anyway`,
      { failing, confirmPreflight: START_ANYWAY },
    );
  }
  return toSnapshot(report, true);
}
