/**
 * How legacy values read (MIGRATION-SPEC §3): the estado, moneda and metodo vocabularies with the
 * synonyms each maps, and the scalar parsers in TypeScript. The rules table (rules.ts) builds its
 * TypeScript forms from these; rule-functions.ts generates their SQL forms from the same maps.
 */

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
