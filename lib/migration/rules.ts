/**
 * THE field rules of MIGRATION-SPEC §3, written once. Each rule has its TypeScript form and its
 * SQL form side by side; a parity test runs both over the same dirty inputs. The SQL transform,
 * the validation that records failures, the consistency check and the per-prestamo diff are all
 * generated from the tables below (see sql-builder.ts).
 */
import { sql } from "drizzle-orm";
import type { Db } from "@/db/client";

/* ── Shared vocabulary ─────────────────────────────────────────────────────────────── */

export const FAILURE_CODES = [
  "INVALID_CLIENTE",
  "INVALID_MONTO",
  "INVALID_TASA",
  "INVALID_PLAZO",
  "INVALID_FECHA",
  "UNKNOWN_ESTADO",
  "UNKNOWN_MONEDA",
  "INVALID_PAGO",
] as const;
export type FailureCode = (typeof FAILURE_CODES)[number];

export const ESTADOS = ["activo", "en_mora", "pagado", "castigado", "anulado"] as const;
export type Estado = (typeof ESTADOS)[number];
export const MONEDAS = ["PEN", "USD"] as const;
export type Moneda = (typeof MONEDAS)[number];
export const METODOS = ["efectivo", "transferencia", "deposito", "cheque", "otro"] as const;
export type Metodo = (typeof METODOS)[number];

// The lookups keyed by legacy data are Maps: a plain object answers its prototype's members for
// keys such as "constructor" or "__proto__".
const lookup = <V>(entries: Record<string, V>): ReadonlyMap<string, V> => new Map(Object.entries(entries));

/** lower(clean(x)) → estado. Anything else fails (UNKNOWN_ESTADO). */
export const ESTADO_MAP = lookup<Estado>({
  activo: "activo",
  vigente: "activo",
  "al dia": "activo",
  mora: "en_mora",
  "en mora": "en_mora",
  en_mora: "en_mora",
  moroso: "en_mora",
  vencido: "en_mora",
  pagado: "pagado",
  cancelado: "pagado",
  liquidado: "pagado",
  castigado: "castigado",
  anulado: "anulado",
});

/** upper(clean(x)) → moneda; NULL and empty are PEN. Anything else fails (UNKNOWN_MONEDA). */
export const MONEDA_MAP = lookup<Moneda>({
  "": "PEN",
  PEN: "PEN",
  "S/": "PEN",
  "S/.": "PEN",
  SOLES: "PEN",
  USD: "USD",
  US$: "USD",
  DOLARES: "USD",
});

/** lower(clean(x)) → metodo; anything else, NULL included, is `otro` (never fails). */
export const METODO_MAP = lookup<Metodo>({
  efectivo: "efectivo",
  cash: "efectivo",
  transferencia: "transferencia",
  transf: "transferencia",
  tef: "transferencia",
  deposito: "deposito",
  cheque: "cheque",
});

/* ── The TypeScript forms ──────────────────────────────────────────────────────────── */

// White space is exactly space, tab, LF, CR, FF, VT: the same class in JS and PostgreSQL regexes.
const WHITESPACE_RUN = /[ \t\n\r\f\v]+/g;

/** clean(x): trim white space at both ends and collapse inner runs to one space; NULL stays NULL. */
export function clean(x: string | null): string | null {
  if (x === null) return null;
  const collapsed = x.replace(WHITESPACE_RUN, " ");
  return collapsed.replace(/^ /, "").replace(/ $/, "");
}

// Case is folded on ASCII letters only, so that TS and SQL agree whatever the database locale.
export const asciiLower = (s: string) => s.replace(/[A-Z]/g, (c) => c.toLowerCase());
export const asciiUpper = (s: string) => s.replace(/[a-z]/g, (c) => c.toUpperCase());

function daysInMonth(y: number, m: number): number {
  if (m === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

/** A valid date per §3 as `YYYY-MM-DD`, or null. */
export function parseDate(x: string | null): string | null {
  const c = clean(x);
  if (!c) return null;
  let y: number, m: number, d: number;
  let match = /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/.exec(c);
  if (match) {
    [y, m, d] = [Number(match[1]), Number(match[2]), Number(match[3])];
  } else if ((match = /^([0-9]{1,2})\/([0-9]{1,2})\/([0-9]{4})$/.exec(c))) {
    [d, m, y] = [Number(match[1]), Number(match[2]), Number(match[3])];
  } else {
    return null;
  }
  if (y < 1900 || y > 2100 || m < 1 || m > 12 || d < 1 || d > daysInMonth(y, m)) return null;
  return `${String(y).padStart(4, "0")}-${String(m).padStart(2, "0")}-${String(d).padStart(2, "0")}`;
}

export function mapEstado(x: string | null): Estado | null {
  const c = clean(x);
  return c === null ? null : (ESTADO_MAP.get(asciiLower(c)) ?? null);
}

export function mapMoneda(x: string | null): Moneda | null {
  const c = clean(x);
  return c === null ? "PEN" : (MONEDA_MAP.get(asciiUpper(c)) ?? null);
}

export function mapMetodo(x: string | null): Metodo {
  const c = clean(x);
  return (c === null ? undefined : METODO_MAP.get(asciiLower(c))) ?? "otro";
}

export function documento(x: string | null): string | null {
  if (x === null) return null;
  const kept = asciiUpper(x.replace(/[^0-9A-Za-z]/g, ""));
  return kept === "" ? null : kept;
}

/** numeric(12,2) text → cents, exactly (no floating point). */
export function toCents(x: string): number {
  const neg = x.trim().startsWith("-");
  const [int, frac = ""] = x.trim().replace(/^[-+]/, "").split(".");
  const cents = Number(int) * 100 + Number((frac + "00").slice(0, 2));
  return neg ? -cents : cents;
}

/** tasa in percent (numeric(6,3) text) → fraction with 6 decimals, as numeric(9,6) prints it. */
export function tasaFraction(x: string): string {
  const thousandths = Math.round(Number(x) * 1000); // numeric(6,3): exact in thousandths
  const neg = thousandths < 0;
  const abs = Math.abs(thousandths); // fraction = thousandths / 100000
  const int = Math.floor(abs / 100000);
  const frac = String(abs % 100000).padStart(5, "0") + "0";
  return `${neg ? "-" : ""}${int}.${frac}`;
}

/** date + n months with PostgreSQL's month arithmetic: the day is clamped to the month's end. */
export function addMonths(isoDate: string, months: number): string {
  const [y, m, d] = isoDate.split("-").map(Number);
  const total = y * 12 + (m - 1) + months;
  const ny = Math.floor(total / 12);
  const nm = (total % 12) + 1;
  const nd = Math.min(d, daysInMonth(ny, nm));
  return `${String(ny).padStart(4, "0")}-${String(nm).padStart(2, "0")}-${String(nd).padStart(2, "0")}`;
}

/* ── The rules table ───────────────────────────────────────────────────────────────── */

/** A legacy prestamo as read (numeric columns as strings, as both drivers return them). */
export interface LegacyPrestamo {
  id: number;
  cliente_nombre: string | null;
  cliente_documento: string | null;
  monto: string | null;
  tasa_interes: string | null;
  plazo_meses: number | null;
  fecha_otorgamiento: string | null;
  estado: string | null;
  moneda: string | null;
  updated_at: string;
}

export interface LegacyPago {
  id: number;
  prestamo_id: number | null;
  monto: string | null;
  fecha_pago: string | null;
  metodo: string | null;
  anulado: boolean;
}

type Checked<T> = { ok: true; value: T } | { ok: false };
const ok = <T>(value: T): Checked<T> => ({ ok: true, value });
const failed = { ok: false } as const;

/**
 * One field rule. `sqlValue` is an SQL expression over the legacy row `l` giving the new value
 * (NULL when it cannot be computed); statements evaluate it ONCE per row. `sqlFails(raw, value)`
 * builds the boolean "this rule fails" from the SQL of the raw legacy field and of the computed
 * value, so each statement can place them where it keeps them. `ts` is the same rule in
 * TypeScript. `field` is the legacy column the rule reads (reported with a failure).
 */
export interface FieldRule<Row> {
  column: string;
  field: keyof Row & string;
  code?: FailureCode;
  sqlValue: string;
  sqlFails?: (raw: string, value: string) => string;
  ts: (row: Row) => Checked<unknown>;
}

export const PRESTAMO_RULES: readonly FieldRule<LegacyPrestamo>[] = [
  {
    column: "cliente_nombre",
    field: "cliente_nombre",
    code: "INVALID_CLIENTE",
    sqlValue: "console_clean(l.cliente_nombre)",
    sqlFails: (_raw, value) => `coalesce(${value}, '') = ''`,
    ts: (r) => {
      const c = clean(r.cliente_nombre);
      return c ? ok(c) : failed;
    },
  },
  {
    column: "cliente_documento",
    field: "cliente_documento",
    sqlValue: "console_documento(l.cliente_documento)",
    ts: (r) => ok(documento(r.cliente_documento)),
  },
  {
    column: "monto_cents",
    field: "monto",
    code: "INVALID_MONTO",
    sqlValue: "(l.monto * 100)::bigint",
    sqlFails: (raw) => `${raw} IS NULL OR ${raw} <= 0`,
    ts: (r) => (r.monto === null || Number(r.monto) <= 0 ? failed : ok(toCents(r.monto))),
  },
  {
    column: "tasa_anual",
    field: "tasa_interes",
    code: "INVALID_TASA",
    sqlValue: "(l.tasa_interes / 100)::numeric(9,6)",
    sqlFails: (raw) => `${raw} IS NULL OR ${raw} < 0 OR ${raw} > 200`,
    ts: (r) => {
      if (r.tasa_interes === null) return failed;
      const t = Number(r.tasa_interes);
      return t < 0 || t > 200 ? failed : ok(tasaFraction(r.tasa_interes));
    },
  },
  {
    column: "plazo_meses",
    field: "plazo_meses",
    code: "INVALID_PLAZO",
    sqlValue: "l.plazo_meses",
    sqlFails: (raw) => `${raw} IS NULL OR ${raw} < 1 OR ${raw} > 600`,
    ts: (r) => (r.plazo_meses === null || r.plazo_meses < 1 || r.plazo_meses > 600 ? failed : ok(r.plazo_meses)),
  },
  {
    column: "fecha_otorgamiento",
    field: "fecha_otorgamiento",
    code: "INVALID_FECHA",
    sqlValue: "console_parse_date(l.fecha_otorgamiento)",
    sqlFails: (_raw, value) => `${value} IS NULL`,
    ts: (r) => {
      const d = parseDate(r.fecha_otorgamiento);
      return d ? ok(d) : failed;
    },
  },
  {
    column: "estado",
    field: "estado",
    code: "UNKNOWN_ESTADO",
    sqlValue: "console_map_estado(l.estado)",
    sqlFails: (_raw, value) => `${value} IS NULL`,
    ts: (r) => {
      const e = mapEstado(r.estado);
      return e ? ok(e) : failed;
    },
  },
  {
    column: "moneda",
    field: "moneda",
    code: "UNKNOWN_MONEDA",
    sqlValue: "console_map_moneda(l.moneda)",
    sqlFails: (_raw, value) => `${value} IS NULL`,
    ts: (r) => {
      const m = mapMoneda(r.moneda);
      return m ? ok(m) : failed;
    },
  },
  {
    column: "legacy_updated_at",
    field: "updated_at",
    sqlValue: "l.updated_at",
    ts: (r) => ok(r.updated_at),
  },
];

/** Pago rules: each failure is INVALID_PAGO with the pago's legacy id. */
export const PAGO_RULES: readonly FieldRule<LegacyPago>[] = [
  {
    column: "monto_cents",
    field: "monto",
    code: "INVALID_PAGO",
    sqlValue: "(l.monto * 100)::bigint",
    sqlFails: (raw) => `${raw} IS NULL OR ${raw} <= 0`,
    ts: (r) => (r.monto === null || Number(r.monto) <= 0 ? failed : ok(toCents(r.monto))),
  },
  {
    column: "fecha_pago",
    field: "fecha_pago",
    code: "INVALID_PAGO",
    sqlValue: "console_parse_date(l.fecha_pago)",
    sqlFails: (_raw, value) => `${value} IS NULL`,
    ts: (r) => {
      const d = parseDate(r.fecha_pago);
      return d ? ok(d) : failed;
    },
  },
  {
    column: "metodo",
    field: "metodo",
    sqlValue: "console_map_metodo(l.metodo)",
    ts: (r) => ok(mapMetodo(r.metodo)),
  },
  {
    column: "anulado",
    field: "anulado",
    sqlValue: "l.anulado",
    ts: (r) => ok(r.anulado),
  },
];

/**
 * Columns derived from the parsed values and the pagos (§2). SQL over `v` (parsed prestamo) and
 * `a` (aggregates of its pagos that are not anulado: total_cents, n, ultimo).
 */
export const DERIVED_PRESTAMO_COLUMNS = [
  { column: "fecha_vencimiento", sql: "(v.fecha_otorgamiento + make_interval(months => v.plazo_meses))::date" },
  { column: "total_pagado_cents", sql: "coalesce(a.total_cents, 0)::bigint" },
  { column: "pagos_count", sql: "coalesce(a.n, 0)::int" },
  { column: "ultimo_pago", sql: "a.ultimo" },
  { column: "saldo_cents", sql: "(v.monto_cents - coalesce(a.total_cents, 0))::bigint" },
] as const;

/** Every column of prestamos_new the rules produce, in table order (consistency and diff compare these). */
export const PRESTAMO_COLUMNS = [
  "cliente_nombre",
  "cliente_documento",
  "monto_cents",
  "tasa_anual",
  "plazo_meses",
  "fecha_otorgamiento",
  "fecha_vencimiento",
  "estado",
  "moneda",
  "total_pagado_cents",
  "pagos_count",
  "ultimo_pago",
  "saldo_cents",
  "legacy_updated_at",
] as const;
export const PAGO_COLUMNS = ["monto_cents", "fecha_pago", "metodo", "anulado"] as const;

/** The legacy field behind each new column (for the diff's "legacy value as stored"). */
export const LEGACY_SOURCE: Readonly<Record<(typeof PRESTAMO_COLUMNS)[number], string>> = {
  cliente_nombre: "cliente_nombre",
  cliente_documento: "cliente_documento",
  monto_cents: "monto",
  tasa_anual: "tasa_interes",
  plazo_meses: "plazo_meses",
  fecha_otorgamiento: "fecha_otorgamiento",
  fecha_vencimiento: "fecha_otorgamiento + plazo_meses",
  estado: "estado",
  moneda: "moneda",
  total_pagado_cents: "pagos.monto (not anulado)",
  pagos_count: "pagos (not anulado)",
  ultimo_pago: "pagos.fecha_pago (not anulado)",
  saldo_cents: "monto − pagos",
  legacy_updated_at: "updated_at",
};

/* ── Whole-prestamo transform in TypeScript (tests, generator expectations) ────────── */

export interface Failure {
  code: FailureCode;
  field: string;
  value: string | null;
  pagoId: number | null;
}

export type TransformResult =
  | { ok: true; prestamo: Record<(typeof PRESTAMO_COLUMNS)[number], unknown>; pagos: { legacyId: number; values: Record<(typeof PAGO_COLUMNS)[number], unknown> }[] }
  | { ok: false; failures: Failure[] };

const rawText = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

export function transformPrestamo(p: LegacyPrestamo, pagos: LegacyPago[]): TransformResult {
  const failures: Failure[] = [];
  const values: Record<string, unknown> = {};
  for (const rule of PRESTAMO_RULES) {
    const r = rule.ts(p);
    if (r.ok) values[rule.column] = r.value;
    else failures.push({ code: rule.code!, field: rule.field, value: rawText(p[rule.field]), pagoId: null });
  }
  const newPagos: { legacyId: number; values: Record<string, unknown> }[] = [];
  for (const g of [...pagos].sort((a, b) => a.id - b.id)) {
    const pv: Record<string, unknown> = {};
    for (const rule of PAGO_RULES) {
      const r = rule.ts(g);
      if (r.ok) pv[rule.column] = r.value;
      else failures.push({ code: rule.code!, field: rule.field, value: rawText(g[rule.field]), pagoId: g.id });
    }
    newPagos.push({ legacyId: g.id, values: pv });
  }
  if (failures.length) return { ok: false, failures };
  const live = newPagos.filter((g) => !g.values.anulado);
  const total = live.reduce((s, g) => s + (g.values.monto_cents as number), 0);
  const ultimo = live.reduce<string | null>((m, g) => (m === null || (g.values.fecha_pago as string) > m ? (g.values.fecha_pago as string) : m), null);
  return {
    ok: true,
    prestamo: {
      ...(values as Record<string, unknown>),
      fecha_vencimiento: addMonths(values.fecha_otorgamiento as string, values.plazo_meses as number),
      total_pagado_cents: total,
      pagos_count: live.length,
      ultimo_pago: ultimo,
      saldo_cents: (values.monto_cents as number) - total,
    } as Record<(typeof PRESTAMO_COLUMNS)[number], unknown>,
    pagos: newPagos as { legacyId: number; values: Record<(typeof PAGO_COLUMNS)[number], unknown> }[],
  };
}

/* ── The SQL forms of the scalar rules, generated from the maps above ──────────────── */

const lit = (s: string) => `'${s.replace(/'/g, "''")}'`;
const caseMap = (expr: string, map: ReadonlyMap<string, string>, otherwise: string) =>
  `CASE ${expr} ${[...map]
    .map(([k, v]) => `WHEN ${lit(k)} THEN ${lit(v)}`)
    .join(" ")} ELSE ${otherwise} END`;

// The class of WHITESPACE_RUN as an SQL string (E'' strings know no \v: VT is \x0b).
const WHITESPACE_SQL = "E' \\t\\n\\r\\f\\x0b'";
/**
 * clean(x) as the map lookups need it. When no key of the map holds white space, a value with
 * white space inside matches no key either way, so trimming the ends (btrim, no regex) gives the
 * same result as clean() at a fraction of the cost (6 pagos per prestamo go through it).
 */
const cleanedFor = (map: ReadonlyMap<string, string>) =>
  [...map.keys()].some((k) => /[ \t\n\r\f\v]/.test(k)) ? "console_clean(x)" : `btrim(x, ${WHITESPACE_SQL})`;

// lower()/upper() under COLLATE "C" fold ASCII letters only, like asciiLower/asciiUpper.
export const RULE_FUNCTIONS_SQL = [
  `CREATE OR REPLACE FUNCTION console_clean(x text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
   $$ SELECT btrim(regexp_replace(x, '[ \\t\\n\\r\\f\\v]+', ' ', 'g'), ' ') $$`,
  // The date rule, one pass and no regex (measured 35 % faster than regex matches, which the
  // planner's inlining evaluated several times per value). clean() only touches white space and
  // no date form contains any, so trimming the ends is clean() here. make_date is reached only
  // with a valid y/m/d: never an error.
  `CREATE OR REPLACE FUNCTION console_parse_date(x text) RETURNS date LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
   DECLARE
     t text := btrim(x, ${WHITESPACE_SQL});
     shape text := translate(t, '123456789', '000000000');
     y int; m int; d int; dim int;
   BEGIN
     IF shape = '0000-00-00' THEN
       y := substr(t, 1, 4)::int; m := substr(t, 6, 2)::int; d := substr(t, 9, 2)::int;
     ELSIF shape IN ('0/0/0000', '00/0/0000', '0/00/0000', '00/00/0000') THEN
       d := split_part(t, '/', 1)::int; m := split_part(t, '/', 2)::int; y := split_part(t, '/', 3)::int;
     ELSE
       RETURN NULL;
     END IF;
     IF y < 1900 OR y > 2100 OR m < 1 OR m > 12 OR d < 1 THEN RETURN NULL; END IF;
     IF d > 28 THEN
       -- (plpgsql ends an IF condition at its first THEN: the month length goes in a variable)
       dim := CASE WHEN m = 2 THEN CASE WHEN (y % 4 = 0 AND y % 100 <> 0) OR y % 400 = 0 THEN 29 ELSE 28 END
                   WHEN m IN (4, 6, 9, 11) THEN 30 ELSE 31 END;
       IF d > dim THEN RETURN NULL; END IF;
     END IF;
     RETURN make_date(y, m, d);
   END $$`,
  // Earlier versions' helpers of the date rule.
  `DROP FUNCTION IF EXISTS console_parse_date_cleaned(text)`,
  `DROP FUNCTION IF EXISTS console_make_date(int, int, int)`,
  `CREATE OR REPLACE FUNCTION console_map_estado(x text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
   $$ SELECT ${caseMap(`lower(${cleanedFor(ESTADO_MAP)} COLLATE "C")`, ESTADO_MAP, "NULL")} $$`,
  `CREATE OR REPLACE FUNCTION console_map_moneda(x text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
   $$ SELECT ${caseMap(`upper(coalesce(${cleanedFor(MONEDA_MAP)}, '') COLLATE "C")`, MONEDA_MAP, "NULL")} $$`,
  `CREATE OR REPLACE FUNCTION console_map_metodo(x text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
   $$ SELECT ${caseMap(`lower(${cleanedFor(METODO_MAP)} COLLATE "C")`, METODO_MAP, "'otro'")} $$`,
  `CREATE OR REPLACE FUNCTION console_documento(x text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
   $$ SELECT nullif(upper(regexp_replace(x, '[^0-9A-Za-z]', '', 'g') COLLATE "C"), '') $$`,
];

/** Installs (or replaces) the SQL functions above: idempotent, run by prepareDatabase. */
export async function installRuleFunctions(db: Pick<Db, "execute">): Promise<void> {
  for (const statement of RULE_FUNCTIONS_SQL) await db.execute(sql.raw(statement));
}
