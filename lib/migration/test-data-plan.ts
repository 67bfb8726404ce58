/**
 * The design of a test-data set, in SQL (MIGRATION-SPEC §6 POST /prestamos/test/create-data):
 * every value is computed from a hash of (seed, row number, salt), one `INSERT … SELECT` per
 * chunk of CHUNK prestamos. The accepted dirty forms come from the maps of legacy-values.ts (every
 * estado / moneda / metodo synonym); the broken forms are listed here per failure code. The set's
 * design figures (seed, count, shifts) are validated integers written into the text; the set id,
 * the sequences and the span of each chunk are bound.
 */
import { sql, type SQL } from "drizzle-orm";
import { AppError } from "@/lib/errors";
import { ESTADO_MAP, METODO_MAP, MONEDA_MAP } from "./legacy-values";
import { FAILURE_CODES, type FailureCode } from "./rules";

/* ── Inputs and caps ───────────────────────────────────────────────────────────────── */

export const TEST_DATA_MAX_COUNT = 1_000_000;
export const TEST_DATA_DEFAULTS = { count: 1000, dirtyPct: 10, seed: 42 } as const;
/** Prestamos per statement: memory stays flat whatever the count (~6 pagos each). */
export const CHUNK = 50_000;
/** At most this many pagos per prestamo (0..12, ~6 on average). */
const MAX_PAGOS = 12;

export interface CreateTestDataOptions {
  count?: number;
  dirtyPct?: number;
  seed?: number;
}

export interface Params {
  count: number;
  dirtyPct: number;
  seed: number;
}

export function checkParams(opts: CreateTestDataOptions): Params {
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

const FIRST_NAMES = [
  "Juan",
  "María",
  "José",
  "Rosa",
  "Luis",
  "Carmen",
  "Jorge",
  "Ana",
  "Carlos",
  "Lucía",
  "Miguel",
  "Elena",
  "Pedro",
  "Sofía",
  "Víctor",
  "Teresa",
  "Raúl",
  "Julia",
  "César",
  "Patricia",
  "Ñuflo",
  "Gladys",
];
const LAST_NAMES = [
  "Quispe",
  "Flores",
  "Sánchez",
  "Rodríguez",
  "García",
  "Huamán",
  "Mamani",
  "Chávez",
  "Torres",
  "Ramírez",
  "Vásquez",
  "Mendoza",
  "Castillo",
  "Rojas",
  "Díaz",
  "Gutiérrez",
  "Núñez",
  "Paredes",
  "Salazar",
  "Cárdenas",
  "Ñahui",
  "O'Brien",
];

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
const SPECIAL_DATES = [
  "29/2/2024",
  "2024-02-29",
  " 29/02/2020 ",
  "29/2/2000",
  "1900-01-01",
  "1/1/1900",
  "31/12/2100",
  "2100-12-31",
  "31/1/2024",
  "\t30/4/2023\n",
];

/** Accepted spellings of a map key: as is, upper, initcap, mixed vowels, white space around and inside. */
const textForms = (x: string, pad: boolean) => [
  x,
  `upper(${x} COLLATE "C")`,
  `initcap(${x} COLLATE "C")`,
  `translate(${x}, 'aeiou', 'AEIOU')`,
  ...(pad
    ? [`'  ' || ${x} || ' '`, `E'\\t' || upper(${x} COLLATE "C") || E'\\n'`, `' ' || replace(${x}, ' ', E' \\t ')`]
    : [`' ' || ${x}`, `lower(${x} COLLATE "C") || E'\\t'`]),
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
  INVALID_FECHA: [
    "NULL",
    "''",
    "'31/02/2021'",
    "'29/2/2023'",
    "'1899-12-31'",
    "'2101-01-01'",
    "'N/A'",
    "'2021/03/15'",
    "'15-03-2021'",
    "'2021-3-5'",
    "'32/1/2020'",
    "'1/13/2020'",
    "' ayer '",
    "'00/00/0000'",
    "'   '",
    "'2021-02-29'",
  ],
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
export function designSql(p: Params, from: number, to: number): SQL {
  const K = brokenTarget(p.count, p.dirtyPct);
  const shift = mix(p.seed, 1) % p.count;
  const fs = mix(p.seed, 2) % 997;
  const nCodes = FAILURE_CODES.length;
  const bf = FAILURE_CODES.map((code, i) => {
    const nf = BROKEN_FORM_COUNT[code];
    return `CASE WHEN c1 = ${i} THEN (j / ${nCodes} + ${fs}) % ${nf} WHEN c2 = ${i} THEN (j / 5 + ${fs}) % ${nf} END AS ${bfCol(code)}`;
  }).join(",\n    ");
  // The set's design figures are part of the statement's text (validated integers); the span is bound.
  const head = `SELECT n, j, c1, c2,
    ${bf}
  FROM (
    SELECT n, j, j % ${nCodes} AS c1, CASE WHEN j % 5 = 4 THEN (j % ${nCodes} + 1 + (j / 5) % ${nCodes - 1}) % ${nCodes} END AS c2
    FROM (
      SELECT n, CASE WHEN (nr * ${K}) / ${p.count} > ((nr - 1) * ${K}) / ${p.count} THEN (nr * ${K}) / ${p.count} - 1 END AS j
      FROM (SELECT n, ((n - 1 + ${shift}) % ${p.count}) + 1 AS nr FROM`;
  return sql`${sql.raw(head)} generate_series(${from}::bigint, ${to}::bigint) AS n OFFSET 0) s0
      OFFSET 0
    ) s1
    OFFSET 0
  ) s2`;
}

/** The legacy column values of prestamos n = from..to, plus what their pagos need. */
function prestamoPlanSql(p: Params, design: SQL): SQL {
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
  const head = `SELECT a.*,
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
    FROM (`;
  return sql`${sql.raw(head)}${design} OFFSET 0) d
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

/** The legacy tables' id sequences, by oid (bound into the inserts' nextval). */
export interface Sequences {
  prestamos: number;
  pagos: number;
}

/** One chunk: prestamos n = from..to and their pagos, inserted and tracked in one statement. */
export function chunkSql(p: Params, setId: number, from: number, to: number, seqs: Sequences): SQL {
  const codeCounts = FAILURE_CODES.map((c, i) => `count(*) FILTER (WHERE c1 = ${i} OR c2 = ${i}) AS "${c}"`).join(", ");
  const columns = sql.raw(PRESTAMO_INSERT_COLUMNS);
  return sql`WITH
  p AS MATERIALIZED (
    SELECT plan.*, nextval(${seqs.prestamos}::oid::regclass)::int AS id FROM (${prestamoPlanSql(p, designSql(p, from, to))} ORDER BY n) plan
  ),
  ip AS (
    INSERT INTO prestamos (id, ${columns}) SELECT id, ${columns} FROM p ORDER BY n RETURNING id
  ),
  g AS MATERIALIZED (
    SELECT gp.*, nextval(${seqs.pagos}::oid::regclass)::int AS id FROM (${sql.raw(pagoPlanSql(p.seed, "p"))}) gp
  ),
  ig AS (
    INSERT INTO pagos_prestamo (id, prestamo_id, monto, fecha_pago, metodo, anulado)
    SELECT id, prestamo_id, monto, fecha_pago, metodo, anulado FROM g ORDER BY id RETURNING id
  ),
  tr AS (
    INSERT INTO test_data_rows (kind, legacy_id, set_id)
    SELECT 'prestamo', id, ${setId}::int FROM ip UNION ALL SELECT 'pago', id, ${setId}::int FROM ig
    RETURNING kind
  )
  SELECT (SELECT count(*) FROM ip)::int AS prestamos, (SELECT count(*) FROM ig)::int AS pagos,
    (SELECT count(*) FROM tr)::int AS tracked, (SELECT count(*) FROM g WHERE anulado)::int AS voided, c.*
  FROM (SELECT count(*) FILTER (WHERE j IS NOT NULL)::int AS broken, ${sql.raw(codeCounts)} FROM p) c`;
}

/** Orphan pagos of a set: odd i → prestamo_id NULL, even i → a negative id (never a prestamo). */
export function orphanSql(seed: number, setId: number, total: number, pagosSeq: number): SQL {
  const R = (salt: number) => rnd(seed, "i", 400 + salt);
  const d = `(DATE '2015-01-01' + (${R(3)} % 4018)::int)`;
  const values = sql.raw(`CASE WHEN i % 2 = 1 THEN NULL ELSE -(1 + ${R(1)} % 2000000000)::int END AS prestamo_id,
      ((1000 + ${R(2)} % 500000)::numeric / 100)::numeric(12,2) AS monto,
      ${caseForms(`${R(4)} % 7`, dateForms(d))} AS fecha_pago,
      ${metodoForms(R)} AS metodo,
      ${R(5)} % 100 < 10 AS anulado`);
  return sql`WITH
  o AS MATERIALIZED (
    SELECT i, nextval(${pagosSeq}::oid::regclass)::int AS id,
      ${values}
    FROM generate_series(1::bigint, ${total}::bigint) AS i ORDER BY i
  ),
  io AS (
    INSERT INTO pagos_prestamo (id, prestamo_id, monto, fecha_pago, metodo, anulado)
    SELECT id, prestamo_id, monto, fecha_pago, metodo, anulado FROM o ORDER BY id RETURNING id, prestamo_id
  ),
  tr AS (INSERT INTO test_data_rows (kind, legacy_id, set_id) SELECT 'pago', id, ${setId}::int FROM io RETURNING 1)
  SELECT (SELECT count(*) FROM io)::int AS total, (SELECT count(*) FROM io WHERE prestamo_id IS NULL)::int AS null_prestamo,
    (SELECT count(*) FROM tr)::int AS tracked`;
}
