/** The migration report as a download: JSON for machines, HTML for people (./html.ts), from the same data. */
import type { Exec } from "@/db/client";
import { auditPages, batchPages, failurePages, REPORT_PAGE, type ReportHead, type ReportOptions } from "@/lib/migration/report";
import { htmlParts } from "./html";

async function* jsonParts(db: Exec, head: ReportHead, opts: ReportOptions): AsyncGenerator<string> {
  const size = opts.pageSize ?? REPORT_PAGE;
  const whole = JSON.stringify(head);
  // The head without its closing brace, then the paged arrays, then the totals.
  yield `${whole.slice(0, -1)},\n`;
  const totals = { failureRows: 0, batches: 0, auditRows: 0 };
  async function* array<T>(name: string, pages: AsyncGenerator<T[]>, count: (k: number) => void) {
    yield `"${name}":[`;
    let first = true;
    for await (const page of pages) {
      count(page.length);
      yield (first ? "\n" : ",\n") + page.map((r) => JSON.stringify(r)).join(",\n");
      first = false;
    }
    yield "],\n";
  }
  yield* array("failures", failurePages(db, size, opts.onPage), (k) => (totals.failureRows += k));
  yield* array("batches", batchPages(db, size, opts.onPage), (k) => (totals.batches += k));
  yield* array("audit", auditPages(db, head.period.from, head.period.to, size, opts.onPage), (k) => (totals.auditRows += k));
  yield `"totals":${JSON.stringify(totals)}}\n`;
}

/** The document as a byte stream: parts are produced as the reader pulls, pages read as needed. */
export function reportStream(db: Exec, head: ReportHead, format: "json" | "html", opts: ReportOptions = {}): ReadableStream<Uint8Array> {
  const parts = format === "json" ? jsonParts(db, head, opts) : htmlParts(db, head, opts);
  const encoder = new TextEncoder();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const next = await parts.next();
        if (next.done) controller.close();
        else controller.enqueue(encoder.encode(next.value));
      } catch (err) {
        console.error(JSON.stringify({ level: "error", msg: "report stream failed", error: String((err as Error)?.stack ?? err) }));
        controller.error(err);
      }
    },
    async cancel() {
      await parts.return(undefined);
    },
  });
}

export function reportFilename(head: ReportHead, format: "json" | "html"): string {
  return `prestamos-migration-report-${head.generatedAt.slice(0, 10)}.${format}`;
}
