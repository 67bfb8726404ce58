/** Number, money, date and duration formatting shared by the console's pages (server and client). */

const intFmt = new Intl.NumberFormat("en-US");
const dec1 = new Intl.NumberFormat("en-US", { minimumFractionDigits: 1, maximumFractionDigits: 1 });
const dec2 = new Intl.NumberFormat("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });

export const fmtInt = (n: number | null | undefined): string => (n === null || n === undefined || !Number.isFinite(n) ? "—" : intFmt.format(n));
export const fmtDec1 = (n: number | null | undefined): string => (n === null || n === undefined || !Number.isFinite(n) ? "—" : dec1.format(n));
export const fmtPct = (n: number | null | undefined): string => (n === null || n === undefined || !Number.isFinite(n) ? "—" : `${dec2.format(n)} %`);

/** A percentage with its denominator named: "3.00 % of 2,000 processed" (two shares never read alike unnamed). */
export function fmtPctOf(part: number, whole: number, of: string): string {
  return `${fmtPct(whole ? (part / whole) * 100 : 0)} of ${fmtInt(whole)} ${of}`;
}

/** An id as the database and the API spell it: digits, no grouping ("5000008", "-5"), so it can be copied into a search. */
export const fmtId = (n: number | null | undefined): string => (n === null || n === undefined || !Number.isFinite(n) ? "—" : String(n));

/** Cents (number or a bigint-safe string) as currency: "S/ 1,234.50" for PEN, "US$ 1,234.50" for USD. */
export function fmtCents(cents: number | string | null | undefined, currency: string | null = "PEN"): string {
  if (cents === null || cents === undefined || cents === "") return "—";
  let s = String(cents).trim();
  if (!/^-?\d+$/.test(s)) return s;
  const neg = s.startsWith("-");
  if (neg) s = s.slice(1);
  s = s.padStart(3, "0");
  const units = s.slice(0, -2).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  const prefix = currency === "USD" ? "US$" : currency === "PEN" ? "S/" : (currency ?? "");
  return `${neg ? "−" : ""}${prefix} ${units}.${s.slice(-2)}`.trim();
}

/** An ISO time as "2026-11-27 10:04:05 UTC" (one zone for every viewer: logs and audit are in UTC). */
export function fmtTime(iso: string | null | undefined): string {
  if (!iso) return "—";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : `${d.toISOString().slice(0, 19).replace("T", " ")} UTC`;
}

/** Seconds as "1 h 02 m", "3 m 20 s", "45 s". */
export function fmtDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return "—";
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} m ${String(s % 60).padStart(2, "0")} s`;
  const h = Math.floor(m / 60);
  return `${h} h ${String(m % 60).padStart(2, "0")} m`;
}

export function fmtBytes(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return "—";
  const units = ["B", "KB", "MB", "GB", "TB"];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : dec1.format(v)} ${units[i]}`;
}
