/**
 * The per-prestamo diff (MIGRATION-SPEC §5, last bullet): every column of the new row beside the
 * value its rule gives for the legacy row as it is now, and the legacy fields behind it as stored.
 * The columns, how each reads and their legacy sources come from the rules table (rules.ts); the
 * expected values from `expectedCtes()`. One statement of index lookups, the id bound.
 */
import { sql, type SQL } from "drizzle-orm";
import type { Exec } from "@/db/client";
import { isoTime, queryOne } from "@/db/sql";
import { AppError } from "@/lib/errors";
import { PAGO_COLUMNS, PAGO_RULES, PRESTAMO_COLUMN_SOURCES, PRESTAMO_RULES, type ValueKind } from "./rules";
import { expectedCtes } from "./sql-builder";

/** SQL that renders a value for the DTO: dates 'YYYY-MM-DD', numeric as text, cents and ints as JSON numbers. */
function render(kind: ValueKind, expr: string): string {
  switch (kind) {
    case "date":
      return `to_char(${expr}, 'YYYY-MM-DD')`;
    case "timestamp":
      return `to_char(${expr}, 'YYYY-MM-DD HH24:MI:SS.US')`;
    case "numeric":
    case "text":
      return `(${expr})::text`;
    default:
      return expr;
  }
}

const jsonObj = (pairs: [string, string][]) => `json_build_object(${pairs.map(([k, e]) => `'${k}', ${e}`).join(", ")})`;

export type DiffValue = string | number | boolean | null;

export interface LegacySource {
  /** Legacy field (pago fields as `pagos_prestamo[<id>].<field>`). */
  field: string;
  /** The value as stored, as text, white space preserved; null for NULL. */
  value: string | null;
}

export interface DiffLine {
  column: string;
  /** The legacy field(s) behind it, in words (the rules table's sources). */
  legacyField: string;
  legacy: LegacySource[];
  /** The value by the rules applied to the legacy rows as they are now; null when the legacy row is gone or fails. */
  expected: DiffValue;
  /** The value in the new table; null when there is no new row. */
  actual: DiffValue;
  /** actual IS NOT DISTINCT FROM expected, with both present. */
  agree: boolean;
}

export interface PagoDiff {
  legacyPagoId: number;
  /** both: in legacy (under this prestamo) and in the new table (under its new row). */
  presence: "both" | "legacy_only" | "new_only";
  /** Why a one-sided pago is one-sided, in words. */
  note: string | null;
  lines: DiffLine[];
  agree: boolean;
  /** Rules this pago fails now. */
  failing: { code: string; field: string; value: string | null }[];
}

export interface PrestamoDiff {
  legacyId: number;
  legacyExists: boolean;
  newExists: boolean;
  newId: number | null;
  state: "pending" | "migrated" | "failed" | "rolled_back";
  stateUpdatedAt: string | null;
  runId: number | null;
  /** Has entries in capture_changes: changed since it was last written. */
  stale: boolean;
  /** Every line agrees and every pago agrees (and the legacy row still passes the rules). */
  agree: boolean;
  lines: DiffLine[];
  pagos: PagoDiff[];
  /** Rules the legacy rows fail now (INVALID_PAGO with its pago id). */
  failingNow: { code: string; field: string; value: string | null; pagoId: number | null }[];
  /** The failures recorded when it was last taken (migration_failures). */
  recordedFailures: { code: string; field: string; value: string | null; pagoId: number | null; runId: number | null; recordedAt: string | null }[];
}

/** Each pago column with the legacy field its rule reads and how it reads, in table order. */
const PAGO_LINES = PAGO_COLUMNS.map((column) => {
  const rule = PAGO_RULES.find((r) => r.column === column);
  if (!rule) throw new Error(`pagos_prestamo_new.${column} has no rule`);
  return { column, field: rule.field, kind: rule.kind };
});

/** A legacy field as stored, as text (timestamps at full precision). */
const rawSql = (alias: string, field: string, kind: ValueKind) => (kind === "timestamp" ? render(kind, `${alias}.${field}`) : `${alias}.${field}::text`);
const legacyFields = (rules: readonly { field: string; kind: ValueKind }[], alias: string): [string, string][] =>
  [...new Map(rules.map((r) => [r.field, r.kind])).entries()].map(([f, kind]) => [f, rawSql(alias, f, kind)]);

/** The constant parts of the diff statement, generated once from the rules; the id is bound by `diffStatement`. */
const DIFF_SQL = (() => {
  const ruleColumns = new Set(PRESTAMO_RULES.map((r) => r.column));
  const values = (alias: string, onlyRules = false) =>
    jsonObj(PRESTAMO_COLUMN_SOURCES.filter((c) => !onlyRules || ruleColumns.has(c.column)).map((c) => [c.column, render(c.kind, `${alias}.${c.column}`)]));
  const agree = jsonObj(PRESTAMO_COLUMN_SOURCES.map(({ column: c }) => [c, `n.${c} IS NOT DISTINCT FROM e.${c}`]));
  const gValues = (alias: string) =>
    jsonObj(PAGO_LINES.map((g) => [g.column, `CASE WHEN ${alias}.legacy_id IS NULL THEN NULL ELSE ${render(g.kind, `${alias}.${g.column}`)} END`]));
  const gAgree = jsonObj(PAGO_LINES.map(({ column: c }) => [c, `e.legacy_id IS NOT NULL AND n.legacy_id IS NOT NULL AND n.${c} IS NOT DISTINCT FROM e.${c}`]));
  return {
    expected: sql.raw(expectedCtes({ contiguous: true })),
    legacyP: sql.raw(jsonObj(legacyFields(PRESTAMO_RULES, "l"))),
    legacyG: sql.raw(jsonObj([["prestamo_id", "l.prestamo_id"], ...legacyFields(PAGO_RULES, "l")])),
    parsed: sql.raw(values("v", true)),
    expectedValues: sql.raw(values("okp")),
    actual: sql.raw(values("np")),
    agree: sql.raw(agree),
    gExpected: sql.raw(gValues("e")),
    gActual: sql.raw(gValues("n")),
    gAgree: sql.raw(gAgree),
  };
})();

function diffStatement(legacyId: number): SQL {
  const id = sql`${legacyId}::int`;
  const d = DIFF_SQL;
  return sql`WITH cand AS MATERIALIZED (SELECT l.* FROM prestamos l WHERE l.id = ${id}),${d.expected},
  np AS MATERIALIZED (SELECT n.* FROM prestamos_new n WHERE n.legacy_id = ${id}),
  ng AS MATERIALIZED (SELECT g.* FROM pagos_prestamo_new g WHERE g.prestamo_id IN (SELECT id FROM np)),
  lg AS MATERIALIZED (
    SELECT l.* FROM pagos_prestamo l WHERE l.prestamo_id = ${id}
    UNION
    SELECT l.* FROM pagos_prestamo l WHERE l.id IN (SELECT legacy_id FROM ng)
  ),
  ids AS (SELECT legacy_id AS id FROM ng UNION SELECT id FROM lg WHERE prestamo_id = ${id})
  SELECT json_build_object(
    'legacy', (SELECT ${d.legacyP} FROM cand l),
    'parsed', (SELECT ${d.parsed} FROM v),
    'expected', (SELECT ${d.expectedValues} FROM okp),
    'actual', (SELECT ${d.actual} FROM np),
    'newId', (SELECT id FROM np),
    'agree', (SELECT ${d.agree} FROM np n JOIN okp e ON true),
    'fails', (SELECT json_agg(json_build_object('code', code, 'field', field, 'value', value, 'pagoId', pago_id) ORDER BY pago_id NULLS FIRST, code, field) FROM fail),
    'pagos', (SELECT coalesce(json_agg(json_build_object(
        'id', ids.id,
        'legacy', (SELECT ${d.legacyG} FROM lg l WHERE l.id = ids.id),
        'inLegacy', EXISTS (SELECT 1 FROM lg l WHERE l.id = ids.id AND l.prestamo_id = ${id}),
        'inNew', EXISTS (SELECT 1 FROM ng WHERE ng.legacy_id = ids.id),
        'elsewhere', (SELECT p2.legacy_id FROM pagos_prestamo_new g2 JOIN prestamos_new p2 ON p2.id = g2.prestamo_id
                      WHERE g2.legacy_id = ids.id AND g2.prestamo_id NOT IN (SELECT id FROM np)),
        'expected', (SELECT ${d.gExpected} FROM (SELECT pg.id AS legacy_id, pg.* FROM pg JOIN okp ON okp.legacy_id = pg.prestamo_id WHERE pg.id = ids.id) e),
        'parsed', (SELECT ${d.gExpected} FROM (SELECT pg.id AS legacy_id, pg.* FROM pg WHERE pg.id = ids.id) e),
        'actual', (SELECT ${d.gActual} FROM ng n WHERE n.legacy_id = ids.id),
        'agree', (SELECT ${d.gAgree} FROM (SELECT 1) one
                  LEFT JOIN (SELECT pg.id AS legacy_id, pg.* FROM pg JOIN okp ON okp.legacy_id = pg.prestamo_id WHERE pg.id = ids.id) e ON true
                  LEFT JOIN ng n ON n.legacy_id = ids.id)
      ) ORDER BY ids.id), '[]'::json) FROM ids),
    'state', (SELECT json_build_object('state', state, 'runId', run_id, 'updatedAt', updated_at::text) FROM migration_state WHERE legacy_id = ${id}),
    'stale', EXISTS (SELECT 1 FROM capture_changes WHERE prestamo_id = ${id}),
    'recorded', (SELECT json_agg(json_build_object('code', code, 'field', field, 'value', value, 'pagoId', pago_id, 'runId', run_id, 'recordedAt', recorded_at::text)
                 ORDER BY pago_id NULLS FIRST, code, field) FROM migration_failures WHERE legacy_id = ${id})
  )::text AS doc`;
}

type Obj = Record<string, DiffValue>;
interface DiffDoc {
  legacy: Obj | null;
  parsed: Obj | null;
  expected: Obj | null;
  actual: Obj | null;
  newId: number | null;
  agree: Record<string, boolean> | null;
  fails: { code: string; field: string; value: string | null; pagoId: number | null }[] | null;
  pagos: {
    id: number;
    legacy: (Obj & { prestamo_id: number | null }) | null;
    inLegacy: boolean;
    inNew: boolean;
    elsewhere: number | null;
    expected: Obj | null;
    parsed: Obj | null;
    actual: Obj | null;
    agree: Record<string, boolean>;
  }[];
  state: { state: PrestamoDiff["state"]; runId: number | null; updatedAt: string | null } | null;
  stale: boolean;
  recorded: PrestamoDiff["recordedFailures"] | null;
}

const str = (v: DiffValue | undefined): string | null => (v === null || v === undefined ? null : String(v));

/** The legacy inputs behind a new column, as stored: its prestamo fields, then the field of each live pago. */
function legacySources(source: (typeof PRESTAMO_COLUMN_SOURCES)[number], doc: DiffDoc): LegacySource[] {
  const l = doc.legacy;
  if (!l) return [];
  const own = source.prestamo.map((f) => ({ field: f, value: str(l[f]) }));
  const f = source.livePago;
  if (f === null) return own;
  const live = doc.pagos.filter((g) => g.inLegacy && g.legacy && g.legacy.anulado !== "true");
  return [...own, ...live.map((g) => ({ field: `pagos_prestamo[${g.id}].${f}`, value: str(g.legacy?.[f]) }))];
}

/**
 * The field-level diff of one prestamo: index lookups only (prestamos by id, its pagos by
 * prestamo_id, prestamos_new by legacy_id, pagos_prestamo_new by prestamo_id). 404 when neither
 * the legacy prestamo nor a new row exists; a prestamo deleted from legacy still shows its new row.
 */
export async function getPrestamoDiff(db: Exec, legacyId: number): Promise<PrestamoDiff> {
  if (!Number.isInteger(legacyId) || legacyId < 1 || legacyId > 2147483647) throw new AppError("VALIDATION_ERROR", "legacy id must be a positive integer");
  const row = await queryOne<{ doc: string }>(db, diffStatement(legacyId));
  const doc = JSON.parse(row?.doc ?? "{}") as DiffDoc;
  if (!doc.legacy && !doc.actual) throw new AppError("NOT_FOUND", `Prestamo ${legacyId} not found in legacy nor in the new tables`);

  const failingNow = doc.fails ?? [];
  const lines: DiffLine[] = PRESTAMO_COLUMN_SOURCES.map((source) => {
    const { column } = source;
    // Expected from okp (valid); when the legacy row now fails, the parsed values that could be computed.
    const expected = doc.expected ? (doc.expected[column] ?? null) : (doc.parsed?.[column] ?? null);
    const actual = doc.actual ? (doc.actual[column] ?? null) : null;
    return {
      column,
      legacyField: source.legacyField,
      legacy: legacySources(source, doc),
      expected,
      actual,
      agree: Boolean(doc.expected && doc.actual && doc.agree?.[column]),
    };
  });

  const pagos: PagoDiff[] = doc.pagos.map((g) => {
    const presence: PagoDiff["presence"] = g.inLegacy && g.inNew ? "both" : g.inLegacy ? "legacy_only" : "new_only";
    let note: string | null = null;
    if (presence === "legacy_only") {
      note = g.elsewhere != null ? `its new row is under prestamo ${g.elsewhere}` : doc.actual ? "missing in pagos_prestamo_new" : "no new row";
    } else if (presence === "new_only") {
      note = !g.legacy ? "legacy pago no longer exists" : `legacy pago belongs to prestamo ${g.legacy.prestamo_id ?? "none (NULL)"}`;
    }
    const glines: DiffLine[] = PAGO_LINES.map(({ column, field }) => {
      const expected = presence === "new_only" ? null : g.expected ? (g.expected[column] ?? null) : (g.parsed?.[column] ?? null);
      return {
        column,
        legacyField: field,
        legacy: g.legacy ? [{ field: `pagos_prestamo[${g.id}].${field}`, value: str(g.legacy[field]) }] : [],
        expected,
        actual: g.actual ? (g.actual[column] ?? null) : null,
        agree: Boolean(g.agree?.[column]),
      };
    });
    return {
      legacyPagoId: g.id,
      presence,
      note,
      lines: glines,
      agree: presence === "both" && glines.every((l) => l.agree),
      failing: failingNow.filter((f) => f.pagoId === g.id).map(({ code, field, value }) => ({ code, field, value })),
    };
  });

  const state = doc.state?.state ?? "pending";
  return {
    legacyId,
    legacyExists: doc.legacy !== null,
    newExists: doc.actual !== null,
    newId: doc.newId == null ? null : Number(doc.newId),
    state,
    stateUpdatedAt: isoTime(doc.state?.updatedAt ?? null),
    runId: doc.state?.runId ?? null,
    stale: Boolean(doc.stale),
    agree: failingNow.length === 0 && doc.expected !== null && lines.every((l) => l.agree) && pagos.every((g) => g.agree),
    lines,
    pagos,
    failingNow,
    recordedFailures: (doc.recorded ?? []).map((f) => ({ ...f, recordedAt: isoTime(f.recordedAt) })),
  };
}
