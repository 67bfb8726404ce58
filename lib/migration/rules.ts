/**
 * THE field rules of MIGRATION-SPEC §3, written once. Each rule has its TypeScript form and its
 * SQL form side by side; a parity test runs both over the same dirty inputs. The SQL transform,
 * the validation that records failures, the consistency check and the per-prestamo diff are all
 * generated from the tables below (see sql-builder.ts); so are the diff's columns, how each reads
 * (`kind`) and the legacy fields shown beside it (`PRESTAMO_COLUMN_SOURCES`).
 */
import { addMonths, clean, documento, mapEstado, mapMetodo, mapMoneda, parseDate, tasaFraction, toCents } from "./legacy-values";

/* ── Shared vocabulary ─────────────────────────────────────────────────────────────── */

export { FAILURE_CODES, type FailureCode } from "./vocabulary";
import type { FailureCode } from "./vocabulary";

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
  created_at?: string;
}

export interface LegacyPago {
  id: number;
  prestamo_id: number | null;
  monto: string | null;
  fecha_pago: string | null;
  metodo: string | null;
  anulado: boolean;
  created_at?: string;
}

/** How a new column's value reads, for a person comparing it with its legacy source. */
export type ValueKind = "text" | "int" | "numeric" | "date" | "timestamp" | "bool";

type Checked<T> = { ok: true; value: T } | { ok: false };
const ok = <T>(value: T): Checked<T> => ({ ok: true, value });
const failed = { ok: false } as const;

/**
 * One field rule. `sqlValue` is an SQL expression over the legacy row `l` giving the new value
 * (NULL when it cannot be computed); statements evaluate it ONCE per row. `sqlFails(raw, value)`
 * builds the boolean "this rule fails" from the SQL of the raw legacy field and of the computed
 * value, so each statement can place them where it keeps them. `ts` is the same rule in
 * TypeScript. `field` is the legacy column the rule reads (reported with a failure).
 * `back` is the way back of a cut-over (§9): the legacy column `field` as SQL over the new row `n`,
 * in the legacy column's type; applying the rules to it again must give the new value.
 * `kind` is how the new value reads (the diff renders dates, timestamps and numerics by it).
 */
export interface FieldRule<Row> {
  column: string;
  field: keyof Row & string;
  kind: ValueKind;
  code?: FailureCode;
  sqlValue: string;
  sqlFails?: (raw: string, value: string) => string;
  ts: (row: Row) => Checked<unknown>;
  back: { sql: string; type: string };
}

export const PRESTAMO_RULES: readonly FieldRule<LegacyPrestamo>[] = [
  {
    column: "cliente_nombre",
    kind: "text",
    field: "cliente_nombre",
    code: "INVALID_CLIENTE",
    sqlValue: "console_clean(l.cliente_nombre)",
    back: { sql: "n.cliente_nombre", type: "varchar(200)" },
    sqlFails: (_raw, value) => `coalesce(${value}, '') = ''`,
    ts: (r) => {
      const c = clean(r.cliente_nombre);
      return c ? ok(c) : failed;
    },
  },
  {
    column: "cliente_documento",
    kind: "text",
    field: "cliente_documento",
    sqlValue: "console_documento(l.cliente_documento)",
    back: { sql: "n.cliente_documento", type: "varchar(30)" },
    ts: (r) => ok(documento(r.cliente_documento)),
  },
  {
    column: "monto_cents",
    kind: "int",
    field: "monto",
    code: "INVALID_MONTO",
    sqlValue: "(l.monto * 100)::bigint",
    sqlFails: (raw) => `${raw} IS NULL OR ${raw} <= 0`,
    ts: (r) => (r.monto === null || Number(r.monto) <= 0 ? failed : ok(toCents(r.monto))),
    back: { sql: "n.monto_cents / 100.0", type: "numeric(12,2)" },
  },
  {
    column: "tasa_anual",
    kind: "numeric",
    field: "tasa_interes",
    code: "INVALID_TASA",
    sqlValue: "(l.tasa_interes / 100)::numeric(9,6)",
    back: { sql: "n.tasa_anual * 100", type: "numeric(6,3)" },
    sqlFails: (raw) => `${raw} IS NULL OR ${raw} < 0 OR ${raw} > 200`,
    ts: (r) => {
      if (r.tasa_interes === null) return failed;
      const t = Number(r.tasa_interes);
      return t < 0 || t > 200 ? failed : ok(tasaFraction(r.tasa_interes));
    },
  },
  {
    column: "plazo_meses",
    kind: "int",
    field: "plazo_meses",
    code: "INVALID_PLAZO",
    sqlValue: "l.plazo_meses",
    back: { sql: "n.plazo_meses", type: "integer" },
    sqlFails: (raw) => `${raw} IS NULL OR ${raw} < 1 OR ${raw} > 600`,
    ts: (r) => (r.plazo_meses === null || r.plazo_meses < 1 || r.plazo_meses > 600 ? failed : ok(r.plazo_meses)),
  },
  {
    column: "fecha_otorgamiento",
    kind: "date",
    field: "fecha_otorgamiento",
    code: "INVALID_FECHA",
    sqlValue: "console_parse_date(l.fecha_otorgamiento)",
    back: { sql: "to_char(n.fecha_otorgamiento, 'YYYY-MM-DD')", type: "varchar(20)" },
    sqlFails: (_raw, value) => `${value} IS NULL`,
    ts: (r) => {
      const d = parseDate(r.fecha_otorgamiento);
      return d ? ok(d) : failed;
    },
  },
  {
    column: "estado",
    kind: "text",
    field: "estado",
    code: "UNKNOWN_ESTADO",
    sqlValue: "console_map_estado(l.estado)",
    back: { sql: "n.estado", type: "varchar(20)" },
    sqlFails: (_raw, value) => `${value} IS NULL`,
    ts: (r) => {
      const e = mapEstado(r.estado);
      return e ? ok(e) : failed;
    },
  },
  {
    column: "moneda",
    kind: "text",
    field: "moneda",
    code: "UNKNOWN_MONEDA",
    sqlValue: "console_map_moneda(l.moneda)",
    back: { sql: "n.moneda", type: "varchar(10)" },
    sqlFails: (_raw, value) => `${value} IS NULL`,
    ts: (r) => {
      const m = mapMoneda(r.moneda);
      return m ? ok(m) : failed;
    },
  },
  {
    column: "legacy_created_at",
    kind: "timestamp",
    field: "created_at",
    sqlValue: "l.created_at",
    ts: (r) => ok(r.created_at ?? null),
    back: { sql: "n.legacy_created_at", type: "timestamp" },
  },
  {
    column: "legacy_updated_at",
    kind: "timestamp",
    field: "updated_at",
    sqlValue: "l.updated_at",
    ts: (r) => ok(r.updated_at),
    back: { sql: "n.legacy_updated_at", type: "timestamp" },
  },
];

/** Pago rules: each failure is INVALID_PAGO with the pago's legacy id. */
export const PAGO_RULES: readonly FieldRule<LegacyPago>[] = [
  {
    column: "monto_cents",
    kind: "int",
    field: "monto",
    code: "INVALID_PAGO",
    sqlValue: "(l.monto * 100)::bigint",
    sqlFails: (raw) => `${raw} IS NULL OR ${raw} <= 0`,
    ts: (r) => (r.monto === null || Number(r.monto) <= 0 ? failed : ok(toCents(r.monto))),
    back: { sql: "n.monto_cents / 100.0", type: "numeric(12,2)" },
  },
  {
    column: "fecha_pago",
    kind: "date",
    field: "fecha_pago",
    code: "INVALID_PAGO",
    sqlValue: "console_parse_date(l.fecha_pago)",
    back: { sql: "to_char(n.fecha_pago, 'YYYY-MM-DD')", type: "varchar(20)" },
    sqlFails: (_raw, value) => `${value} IS NULL`,
    ts: (r) => {
      const d = parseDate(r.fecha_pago);
      return d ? ok(d) : failed;
    },
  },
  {
    column: "metodo",
    kind: "text",
    field: "metodo",
    sqlValue: "console_map_metodo(l.metodo)",
    back: { sql: "n.metodo", type: "varchar(20)" },
    ts: (r) => ok(mapMetodo(r.metodo)),
  },
  {
    column: "anulado",
    kind: "bool",
    field: "anulado",
    sqlValue: "l.anulado",
    ts: (r) => ok(r.anulado),
    back: { sql: "n.anulado", type: "boolean" },
  },
  {
    column: "legacy_created_at",
    kind: "timestamp",
    field: "created_at",
    sqlValue: "l.created_at",
    ts: (r) => ok(r.created_at ?? null),
    back: { sql: "n.legacy_created_at", type: "timestamp" },
  },
];

/**
 * Columns derived from the parsed values and the pagos (§2). SQL over `v` (parsed prestamo) and
 * `a` (aggregates of its pagos that are not anulado: total_cents, n, ultimo). `from` names the
 * legacy inputs, in words (`legacyField`) and as fields: of the prestamo, and of each of its
 * pagos that is not anulado.
 */
export const DERIVED_PRESTAMO_COLUMNS = [
  {
    column: "fecha_vencimiento",
    kind: "date",
    sql: "(v.fecha_otorgamiento + make_interval(months => v.plazo_meses))::date",
    from: { legacyField: "fecha_otorgamiento + plazo_meses", prestamo: ["fecha_otorgamiento", "plazo_meses"], livePago: null },
  },
  {
    column: "total_pagado_cents",
    kind: "int",
    sql: "coalesce(a.total_cents, 0)::bigint",
    from: { legacyField: "pagos.monto (not anulado)", prestamo: [], livePago: "monto" },
  },
  { column: "pagos_count", kind: "int", sql: "coalesce(a.n, 0)::int", from: { legacyField: "pagos (not anulado)", prestamo: [], livePago: "anulado" } },
  { column: "ultimo_pago", kind: "date", sql: "a.ultimo", from: { legacyField: "pagos.fecha_pago (not anulado)", prestamo: [], livePago: "fecha_pago" } },
  {
    column: "saldo_cents",
    kind: "int",
    sql: "(v.monto_cents - coalesce(a.total_cents, 0))::bigint",
    from: { legacyField: "monto − pagos", prestamo: ["monto"], livePago: "monto" },
  },
] as const satisfies readonly {
  column: string;
  kind: ValueKind;
  sql: string;
  from: { legacyField: string; prestamo: readonly (keyof LegacyPrestamo & string)[]; livePago: (keyof LegacyPago & string) | null };
}[];

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
  "legacy_created_at",
] as const;
export const PAGO_COLUMNS = ["monto_cents", "fecha_pago", "metodo", "anulado", "legacy_created_at"] as const;

type PrestamoColumn = (typeof PRESTAMO_COLUMNS)[number];

/** A column of prestamos_new, how it reads, and the legacy inputs behind it (what the diff shows). */
export interface ColumnSource {
  column: PrestamoColumn;
  kind: ValueKind;
  /** The legacy field(s) behind it, in words. */
  legacyField: string;
  /** Fields of the legacy prestamo it is computed from. */
  prestamo: readonly string[];
  /** The field of each legacy pago (not anulado) it is computed from, if any. */
  livePago: string | null;
}

/** Every column of prestamos_new in table order with its source: its rule's field, or its derivation's inputs. */
export const PRESTAMO_COLUMN_SOURCES: readonly ColumnSource[] = PRESTAMO_COLUMNS.map((column): ColumnSource => {
  const rule = PRESTAMO_RULES.find((r) => r.column === column);
  if (rule) return { column, kind: rule.kind, legacyField: rule.field, prestamo: [rule.field], livePago: null };
  const derived = DERIVED_PRESTAMO_COLUMNS.find((d) => d.column === column);
  if (!derived) throw new Error(`prestamos_new.${column} has neither a rule nor a derivation`);
  return { column, kind: derived.kind, ...derived.from };
});

/* ── Whole-prestamo transform in TypeScript (tests, generator expectations) ────────── */

export interface Failure {
  code: FailureCode;
  field: string;
  value: string | null;
  pagoId: number | null;
}

export type TransformResult =
  | {
      ok: true;
      prestamo: Record<(typeof PRESTAMO_COLUMNS)[number], unknown>;
      pagos: { legacyId: number; values: Record<(typeof PAGO_COLUMNS)[number], unknown> }[];
    }
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
