/**
 * The measured items of the pre-flight: the database (version, connections), the legacy tables as
 * the contract expects them (columns and types, the pagos index, size), the quiet period (write
 * rate) and the dry run of the rules.
 */
import { sql } from "drizzle-orm";
import type { Driver, Exec } from "@/db/client";
import { queryOne, queryRows } from "@/db/sql";
import { bytes, count, type CheckItem, type ItemState } from "./check-items";
import type { PreflightSettings } from "./console-settings";
import { FAILURE_CODES } from "./rules";
import { RUN_DEFAULTS } from "./runs";
import type { VerifyReport } from "./verify";
import type { DryRunRead } from "./preflight";
import type { WriteRate } from "./write-samples";

/** The legacy contract (../shared/legacy-schema.sql, db/migrate.ts LEGACY_SCHEMA_SQL): column → type and NOT NULL. */
const LEGACY_COLUMNS: Readonly<Record<"prestamos" | "pagos_prestamo", readonly { name: string; type: string; notNull: boolean }[]>> = {
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
const NEW_SIZE_FACTOR = 1.3;
/** The console's postgres.js pool (db/client.ts getDbHandle: max 10). */
export const CONSOLE_POOL_SIZE = 10;
/** A run needs the pool plus headroom for psql and a second instance's health check. */
const CONNECTION_HEADROOM = 2;
function typeOf(c: { data_type: string; character_maximum_length: number | null; numeric_precision: number | null; numeric_scale: number | null }): string {
  if (c.data_type === "character varying" || c.data_type === "character") {
    return c.character_maximum_length == null ? c.data_type : `${c.data_type}(${c.character_maximum_length})`;
  }
  if (c.data_type === "numeric") return c.numeric_precision == null ? "numeric" : `numeric(${c.numeric_precision},${c.numeric_scale ?? 0})`;
  return c.data_type;
}

const family = (t: string) =>
  /^(character|text)/.test(t) ? "text" : /^(numeric|integer|bigint|smallint|real|double)/.test(t) ? "number" : /^timestamp/.test(t) ? "timestamp" : t;

export async function databaseItems(db: Exec, driver: Driver, pool: number): Promise<CheckItem[]> {
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
  const short = /PGlite/.test(version)
    ? version.replace(/^(PostgreSQL [\d.]+ \(PGlite [\d.]+\)).*$/s, "$1")
    : version.replace(/^(PostgreSQL [\d.]+).*$/s, "$1");
  const num = Number(row?.num ?? 0);
  const items: CheckItem[] = [
    {
      id: "database.reachable",
      group: "Database",
      label: "Reachable, version",
      state: num >= 140000 ? "pass" : "warn",
      figure: `${short}${driver === "pglite" ? " — embedded" : ""}`,
      why: "The contract names PostgreSQL 14 or newer; the rules' SQL and the change-capture triggers are written for it.",
      data: { version, versionNum: num, driver },
    },
  ];
  if (driver === "pglite") {
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
    figure: `${count(inUse)} in use of ${count(usable)} (max_connections ${count(max)} − ${count(reserved)} reserved); a run needs up to ${count(needed)} (pool ${pool} + ${CONNECTION_HEADROOM}), the console holds ${count(ours)}; ${count(free)} free`,
    why: "When the pool cannot open its connections, batches wait and time out, and the application itself may be refused connections.",
    data: { maxConnections: max, reserved, inUse, console: ours, needed, free },
  });
  return items;
}

export async function legacyTableItems(db: Exec, verify: VerifyReport | null, driver: Driver): Promise<CheckItem[]> {
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

  // The new tables' rows are the planner's estimate (-1: never analyzed): an exact count walked
  // all of them (6 s at 10,000,000 prestamos) on every pre-flight, the Overview's included, for
  // an estimate of disk space.
  const size = await queryOne<Record<string, unknown>>(
    db,
    sql`SELECT coalesce(pg_total_relation_size(to_regclass('prestamos')), 0)::float8 AS p,
               coalesce(pg_total_relation_size(to_regclass('pagos_prestamo')), 0)::float8 AS g,
               coalesce(pg_total_relation_size(to_regclass('prestamos_new')), 0)::float8 AS np,
               coalesce(pg_total_relation_size(to_regclass('pagos_prestamo_new')), 0)::float8 AS ng,
               greatest(coalesce((SELECT reltuples FROM pg_class WHERE oid = to_regclass('prestamos_new')), 0), 0)::float8 AS np_rows,
               greatest(coalesce((SELECT reltuples FROM pg_class WHERE oid = to_regclass('pagos_prestamo_new')), 0), 0)::float8 AS ng_rows`,
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
      `${verify ? `${count(verify.legacy.prestamos)} prestamos and ${count(verify.legacy.pagos)} pagos; ` : ""}` +
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
      driver,
    },
  });
  return items;
}

export async function quietItem(db: Exec, driver: Driver, settings: PreflightSettings, rate: WriteRate): Promise<CheckItem> {
  const tc = await queryOne<{ on: string }>(db, sql`SELECT current_setting('track_counts') AS on`);
  const why =
    "A migration under heavy writes keeps change capture busy and the backlog long; a quiet period (night, weekend) makes the run faster and the final check meaningful.";
  const base = { id: "quiet.write_rate", group: "Quiet period", label: "Legacy write rate (last minute)", why };
  const embedded = driver === "pglite";
  if (tc?.on === "off") {
    return {
      ...base,
      state: "warn",
      figure: "not measurable: track_counts is off, so pg_stat_user_tables counts nothing",
      data: { ...rate, threshold: settings.maxWritesPerSecond },
    };
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

export function dryRunItem(dry: DryRunRead): CheckItem {
  const verify = dry.report;
  const base = {
    id: "dry_run",
    group: "Dry run",
    label: "Dry run of the rules",
    link: "/verify",
    why: "Invalid prestamos are recorded as failures, never migrated; above the run's error threshold (1 % by default) the run halts itself. Orphan pagos are never migrated.",
  };
  if (!verify && dry.refreshing) return { ...base, state: "warn", figure: "being computed in the background (it scans the whole legacy table)" };
  if (!verify && dry.error) return { ...base, state: "fail", figure: `the dry run could not run: ${dry.error}` };
  if (!verify)
    return { ...base, state: "warn", figure: "none recent (it scans the whole legacy table, in the background): recompute it on Pre-flight or Verify" };
  const d = verify.dryRun;
  const codes = FAILURE_CODES.filter((c) => d.byCode[c] > 0).map((c) => `${c} ${count(d.byCode[c])}`);
  const pct = d.checked ? (d.invalid / d.checked) * 100 : 0;
  return {
    ...base,
    state: d.invalid > 0 || verify.legacy.orphanPagos > 0 ? "warn" : "pass",
    figure:
      `${count(d.invalid)} of ${count(d.checked)} prestamos invalid (${pct.toFixed(2)} %${pct > RUN_DEFAULTS.errorThresholdPct ? `: above the default ${RUN_DEFAULTS.errorThresholdPct} % threshold, a run with it halts` : ""})` +
      `${codes.length ? ` — ${codes.join(", ")}` : ""}; ` +
      `${count(verify.legacy.orphanPagos)} orphan pagos (${count(verify.legacy.orphanPagosNull)} without prestamo_id, ${count(verify.legacy.orphanPagosDangling)} dangling)`,
    data: {
      checked: d.checked,
      invalid: d.invalid,
      invalidPct: Number(pct.toFixed(4)),
      byCode: d.byCode,
      orphanPagos: verify.legacy.orphanPagos,
      checkedAt: verify.checkedAt,
    },
  };
}
