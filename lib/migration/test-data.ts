/**
 * The test-data generator (MIGRATION-SPEC §6 POST /prestamos/test/create-data, DELETE
 * /prestamos/test/data, §7 "test data is tracked, so that removing it removes nothing else").
 *
 * Every value is computed IN SQL from a hash of (seed, row number, salt): one `INSERT … SELECT`
 * per table and chunk of CHUNK prestamos, never a JS loop over rows. The same seed gives the same
 * values (ids come from the tables' sequences). Every created row is tracked in test_data_rows in
 * the same statement that inserts it (data-modifying CTEs over `INSERT … RETURNING id`).
 *
 * The accepted dirty forms come from the maps of rules.ts (every estado / moneda / metodo synonym);
 * the broken forms are listed here per failure code. Whether a row passes is never decided here:
 * `evaluateTestData` runs the rules' own `transformPrestamo` over the rows as read back.
 */
import { sql, type SQL } from "drizzle-orm";
import type { Db } from "@/db/client";
import { testDataSets } from "@/db/schema";
import { isoTime, queryOne, queryRows } from "@/db/sql";
import { systemActor, writeAudit, type Actor } from "@/lib/audit";
import { AppError } from "@/lib/errors";
import { ESTADO_MAP, METODO_MAP, MONEDA_MAP } from "./legacy-values";
import {
  FAILURE_CODES,
  transformPrestamo,
  type FailureCode,
  type LegacyPago,
  type LegacyPrestamo,
} from "./rules";
import { intArrayLiteral, lockWriters } from "./write";

type Executor = Pick<Db, "execute">;

/* ── Inputs and caps ───────────────────────────────────────────────────────────────── */

export const TEST_DATA_MAX_COUNT = 1_000_000;
export const TEST_DATA_DEFAULTS = { count: 1000, dirtyPct: 10, seed: 42 } as const;
/** Prestamos per statement: memory stays flat whatever the count (~6 pagos each). */
const CHUNK = 50_000;
/** At most this many pagos per prestamo (0..12, ~6 on average). */
const MAX_PAGOS = 12;

export interface CreateTestDataOptions {
  count?: number;
  dirtyPct?: number;
  seed?: number;
}

interface Params {
  count: number;
  dirtyPct: number;
  seed: number;
}

function checkParams(opts: CreateTestDataOptions): Params {
  const p = { ...TEST_DATA_DEFAULTS, ...Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)) } as Params;
  const bad: string[] = [];
  if (!Number.isInteger(p.count) || p.count < 1 || p.count > TEST_DATA_MAX_COUNT) bad.push(`count must be an integer from 1 to ${TEST_DATA_MAX_COUNT}`);
  if (typeof p.dirtyPct !== "number" || !Number.isFinite(p.dirtyPct) || p.dirtyPct < 0 || p.dirtyPct > 100) bad.push("dirtyPct must be a number from 0 to 100");
  if (!Number.isInteger(p.seed) || p.seed < -2147483648 || p.seed > 2147483647) bad.push("seed must be a 32-bit integer");
  if (bad.length) throw new AppError("VALIDATION_ERROR", bad.join("; "), { issues: bad });
  return p;
}

/** Prestamos broken on purpose: exactly round(count × dirtyPct / 100). */
export const brokenTarget = (count: number, dirtyPct: number) => Math.round((count * dirtyPct) / 100);
/** Orphan pagos of a set: half with prestamo_id NULL, half naming no prestamo (a negative id). */
export const orphanTarget = (count: number) => Math.max(2, Math.floor(count / 200));

/* ── SQL building blocks (all literals come from this file or are validated integers) ─ */

const lit = (s: string | null) => (s === null ? "NULL" : `'${s.replace(/'/g, "''")}'`);
/** E'…' literal for strings with tabs and newlines. */
const elit = (s: string) => `E'${s.replace(/\\/g, "\\\\").replace(/'/g, "\\'").replace(/\t/g, "\\t").replace(/\n/g, "\\n").replace(/\r/g, "\\r")}'`;
const textArray = (list: readonly (string | null)[]) => `ARRAY[${list.map((s) => (s === null ? "NULL" : elit(s))).join(", ")}]::text[]`;

/** murmur3 fmix32: seed → a well-mixed non-negative int (for the seed-dependent shifts). */
function mix(seed: number, salt: number): number {
  let h = (seed ^ Math.imul(salt, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * A pseudo-random non-negative int (0 .. 2^31-1) of (seed, key, salt), in SQL: PostgreSQL's own
 * 64-bit integer hash, identical on PGlite and PostgreSQL. Keys: prestamo n; pago n*16+k; orphan i.
 */
// Each layer of the generated SELECTs ends in OFFSET 0, an optimization fence: without it the
// planner pulls the subqueries up and inlines every column expression at each of its uses, and
// the nested CASEs multiply (1,000 rows took 40 s instead of milliseconds).
const rnd = (seed: number, key: string, salt: number) => `(hashint8extended((${key}) * 1024 + ${salt}, ${seed}) & 2147483647)`;
const pick = (list: readonly (string | null)[], r: string) => `(${textArray(list)})[1 + ${r} % ${list.length}]`;
/** CASE over a form index: branch i is forms[i]. */
const caseForms = (index: string, forms: readonly string[]) => `CASE ${index} ${forms.map((f, i) => `WHEN ${i} THEN ${f}`).join(" ")} END`;

const FIRST_NAMES = ["Juan", "María", "José", "Rosa", "Luis", "Carmen", "Jorge", "Ana", "Carlos", "Lucía", "Miguel", "Elena", "Pedro", "Sofía", "Víctor", "Teresa", "Raúl", "Julia", "César", "Patricia", "Ñuflo", "Gladys"];
const LAST_NAMES = ["Quispe", "Flores", "Sánchez", "Rodríguez", "García", "Huamán", "Mamani", "Chávez", "Torres", "Ramírez", "Vásquez", "Mendoza", "Castillo", "Rojas", "Díaz", "Gutiérrez", "Núñez", "Paredes", "Salazar", "Cárdenas", "Ñahui", "O'Brien"];

/** Dates: YYYY-MM-DD and D/M/YYYY with 1- and 2-digit parts, with white space around (§3). */
const dateForms = (d: string) => [
  `to_char(${d}, 'YYYY-MM-DD')`,
  `to_char(${d}, 'FMDD/FMMM/YYYY')`,
  `to_char(${d}, 'DD/MM/YYYY')`,
  `'  ' || to_char(${d}, 'YYYY-MM-DD') || ' '`,
  `E'\\t' || to_char(${d}, 'FMDD/MM/YYYY') || E'\\n'`,
  `to_char(${d}, 'DD/FMMM/YYYY')`,
  `E' \\r\\n' || to_char(${d}, 'FMDD/FMMM/YYYY') || E'\\t '`,
];
/** Valid but unusual dates: leap days, the limits of 1900..2100, a month's last day. */
const SPECIAL_DATES = ["29/2/2024", "2024-02-29", " 29/02/2020 ", "29/2/2000", "1900-01-01", "1/1/1900", "31/12/2100", "2100-12-31", "31/1/2024", "\t30/4/2023\n"];

/** Accepted spellings of a map key: as is, upper, initcap, mixed vowels, white space around and inside. */
const textForms = (x: string, pad: boolean) => [
  x,
  `upper(${x} COLLATE "C")`,
  `initcap(${x} COLLATE "C")`,
  `translate(${x}, 'aeiou', 'AEIOU')`,
  ...(pad ? [`'  ' || ${x} || ' '`, `E'\\t' || upper(${x} COLLATE "C") || E'\\n'`, `' ' || replace(${x}, ' ', E' \\t ')`] : [`' ' || ${x}`, `lower(${x} COLLATE "C") || E'\\t'`]),
];

/**
 * Broken forms per failure code (a TS error if rules.ts adds a code without forms here).
 * Values are SQL expressions; `m0` is the prestamo's good amount in cents.
 */
const BROKEN_PRESTAMO_FORMS: Record<Exclude<FailureCode, "INVALID_PAGO">, readonly string[]> = {
  INVALID_CLIENTE: ["NULL", "''", "'   '", "E'\\t\\n  '", "E'\\r\\n'"],
  INVALID_MONTO: ["NULL", "0", "-(m0::numeric / 100)", "-0.01"],
  INVALID_TASA: ["NULL", "-1.5", "200.001", "250", "-0.001"],
  INVALID_PLAZO: ["NULL", "0", "601", "-12", "1200"],
  INVALID_FECHA: ["NULL", "''", "'31/02/2021'", "'29/2/2023'", "'1899-12-31'", "'2101-01-01'", "'N/A'", "'2021/03/15'", "'15-03-2021'", "'2021-3-5'", "'32/1/2020'", "'1/13/2020'", "' ayer '", "'00/00/0000'", "'   '", "'2021-02-29'"],
  UNKNOWN_ESTADO: ["NULL", "''", "' '", "'desconocido'", "' PENDIENTE '", "'refinanciado'", "'al  día'", "'en-mora'", "'pagada'", "'ANULADA'"],
  UNKNOWN_MONEDA: ["'EUR'", "'US'", "'$'", "'DÓLARES'", "'S'", "'nuevo sol'", "'usd$'", "'PEN.'"],
};
/** INVALID_PAGO: one of the prestamo's pagos gets a bad monto (0..2) or a bad fecha_pago (3..). */
const BAD_PAGO_MONTO = ["NULL", "0", "-(cuota::numeric / 100)"];
const BAD_PAGO_FECHA = [null, "", "30/2/2022", "pendiente", "2101-01-01", "15/13/2021", "29/2/2023", "1899-12-31", " - "];
const BROKEN_FORM_COUNT: Record<FailureCode, number> = {
  ...(Object.fromEntries(Object.entries(BROKEN_PRESTAMO_FORMS).map(([c, f]) => [c, f.length])) as Record<Exclude<FailureCode, "INVALID_PAGO">, number>),
  INVALID_PAGO: BAD_PAGO_MONTO.length + BAD_PAGO_FECHA.length,
};

const bfCol = (code: FailureCode) => `bf_${code.toLowerCase()}`;
const UNKNOWN_METODOS = ["yape", "plin", "tarjeta", "POS", "ventanilla", "ANULADO", "transf. bancaria"];

/**
 * The design of prestamos n = from..to of a set: which are broken and how. Exactly
 * brokenTarget(count, dirtyPct) of 1..count are broken, evenly spread (a Bresenham walk rotated
 * by the seed). Broken one number j gets code FAILURE_CODES[j % 8] (so any 8 consecutive broken
 * prestamos cover every code) and every fifth also a second code; forms cycle per code.
 */
function designSql(p: Params, from: number, to: number): string {
  const K = brokenTarget(p.count, p.dirtyPct);
  const shift = mix(p.seed, 1) % p.count;
  const fs = mix(p.seed, 2) % 997;
  const nCodes = FAILURE_CODES.length;
  const bf = FAILURE_CODES.map((code, i) => {
    const nf = BROKEN_FORM_COUNT[code];
    return `CASE WHEN c1 = ${i} THEN (j / ${nCodes} + ${fs}) % ${nf} WHEN c2 = ${i} THEN (j / 5 + ${fs}) % ${nf} END AS ${bfCol(code)}`;
  }).join(",\n    ");
  return `SELECT n, j, c1, c2,
    ${bf}
  FROM (
    SELECT n, j, j % ${nCodes} AS c1, CASE WHEN j % 5 = 4 THEN (j % ${nCodes} + 1 + (j / 5) % ${nCodes - 1}) % ${nCodes} END AS c2
    FROM (
      SELECT n, CASE WHEN (nr * ${K}) / ${p.count} > ((nr - 1) * ${K}) / ${p.count} THEN (nr * ${K}) / ${p.count} - 1 END AS j
      FROM (SELECT n, ((n - 1 + ${shift}) % ${p.count}) + 1 AS nr FROM generate_series(${from}::bigint, ${to}::bigint) AS n OFFSET 0) s0
      OFFSET 0
    ) s1
    OFFSET 0
  ) s2`;
}

/** The legacy column values of prestamos n = from..to, plus what their pagos need. */
function prestamoPlanSql(p: Params, from: number, to: number): string {
  const R = (salt: number) => rnd(p.seed, "n", salt);
  const name = (() => {
    const f = pick(FIRST_NAMES, R(10));
    const l1 = pick(LAST_NAMES, R(11));
    const l2 = pick(LAST_NAMES, R(12));
    return caseForms(`${R(13)} % 9`, [
      `${f} || ' ' || ${l1} || ' ' || ${l2}`,
      `'   ' || ${f} || ' ' || ${l1}`,
      `${f} || ' ' || ${l1} || E' \\t'`,
      `${f} || '   ' || ${l1} || '  ' || ${l2}`,
      `${f} || E'\\n' || ${l1} || ' ' || ${l2}`,
      `E'\\t' || upper(${f} || ' ' || ${l1} COLLATE "C") || E'\\t\\t'`,
      `lower(${f} COLLATE "C") || E' \\t\\n ' || lower(${l1} COLLATE "C")`,
      `E'\\r\\n  ' || ${l1} || ', ' || ${f} || E'  \\n'`,
      `${f} || ' ' || ${l1} || ' ' || ${l2}`,
    ]);
  })();
  const dni = `lpad((${R(20)} % 100000000)::text, 8, '0')`;
  const documento = caseForms(`${R(21)} % 10`, [
    dni,
    `substr(${dni}, 1, 2) || '.' || substr(${dni}, 3, 3) || '.' || substr(${dni}, 6, 3)`,
    `'20-' || ${dni} || '-' || (${R(22)} % 10)`,
    `' ' || substr(${dni}, 1, 4) || ' ' || substr(${dni}, 5, 4) || ' '`,
    `'ce-00' || substr(${dni}, 1, 5) || 'ab'`,
    "NULL",
    "''",
    "' - . '",
    `'Pas.' || 'x' || ${dni}`,
    dni,
  ]);
  const tasa = `CASE WHEN ${R(30)} % 20 < 14 THEN 5 + (${R(31)} % 7500) / 100.0
    WHEN ${R(30)} % 20 < 18 THEN (${R(31)} % 200001) / 1000.0 WHEN ${R(30)} % 20 = 18 THEN 0 ELSE 200 END`;
  const plazo = `CASE WHEN ${R(32)} % 20 < 17 THEN (ARRAY[3, 6, 9, 12, 18, 24, 36, 48, 60])[1 + ${R(33)} % 9]
    WHEN ${R(32)} % 20 = 17 THEN 1 WHEN ${R(32)} % 20 = 18 THEN 600 ELSE 1 + ${R(33)} % 600 END`;
  const fecha = `CASE WHEN ${R(40)} % 10 < 8 THEN ${caseForms(`${R(41)} % 7`, dateForms("dbase"))} ELSE ${pick(SPECIAL_DATES, R(42))} END`;
  const estadoKey = pick([...ESTADO_MAP.keys()], R(50));
  const estado = caseForms(`${R(51)} % 7`, textForms(estadoKey, true));
  const monedaKey = pick([...MONEDA_MAP.keys()], R(60));
  const moneda = `CASE WHEN ${R(61)} % 10 < 3 THEN NULL ELSE ${caseForms(`${R(62)} % 6`, textForms(monedaKey, false))} END`;
  const broken = (code: Exclude<FailureCode, "INVALID_PAGO">, good: string) =>
    `CASE WHEN ${bfCol(code)} IS NULL THEN ${good} ELSE ${caseForms(bfCol(code), BROKEN_PRESTAMO_FORMS[code])} END`;
  const pagoBf = bfCol("INVALID_PAGO");
  return `SELECT a.*,
    ${broken("INVALID_CLIENTE", name)} AS cliente_nombre,
    ${documento} AS cliente_documento,
    (${broken("INVALID_MONTO", "m0::numeric / 100")})::numeric(12,2) AS monto,
    (${broken("INVALID_TASA", tasa)})::numeric(6,3) AS tasa_interes,
    (${broken("INVALID_PLAZO", plazo)})::int AS plazo_meses,
    ${broken("INVALID_FECHA", fecha)} AS fecha_otorgamiento,
    ${broken("UNKNOWN_ESTADO", estado)} AS estado,
    ${broken("UNKNOWN_MONEDA", moneda)} AS moneda,
    CASE WHEN ${R(70)} % 20 < 12 THEN m0 * npagos * (50 + ${R(71)} % 50) / 1200
         WHEN ${R(70)} % 20 < 17 THEN m0
         ELSE m0 * (105 + ${R(71)} % 25) / 100 END AS target
  FROM (
    SELECT d.*,
      CASE WHEN ${R(2)} % 10 < 3 THEN (50000 + ${R(1)} % 4950001) / 10000 * 10000 ELSE 50000 + ${R(1)} % 4950001 END AS m0,
      DATE '2015-01-01' + (${R(3)} % 4018)::int AS dbase,
      CASE WHEN ${pagoBf} IS NOT NULL THEN 1 + ${R(4)} % ${MAX_PAGOS} ELSE ${R(4)} % ${MAX_PAGOS + 1} END AS npagos,
      CASE WHEN ${pagoBf} IS NOT NULL THEN 1 + ${R(5)} % (1 + ${R(4)} % ${MAX_PAGOS}) END AS kb,
      (j / ${FAILURE_CODES.length}) % 3 = 1 AS bad_anulado
    FROM (${designSql(p, from, to)} OFFSET 0) d
    OFFSET 0
  ) a`;
}

const metodoForms = (r: (salt: number) => string) => {
  const key = pick([...METODO_MAP.keys()], r(12));
  return `CASE WHEN ${r(10)} % 20 < 2 THEN NULL WHEN ${r(10)} % 20 = 2 THEN ${pick(["", " ", "\t"], r(11))}
    WHEN ${r(10)} % 20 < 5 THEN ${caseForms(`${r(13)} % 3`, textForms(pick(UNKNOWN_METODOS, r(11)), false).slice(0, 3))}
    ELSE ${caseForms(`${r(13)} % 7`, textForms(key, true))} END`;
};

/**
 * The pagos of the prestamos in `p` (a relation with the plan's columns and `id`): k = 1..npagos,
 * amounts that add up to the prestamo's target (partial, exact or overpaid), ~7 % voided, and the
 * designed bad pago of an INVALID_PAGO prestamo.
 */
function pagoPlanSql(seed: number, pRel: string): string {
  const R = (salt: number) => rnd(seed, "pk", 200 + salt);
  const voided = `${R(1)} % 100 < 7`;
  // A voided pago that looks wrong but passes every rule: 0.01, metodo ' ANULADO ', a leap day.
  const weird = `(NOT bad AND ${voided} AND ${R(2)} % 3 = 0)`;
  const dp = `(dbase + (k * 30 + ${R(3)} % 10)::int)`;
  const fechaGood = caseForms(`${R(4)} % 7`, dateForms(dp));
  const nm = BAD_PAGO_MONTO.length;
  return `SELECT x.prestamo_id, x.n, x.k,
    (CASE WHEN bad AND bfp < ${nm} THEN ${caseForms("bfp", BAD_PAGO_MONTO)}
          WHEN ${weird} THEN 0.01 ELSE cuota::numeric / 100 END)::numeric(12,2) AS monto,
    CASE WHEN bad AND bfp >= ${nm} THEN (${textArray(BAD_PAGO_FECHA)})[bfp - ${nm} + 1]
         WHEN ${weird} THEN ' 29/2/2024 ' ELSE ${fechaGood} END AS fecha_pago,
    CASE WHEN ${weird} THEN ' ANULADO ' ELSE ${metodoForms(R)} END AS metodo,
    CASE WHEN bad THEN bad_anulado ELSE ${voided} END AS anulado
  FROM (
    SELECT y.*,
      CASE WHEN k < npagos THEN target / npagos ELSE target - (target / npagos) * (npagos - 1) END AS cuota
    FROM (
      SELECT p.id AS prestamo_id, p.n, k, p.n * 16 + k AS pk, p.npagos, p.target, p.dbase, p.bad_anulado,
        p.${bfCol("INVALID_PAGO")}, ${bfCol("INVALID_PAGO")} IS NOT NULL AND k = p.kb AS bad,
        coalesce(${bfCol("INVALID_PAGO")}, 0) AS bfp
      FROM ${pRel} p CROSS JOIN LATERAL generate_series(1, p.npagos::int) AS k
      OFFSET 0
    ) y
    OFFSET 0
  ) x
  ORDER BY x.n, x.k`;
}

const PRESTAMO_INSERT_COLUMNS = "cliente_nombre, cliente_documento, monto, tasa_interes, plazo_meses, fecha_otorgamiento, estado, moneda";

/** One chunk: prestamos n = from..to and their pagos, inserted and tracked in one statement. */
function chunkSql(p: Params, setId: number, from: number, to: number, seqs: { prestamos: string; pagos: string }): string {
  const codeCounts = FAILURE_CODES.map((c, i) => `count(*) FILTER (WHERE c1 = ${i} OR c2 = ${i}) AS "${c}"`).join(", ");
  return `WITH
  p AS MATERIALIZED (
    SELECT plan.*, nextval(${lit(seqs.prestamos)}::regclass)::int AS id FROM (${prestamoPlanSql(p, from, to)} ORDER BY n) plan
  ),
  ip AS (
    INSERT INTO prestamos (id, ${PRESTAMO_INSERT_COLUMNS}) SELECT id, ${PRESTAMO_INSERT_COLUMNS} FROM p ORDER BY n RETURNING id
  ),
  g AS MATERIALIZED (
    SELECT gp.*, nextval(${lit(seqs.pagos)}::regclass)::int AS id FROM (${pagoPlanSql(p.seed, "p")}) gp
  ),
  ig AS (
    INSERT INTO pagos_prestamo (id, prestamo_id, monto, fecha_pago, metodo, anulado)
    SELECT id, prestamo_id, monto, fecha_pago, metodo, anulado FROM g ORDER BY id RETURNING id
  ),
  tr AS (
    INSERT INTO test_data_rows (kind, legacy_id, set_id)
    SELECT 'prestamo', id, ${setId} FROM ip UNION ALL SELECT 'pago', id, ${setId} FROM ig
    RETURNING kind
  )
  SELECT (SELECT count(*) FROM ip)::int AS prestamos, (SELECT count(*) FROM ig)::int AS pagos,
    (SELECT count(*) FROM tr)::int AS tracked, (SELECT count(*) FROM g WHERE anulado)::int AS voided, c.*
  FROM (SELECT count(*) FILTER (WHERE j IS NOT NULL)::int AS broken, ${codeCounts} FROM p) c`;
}

/** Orphan pagos of a set: odd i → prestamo_id NULL, even i → a negative id (never a prestamo). */
function orphanSql(seed: number, setId: number, total: number, pagosSeq: string): string {
  const R = (salt: number) => rnd(seed, "i", 400 + salt);
  const d = `(DATE '2015-01-01' + (${R(3)} % 4018)::int)`;
  return `WITH
  o AS MATERIALIZED (
    SELECT i, nextval(${lit(pagosSeq)}::regclass)::int AS id,
      CASE WHEN i % 2 = 1 THEN NULL ELSE -(1 + ${R(1)} % 2000000000)::int END AS prestamo_id,
      ((1000 + ${R(2)} % 500000)::numeric / 100)::numeric(12,2) AS monto,
      ${caseForms(`${R(4)} % 7`, dateForms(d))} AS fecha_pago,
      ${metodoForms(R)} AS metodo,
      ${R(5)} % 100 < 10 AS anulado
    FROM generate_series(1::bigint, ${total}::bigint) AS i ORDER BY i
  ),
  io AS (
    INSERT INTO pagos_prestamo (id, prestamo_id, monto, fecha_pago, metodo, anulado)
    SELECT id, prestamo_id, monto, fecha_pago, metodo, anulado FROM o ORDER BY id RETURNING id, prestamo_id
  ),
  tr AS (INSERT INTO test_data_rows (kind, legacy_id, set_id) SELECT 'pago', id, ${setId} FROM io RETURNING 1)
  SELECT (SELECT count(*) FROM io)::int AS total, (SELECT count(*) FROM io WHERE prestamo_id IS NULL)::int AS null_prestamo,
    (SELECT count(*) FROM tr)::int AS tracked`;
}

/* ── DTOs ──────────────────────────────────────────────────────────────────────────── */

export type BrokenCounts = Record<FailureCode, number>;

export interface TestDataSummary {
  prestamos: number;
  /** Pagos of the set's prestamos (orphans not included). */
  pagos: number;
  voidedPagos: number;
  orphans: { total: number; nullPrestamo: number; dangling: number };
  /** Prestamos broken on purpose (exactly round(count × dirtyPct / 100)). */
  brokenPrestamos: number;
  /** Per failure code: how many prestamos were designed to fail with it (a prestamo may have two). */
  broken: BrokenCounts;
  tookMs: number;
}

export interface TestDataSetDto {
  id: number;
  seed: number;
  count: number;
  dirtyPct: number;
  createdBy: string;
  createdAt: string | null;
  summary: TestDataSummary | null;
}

export interface CreatedTestData {
  set: TestDataSetDto;
  prestamos: number;
  pagos: number;
  orphans: number;
  brokenPrestamos: number;
  broken: BrokenCounts;
  tookMs: number;
}

const zeroCounts = (): BrokenCounts => Object.fromEntries(FAILURE_CODES.map((c) => [c, 0])) as BrokenCounts;

async function serialSequences(tx: Executor): Promise<{ prestamos: string; pagos: string }> {
  const row = await queryOne<{ p: string | null; g: string | null }>(
    tx,
    sql`select pg_get_serial_sequence('prestamos', 'id') as p, pg_get_serial_sequence('pagos_prestamo', 'id') as g`,
  );
  if (!row?.p || !row?.g) throw new AppError("INTERNAL", "The legacy tables have no serial id sequence");
  return { prestamos: row.p, pagos: row.g };
}

/* ── createTestData ────────────────────────────────────────────────────────────────── */

/**
 * Creates `count` legacy test prestamos (0..12 pagos each), dirtyPct % broken on purpose across
 * every failure code, and some orphan pagos; all tracked; audited (`testdata.create`) in the same
 * transaction. Deterministic for a seed.
 */
export async function createTestData(db: Db, opts: CreateTestDataOptions, actor: Actor): Promise<CreatedTestData> {
  const p = checkParams(opts);
  const started = performance.now();
  return db.transaction(async (tx) => {
    // JIT would compile these large generated expressions for seconds per statement (PostgreSQL
    // decides by estimated cost); plain interpretation runs them in milliseconds.
    await tx.execute(sql`set local jit = off`);
    const [set] = await tx.insert(testDataSets).values({ seed: p.seed, count: p.count, dirtyPct: p.dirtyPct, createdBy: actor.name }).returning();
    const seqs = await serialSequences(tx);
    const broken = zeroCounts();
    let prestamos = 0;
    let pagos = 0;
    let voided = 0;
    let brokenPrestamos = 0;
    for (let from = 1; from <= p.count; from += CHUNK) {
      const to = Math.min(p.count, from + CHUNK - 1);
      const row = await queryOne<Record<string, unknown>>(tx, sql.raw(chunkSql(p, set.id, from, to, seqs)));
      const n = (k: string) => Number(row?.[k] ?? 0);
      if (n("tracked") !== n("prestamos") + n("pagos")) throw new AppError("INTERNAL", "test data tracking mismatch");
      prestamos += n("prestamos");
      pagos += n("pagos");
      voided += n("voided");
      brokenPrestamos += n("broken");
      for (const c of FAILURE_CODES) broken[c] += n(c);
    }
    const o = await queryOne<Record<string, unknown>>(tx, sql.raw(orphanSql(p.seed, set.id, orphanTarget(p.count), seqs.pagos)));
    const orphans = { total: Number(o?.total ?? 0), nullPrestamo: Number(o?.null_prestamo ?? 0), dangling: Number(o?.total ?? 0) - Number(o?.null_prestamo ?? 0) };
    const tookMs = Math.round(performance.now() - started);
    const summary: TestDataSummary = { prestamos, pagos, voidedPagos: voided, orphans, brokenPrestamos, broken, tookMs };
    await tx.execute(sql`update test_data_sets set summary = ${JSON.stringify(summary)}::jsonb where id = ${set.id}`);
    await writeAudit(tx, actor, {
      action: "testdata.create",
      target: `test_data_set:${set.id}`,
      outcome: "ok",
      status: 201,
      details: { seed: p.seed, count: p.count, dirtyPct: p.dirtyPct, prestamos, pagos, orphans: orphans.total, brokenPrestamos, broken },
    });
    return {
      set: { id: set.id, seed: set.seed, count: set.count, dirtyPct: set.dirtyPct, createdBy: set.createdBy, createdAt: set.createdAt.toISOString(), summary },
      prestamos,
      pagos,
      orphans: orphans.total,
      brokenPrestamos,
      broken,
      tookMs,
    };
  });
}

/* ── deleteTestData ────────────────────────────────────────────────────────────────── */

export interface DeletedTestData {
  sets: number[];
  prestamos: number;
  pagos: number;
  newPrestamos: number;
  newPagos: number;
  states: number;
  failures: number;
  trackingRows: number;
}

/**
 * Removes exactly the rows the generator created (by their tracked ids only): their new rows,
 * migration_state and migration_failures, then the legacy pagos, then the legacy prestamos, then
 * the tracking. One transaction with its audit row, under the writers' lock (never interleaves
 * with a sync). Idempotent: with nothing tracked it removes nothing (and is still audited).
 */
export async function deleteTestData(db: Db, actor: Actor): Promise<DeletedTestData> {
  return db.transaction(async (tx) => {
    await lockWriters(tx, "exclusive");
    // The sets committed now; a set being created concurrently is not visible and is left alone.
    const setRows = await queryRows<{ id: number }>(tx, sql`select id from test_data_sets order by id for update`);
    const sets = setRows.map((r) => Number(r.id));
    const ids = sql.raw(`'${intArrayLiteral(sets)}'::int[]`);
    const tracked = (kind: "prestamo" | "pago") => sql`select legacy_id from test_data_rows where kind = ${kind} and set_id = any(${ids})`;
    const count = async (q: SQL) => Number((await queryOne<{ n: number }>(tx, sql`with d as (${q} returning 1) select count(*)::int as n from d`))?.n ?? 0);

    const newPagos = await count(sql`delete from pagos_prestamo_new where legacy_id in (${tracked("pago")})`);
    const newPrestamos = await count(sql`delete from prestamos_new where legacy_id in (${tracked("prestamo")})`);
    const failures = await count(sql`delete from migration_failures where legacy_id in (${tracked("prestamo")})`);
    const states = await count(sql`delete from migration_state where legacy_id in (${tracked("prestamo")})`);
    const pagos = await count(sql`delete from pagos_prestamo where id in (${tracked("pago")})`);
    const prestamos = await count(sql`delete from prestamos where id in (${tracked("prestamo")})`);
    const trackingRows = await count(sql`delete from test_data_rows where set_id = any(${ids})`);
    await tx.execute(sql`delete from test_data_sets where id = any(${ids})`);
    const result = { sets, prestamos, pagos, newPrestamos, newPagos, states, failures, trackingRows };
    await writeAudit(tx, actor, { action: "testdata.delete", target: "test_data", outcome: "ok", status: 200, details: result });
    return result;
  });
}

/* ── listTestData ──────────────────────────────────────────────────────────────────── */

export interface TestDataSetListItem extends TestDataSetDto {
  /** Rows tracked for the set now (the set's own legacy rows; orphans among the pagos). */
  tracked: { prestamos: number; pagos: number };
  /** Tracked prestamos still in the legacy table (the application may delete rows), and of them in prestamos_new. */
  presentPrestamos: number;
  migratedPrestamos: number;
}

export interface TestDataList {
  sets: TestDataSetListItem[];
  totals: { sets: number; prestamos: number; pagos: number; presentPrestamos: number; migratedPrestamos: number };
}

/**
 * The sets, newest first, with their current counts. Three grouped scans rather than one join
 * over every tracked pago: at 1,000,000 prestamos (7,000,000 tracked rows) the pagos are only
 * counted, not looked up again in the legacy table.
 */
export async function listTestData(db: Executor): Promise<TestDataList> {
  const rows = await queryRows<Record<string, unknown>>(
    db,
    sql`with tracked as (
          select set_id, count(*) filter (where kind = 'prestamo') as prestamos, count(*) filter (where kind = 'pago') as pagos
          from test_data_rows group by set_id
        ),
        present as (
          select r.set_id, count(*) as prestamos, count(n.legacy_id) as migrated
          from test_data_rows r join prestamos p on p.id = r.legacy_id
          left join prestamos_new n on n.legacy_id = r.legacy_id
          where r.kind = 'prestamo'
          group by r.set_id
        )
        select s.id, s.seed, s.count, s.dirty_pct, s.created_by, s.created_at, s.summary,
          coalesce(t.prestamos, 0) as prestamos, coalesce(t.pagos, 0) as pagos,
          coalesce(p.prestamos, 0) as present_prestamos, coalesce(p.migrated, 0) as migrated
        from test_data_sets s left join tracked t on t.set_id = s.id left join present p on p.set_id = s.id
        order by s.id desc`,
  );
  const n = (v: unknown) => Number(v ?? 0);
  const sets = rows.map((r): TestDataSetListItem => ({
    id: n(r.id),
    seed: n(r.seed),
    count: n(r.count),
    dirtyPct: n(r.dirty_pct),
    createdBy: String(r.created_by),
    createdAt: isoTime(r.created_at),
    summary: (typeof r.summary === "string" ? JSON.parse(r.summary) : (r.summary ?? null)) as TestDataSummary | null,
    tracked: { prestamos: n(r.prestamos), pagos: n(r.pagos) },
    presentPrestamos: n(r.present_prestamos),
    migratedPrestamos: n(r.migrated),
  }));
  const sum = (f: (s: TestDataSetListItem) => number) => sets.reduce((a, s) => a + f(s), 0);
  return {
    sets,
    totals: {
      sets: sets.length,
      prestamos: sum((s) => s.tracked.prestamos),
      pagos: sum((s) => s.tracked.pagos),
      presentPrestamos: sum((s) => s.presentPrestamos),
      migratedPrestamos: sum((s) => s.migratedPrestamos),
    },
  };
}

/* ── seedDemoData ──────────────────────────────────────────────────────────────────── */

/**
 * 0.8 % broken (24 of 3,000): under the run's default 1 % error threshold, so a first run with the
 * defaults finishes, and still every failure code three times over (broken j gets code j % 8).
 */
export const DEMO_DATA = { count: 3000, dirtyPct: 0.8, seed: 2026 } as const;

/**
 * Start-up in embedded demo mode: when both legacy tables are empty, creates the demo set as
 * actor system. Does nothing when any legacy row exists (idempotent).
 */
export async function seedDemoData(db: Db): Promise<CreatedTestData | null> {
  const row = await queryOne<{ any: boolean }>(db, sql`select exists (select 1 from prestamos) or exists (select 1 from pagos_prestamo) as any`);
  if (row?.any) return null;
  return createTestData(db, DEMO_DATA, systemActor());
}

/* ── Expectations for tests: the rules' own verdict over the rows as read back ─────── */

export interface TestDataEvaluation {
  prestamos: number;
  passed: number;
  failed: number;
  /** Per failure code: prestamos the rules fail with it. */
  broken: BrokenCounts;
  /** The failing prestamos' legacy ids and codes, in id order. */
  failures: { legacyId: number; codes: FailureCode[] }[];
  /** §5 business warnings over the prestamos that pass. */
  warnings: { PAGADO_CON_SALDO: number; SALDO_CERO_ACTIVO: number; SOBREPAGO: number };
  /** The set's tracked pagos that are orphans: prestamo_id NULL, or naming no prestamo. */
  orphans: { nullPrestamo: number; dangling: number };
}

/**
 * Reads a set back (keyset batches of 5,000 prestamos with their pagos) and runs
 * `transformPrestamo` from rules.ts over every prestamo: the generator's claims are checked
 * against this, never against a second copy of the rules. Meant for tests and small sets.
 */
export async function evaluateTestData(db: Executor, setId: number): Promise<TestDataEvaluation> {
  const out: TestDataEvaluation = {
    prestamos: 0,
    passed: 0,
    failed: 0,
    broken: zeroCounts(),
    failures: [],
    warnings: { PAGADO_CON_SALDO: 0, SALDO_CERO_ACTIVO: 0, SOBREPAGO: 0 },
    orphans: { nullPrestamo: 0, dangling: 0 },
  };
  let after = 0;
  for (;;) {
    const prestamos = await readTestPrestamos(db, setId, after, 5000);
    if (prestamos.length === 0) break;
    after = prestamos[prestamos.length - 1].id;
    const pagos = await readPagosOf(db, prestamos.map((x) => x.id));
    for (const pr of prestamos) {
      const r = transformPrestamo(pr, pagos.get(pr.id) ?? []);
      out.prestamos++;
      if (r.ok) {
        out.passed++;
        const saldo = r.prestamo.saldo_cents as number;
        const estado = r.prestamo.estado;
        if (estado === "pagado" && saldo > 0) out.warnings.PAGADO_CON_SALDO++;
        if ((estado === "activo" || estado === "en_mora") && saldo <= 0) out.warnings.SALDO_CERO_ACTIVO++;
        if (saldo < 0) out.warnings.SOBREPAGO++;
      } else {
        out.failed++;
        const codes = [...new Set(r.failures.map((f) => f.code))].sort((a, b) => FAILURE_CODES.indexOf(a) - FAILURE_CODES.indexOf(b));
        for (const c of codes) out.broken[c]++;
        out.failures.push({ legacyId: pr.id, codes });
      }
    }
  }
  const o = await queryOne<{ null_prestamo: number; dangling: number }>(
    db,
    sql`select count(*) filter (where g.prestamo_id is null)::int as null_prestamo,
               count(*) filter (where g.prestamo_id is not null and not exists (select 1 from prestamos p where p.id = g.prestamo_id))::int as dangling
        from test_data_rows r join pagos_prestamo g on g.id = r.legacy_id
        where r.kind = 'pago' and r.set_id = ${setId}`,
  );
  out.orphans = { nullPrestamo: Number(o?.null_prestamo ?? 0), dangling: Number(o?.dangling ?? 0) };
  return out;
}

/** A set's legacy prestamos as the rules read them (numerics as text), in id order after `after`. */
export async function readTestPrestamos(db: Executor, setId: number, after: number, limit: number): Promise<LegacyPrestamo[]> {
  const rows = await queryRows<Record<string, unknown>>(
    db,
    sql`select l.id, l.cliente_nombre, l.cliente_documento, l.monto::text as monto, l.tasa_interes::text as tasa_interes,
               l.plazo_meses, l.fecha_otorgamiento, l.estado, l.moneda, l.updated_at::text as updated_at
        from test_data_rows r join prestamos l on l.id = r.legacy_id
        where r.kind = 'prestamo' and r.set_id = ${setId} and l.id > ${after}
        order by l.id limit ${limit}`,
  );
  return rows.map((r) => ({
    id: Number(r.id),
    cliente_nombre: (r.cliente_nombre as string | null) ?? null,
    cliente_documento: (r.cliente_documento as string | null) ?? null,
    monto: (r.monto as string | null) ?? null,
    tasa_interes: (r.tasa_interes as string | null) ?? null,
    plazo_meses: r.plazo_meses === null || r.plazo_meses === undefined ? null : Number(r.plazo_meses),
    fecha_otorgamiento: (r.fecha_otorgamiento as string | null) ?? null,
    estado: (r.estado as string | null) ?? null,
    moneda: (r.moneda as string | null) ?? null,
    updated_at: String(r.updated_at),
  }));
}

/** Every legacy pago of these prestamos (anulado or not), grouped by prestamo_id, in id order. */
export async function readPagosOf(db: Executor, prestamoIds: readonly number[]): Promise<Map<number, LegacyPago[]>> {
  const map = new Map<number, LegacyPago[]>();
  if (prestamoIds.length === 0) return map;
  const rows = await queryRows<Record<string, unknown>>(
    db,
    sql`select id, prestamo_id, monto::text as monto, fecha_pago, metodo, anulado from pagos_prestamo
        where prestamo_id = any(${sql.raw(`'${intArrayLiteral(prestamoIds)}'::int[]`)}) order by id`,
  );
  for (const r of rows) {
    const g: LegacyPago = {
      id: Number(r.id),
      prestamo_id: Number(r.prestamo_id),
      monto: (r.monto as string | null) ?? null,
      fecha_pago: (r.fecha_pago as string | null) ?? null,
      metodo: (r.metodo as string | null) ?? null,
      anulado: r.anulado === true || r.anulado === "t",
    };
    const list = map.get(g.prestamo_id!) ?? [];
    list.push(g);
    map.set(g.prestamo_id!, list);
  }
  return map;
}

/**
 * The design of a set without inserting anything: for n = from..to, the failure codes each
 * prestamo was built to fail with (empty: built to pass). The n-th prestamo of a set (in id
 * order) is n. Tests compare this, row by row, with the rules' verdict.
 */
export async function designedFailures(db: Executor, opts: CreateTestDataOptions, from = 1, to?: number): Promise<FailureCode[][]> {
  const p = checkParams(opts);
  const last = Math.min(p.count, to ?? p.count);
  if (!Number.isInteger(from) || from < 1 || from > last) return [];
  const rows = await queryRows<{ n: number; c1: number | null; c2: number | null }>(
    db,
    sql.raw(`select n, c1, c2 from (${designSql(p, from, last)}) d order by n`),
  );
  return rows.map((r) =>
    [r.c1, r.c2]
      .filter((c): c is number => c !== null && c !== undefined)
      .map((c) => FAILURE_CODES[Number(c)])
      .sort((a, b) => FAILURE_CODES.indexOf(a) - FAILURE_CODES.indexOf(b)),
  );
}
