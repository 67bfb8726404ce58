/**
 * CSV downloads (RFC 4180), streamed: the header, then one chunk per batch the source yields, so a
 * large export holds one batch in memory and the client sees bytes at once.
 */

/**
 * One CSV cell. A text starting with = + - @ (or tab / CR) is prefixed with a quote so that a
 * spreadsheet shows it instead of evaluating it: actors, targets, details and legacy values can
 * hold what someone typed (OWASP "CSV injection"). A plain negative number (a refused monto) is no
 * formula and stays readable.
 */
const PLAIN_NUMBER = /^-?\d+(\.\d+)?$/;

export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return "";
  let s = typeof value === "string" ? value : typeof value === "object" ? JSON.stringify(value) : String(value);
  if (/^[=+\-@\t\r]/.test(s) && !PLAIN_NUMBER.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export const csvLine = (cells: readonly unknown[]): string => cells.map(csvCell).join(",") + "\r\n";

/** The header, then each batch of the generator as CSV lines, pulled as the client reads. */
export function csvStream<T>(header: readonly string[], batches: AsyncGenerator<T[]>, row: (item: T) => readonly unknown[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let headerSent = false;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!headerSent) {
        headerSent = true;
        controller.enqueue(encoder.encode(header.join(",") + "\r\n"));
        return;
      }
      try {
        const next = await batches.next();
        if (next.done) controller.close();
        else controller.enqueue(encoder.encode(next.value.map((item) => csvLine(row(item))).join("")));
      } catch (err) {
        controller.error(err);
      }
    },
    async cancel() {
      await batches.return(undefined);
    },
  });
}

/** The headers of a CSV attachment named `<name>-<UTC time>.csv`. */
export function csvHeaders(name: string): Record<string, string> {
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  return { "content-type": "text/csv; charset=utf-8", "content-disposition": `attachment; filename="${name}-${stamp}.csv"`, "cache-control": "no-store" };
}
