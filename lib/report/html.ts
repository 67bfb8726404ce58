/**
 * The migration report as HTML for people: one printable page, inline CSS and SVG charts, no
 * script. The data is the engine's (lib/migration/report.ts); the paged sections are read as written.
 */
import type { Exec } from "@/db/client";
import { auditPages, failurePages, REPORT_PAGE, type ReportHead, type ReportOptions } from "@/lib/migration/report";
import { phaseSentence, switchWords } from "@/lib/migration/cutover-phase";
import { FAILURE_CODES } from "@/lib/migration/rules";
import { describeReason } from "@/lib/migration/vocabulary";

export const esc = (v: unknown): string =>
  String(v ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
const int = new Intl.NumberFormat("en-US");
const fmt = (n: number | null | undefined) => (n === null || n === undefined ? "—" : int.format(n));
const when = (iso: string | null | undefined) =>
  iso
    ? esc(
        iso
          .replace("T", " ")
          .replace(/\.\d+Z$/, " UTC")
          .replace(/Z$/, " UTC"),
      )
    : "—";
const STATE_CLASS: Record<string, string> = { pass: "pass", confirmed: "confirmed", warn: "warn", fail: "fail", unmeasured: "warn" };

/** A line or bar chart as inline SVG: no script, no external file (prints as is). */
export function svgChart(values: number[], opts: { title: string; unit: string; kind: "line" | "bars"; color: string; xLabel: string }): string {
  const W = 720;
  const H = 180;
  const pad = { l: 56, r: 12, t: 24, b: 28 };
  const iw = W - pad.l - pad.r;
  const ih = H - pad.t - pad.b;
  const max = Math.max(1, ...values);
  const x = (i: number) => pad.l + (values.length <= 1 ? iw / 2 : (i / (values.length - 1)) * iw);
  const y = (v: number) => pad.t + ih - (v / max) * ih;
  const grid = [0, 0.5, 1]
    .map(
      (f) =>
        `<line x1="${pad.l}" x2="${W - pad.r}" y1="${y(max * f)}" y2="${y(max * f)}" class="grid"/><text x="${pad.l - 6}" y="${y(max * f) + 4}" text-anchor="end" class="tick">${esc(int.format(Math.round(max * f * 10) / 10))}</text>`,
    )
    .join("");
  let marks = "";
  if (values.length === 0) marks = `<text x="${W / 2}" y="${H / 2}" text-anchor="middle" class="tick">no batches</text>`;
  else if (opts.kind === "line")
    marks = `<polyline fill="none" stroke="${opts.color}" stroke-width="1.8" points="${values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(" ")}"/>`;
  else {
    const bw = Math.max(1, iw / values.length - 1);
    marks = values
      .map((v, i) =>
        v > 0
          ? `<rect x="${(pad.l + (i * iw) / values.length).toFixed(1)}" y="${y(v).toFixed(1)}" width="${bw.toFixed(1)}" height="${(pad.t + ih - y(v)).toFixed(1)}" fill="${opts.color}"/>`
          : "",
      )
      .join("");
  }
  return (
    `<svg class="chart" viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="${esc(opts.title)}" xmlns="http://www.w3.org/2000/svg">` +
    `<text x="${pad.l}" y="14" class="ctitle">${esc(opts.title)} (${esc(opts.unit)})</text>${grid}${marks}` +
    `<text x="${W - pad.r}" y="${H - 6}" text-anchor="end" class="tick">${esc(opts.xLabel)}</text></svg>`
  );
}

const CSS = `
:root{--ink:#18181b;--mute:#71717a;--line:#e4e4e7}
*{box-sizing:border-box}body{font:13px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--ink);margin:0 auto;max-width:1100px;padding:28px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 8px;border-bottom:2px solid var(--ink);padding-bottom:4px;break-after:avoid}
h3{font-size:14px;margin:18px 0 6px;break-after:avoid}p.meta{color:var(--mute);margin:0 0 2px}
table{border-collapse:collapse;width:100%;margin:6px 0 12px}th,td{border-bottom:1px solid var(--line);padding:4px 6px;text-align:left;vertical-align:top}
th{font-size:11px;text-transform:uppercase;letter-spacing:.03em;color:var(--mute);background:#fafafa}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
tr{break-inside:avoid}thead{display:table-header-group}code,.mono{font-family:ui-monospace,Menlo,monospace;font-size:12px}
.state{display:inline-block;min-width:74px;text-align:center;border-radius:4px;padding:1px 6px;font-weight:600;font-size:11px;text-transform:uppercase}
.pass{background:#ecfdf5;color:#065f46}.confirmed{background:#eff6ff;color:#1e40af}.warn{background:#fffbeb;color:#92400e}.fail{background:#fef2f2;color:#991b1b}
.chart{max-width:720px;display:block;margin:4px 0 14px}.chart .grid{stroke:#e4e4e7}.chart .tick{font-size:10px;fill:#71717a}.chart .ctitle{font-size:12px;font-weight:600;fill:#18181b}
.cards{display:grid;grid-template-columns:repeat(4,1fr);gap:8px}.card{border:1px solid var(--line);border-radius:6px;padding:8px}.card b{display:block;font-size:18px}
.details{max-width:420px;word-break:break-word}
@media print{body{padding:0;max-width:none;font-size:11px}@page{size:A4;margin:14mm}h2{break-before:auto}a{color:inherit;text-decoration:none}.noprint{display:none}}
`;

function checkTable(items: { id: string; label: string; state: string; figure: string }[]): string {
  return (
    `<table><thead><tr><th>Item</th><th>State</th><th>Figure</th></tr></thead><tbody>` +
    items
      .map(
        (i) =>
          `<tr><td>${esc(i.label)}<br><span class="mono">${esc(i.id)}</span></td><td><span class="state ${STATE_CLASS[i.state] ?? ""}">${esc(i.state)}</span></td><td>${esc(i.figure)}</td></tr>`,
      )
      .join("") +
    `</tbody></table>`
  );
}

export async function* htmlParts(db: Exec, head: ReportHead, opts: ReportOptions): AsyncGenerator<string> {
  const size = opts.pageSize ?? REPORT_PAGE;
  const c = head.consistency;
  yield `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Prestamos migration report ${esc(head.generatedAt.slice(0, 10))}</title><style>${CSS}</style></head><body>`;
  yield `<h1>Prestamos migration report</h1><p class="meta">Generated ${when(head.generatedAt)} by ${esc(head.generatedBy)} · database ${esc(head.database.driver)} — ${esc(head.database.version.split(" on ")[0])}</p>`;
  yield `<p><b>Phase:</b> ${esc(phaseSentence(head.cutover))}</p>${head.cutover.switches.map((s) => `<p class="meta">${esc(switchWords(s))}</p>`).join("")}`;
  yield `<p class="meta">Audit period ${when(head.period.from)} → ${when(head.period.to)} (${esc(head.period.rule)})</p>`;
  yield (
    `<div class="cards" style="margin-top:14px">` +
    [
      ["Runs", fmt(head.runs.length)],
      ["Migrated", fmt(c.migrated)],
      ["Failed prestamos", fmt(head.failedPrestamos)],
      ["Field match", c.fieldMatch.matchingPct === null ? "—" : `${c.fieldMatch.matchingPct} %`],
      ["Checklist", head.checklist.overall],
      ["Pre-flight", head.preflight.overall],
      ["Payment totals", c.paymentTotals.differenceCents === "0" ? "equal" : `differ by ${esc(c.paymentTotals.differenceCents)} cents`],
      ["Warnings", fmt(Object.values(c.status.warnings).reduce((a, b) => a + b, 0))],
    ]
      .map(([k, v]) => `<div class="card">${esc(k)}<b>${esc(v)}</b></div>`)
      .join("") +
    `</div>`
  );

  yield `<h2>Runs</h2><table id="runs"><thead><tr><th class="n">#</th><th>Started by</th><th>Settings</th><th>Start</th><th>End</th><th class="n">Processed</th><th class="n">Migrated</th><th class="n">Failed</th><th class="n">Pagos</th><th class="n">Prestamos/s</th><th class="n">Pagos/s</th><th>How it ended</th><th>Pre-flight</th></tr></thead><tbody>`;
  for (const r of head.runs) {
    const pf = r.preflight as { overall?: string; failing?: string[]; override?: boolean } | null;
    yield (
      `<tr><td class="n">${r.id}</td><td>${esc(r.startedBy)}</td><td class="mono">batch ${fmt(r.batchSize)}, threshold ${esc(r.errorThresholdPct)} %${r.retry ? ", retry" : ""}</td>` +
      `<td>${when(r.startedAt)}</td><td>${when(r.endedAt)}</td><td class="n">${fmt(r.processed)}</td><td class="n">${fmt(r.migrated)}</td><td class="n">${fmt(r.failed)}</td><td class="n">${fmt(r.pagos)}</td>` +
      `<td class="n">${fmt(r.prestamosPerSec)}</td><td class="n">${fmt(r.pagosPerSec)}</td><td><span class="state ${r.status === "finished" ? "pass" : r.active ? "confirmed" : "warn"}">${esc(r.status)}</span> ${esc(r.stopDetail ?? "")}${r.lastError ? `<br><span class="mono">last error: ${esc(r.lastError)}</span>` : ""}</td>` +
      `<td>${pf ? `<span class="state ${STATE_CLASS[pf.overall ?? ""] ?? ""}">${esc(pf.overall)}</span>${pf.failing?.length ? ` failing: ${esc(pf.failing.join(", "))}` : ""}${pf.override ? " — started with START ANYWAY" : ""}` : "not recorded"}</td></tr>`
    );
  }
  yield `</tbody></table>`;
  for (const r of head.runs) {
    const tput = r.chart.map((b) => (b.durationMs > 0 ? b.prestamos / (b.durationMs / 1000) : 0));
    const errs = r.chart.map((b) => (b.batches ? b.failures / b.batches : 0));
    const per = r.chart.length && r.chart[0].batches > 1 ? `batches, ${r.chart[0].batches} per point` : "batches";
    yield `<h3>Run #${r.id}: throughput and errors per batch</h3>`;
    yield svgChart(tput, { title: "Throughput", unit: "prestamos/s", kind: "line", color: "#2563eb", xLabel: per });
    yield svgChart(errs, { title: "Errors per batch", unit: "failed prestamos", kind: "bars", color: "#dc2626", xLabel: per });
  }

  yield `<h2>Pre-flight</h2><p class="meta">Checked ${when(head.preflight.checkedAt)} — overall <span class="state ${head.preflight.overall}">${esc(head.preflight.overall)}</span></p>${checkTable(head.preflight.items)}`;
  yield `<h2>Post-migration checklist</h2><p class="meta">Checked ${when(head.checklist.checkedAt)} — overall <span class="state ${head.checklist.overall}">${esc(head.checklist.overall)}</span></p>${checkTable(head.checklist.items)}`;
  yield (
    `<h3>Confirmations (withdrawn ones included)</h3><table><thead><tr><th>Phase</th><th>Item</th><th>Confirmed by</th><th>At</th><th>Reference</th><th>Withdrawn</th></tr></thead><tbody>` +
    (head.confirmations.length
      ? head.confirmations
          .map(
            (k) =>
              `<tr><td>${esc(k.phase)}</td><td class="mono">${esc(k.item)}</td><td>${esc(k.confirmedBy)}</td><td>${when(k.confirmedAt)}</td><td>${esc(k.reference ?? "")}</td><td>${k.withdrawnAt ? `${when(k.withdrawnAt)} by ${esc(k.withdrawnBy)}` : ""}</td></tr>`,
          )
          .join("")
      : `<tr><td colspan="6">none</td></tr>`) +
    `</tbody></table>`
  );

  const t = c.paymentTotals;
  yield (
    `<h2>Consistency</h2><p class="meta">Checked ${when(c.checkedAt)}</p><table><tbody>` +
    `<tr><th>Migrated prestamos</th><td class="n">${fmt(c.migrated)}</td></tr>` +
    `<tr><th>Field match</th><td class="n">${c.fieldMatch.matchingPct ?? "—"} % (${fmt(c.fieldMatch.matching)} match, ${fmt(c.fieldMatch.mismatching)} do not)</td></tr>` +
    `<tr><th>Payment totals (cents)</th><td class="n">legacy ${esc(t.legacyTotalCents)} · new ${esc(t.newTotalCents)} · difference ${esc(t.differenceCents)} · accuracy ${t.accuracyPct} %</td></tr>` +
    `<tr><th>Status mismatches</th><td class="n">${fmt(c.status.mismatching)}</td></tr>` +
    `<tr><th>Warnings</th><td class="n">${Object.entries(c.status.warnings)
      .map(([k, v]) => `${esc(k)} ${fmt(v)}`)
      .join(" · ")}</td></tr>` +
    `<tr><th>Relationships</th><td class="n">${Object.entries(c.relationships)
      .map(([k, v]) => `${esc(k)} ${fmt(v)}`)
      .join(" · ")}</td></tr>` +
    `</tbody></table>`
  );

  yield (
    `<h2>Throttle episodes</h2><table><thead><tr><th class="n">Run</th><th>Started</th><th>Ended</th><th class="n">Seconds</th><th>Outcome</th><th>Why</th><th>Worst</th></tr></thead><tbody>` +
    (head.throttleEpisodes.length
      ? head.throttleEpisodes
          .map(
            (e) =>
              `<tr><td class="n">${e.runId ?? ""}</td><td>${when(e.startedAt)}</td><td>${e.endedAt ? when(e.endedAt) : "open"}</td><td class="n">${fmt(e.seconds)}</td><td>${esc(e.outcome)}</td><td>${esc(e.reasons.map(describeReason).join("; "))}</td><td class="mono">${esc(
                Object.entries(e.worst)
                  .map(([k, v]) => `${k} ${v}`)
                  .join(", "),
              )}</td></tr>`,
          )
          .join("")
      : `<tr><td colspan="7">none: the throttle never held a run</td></tr>`) +
    `</tbody></table>`
  );

  yield (
    `<h2>Failures by code</h2><table><thead><tr><th>Code</th><th class="n">Prestamos</th><th class="n">Rules</th></tr></thead><tbody>` +
    FAILURE_CODES.map(
      (k) =>
        `<tr><td class="mono">${k}</td><td class="n">${fmt(head.failuresByCode[k].prestamos)}</td><td class="n">${fmt(head.failuresByCode[k].rules)}</td></tr>`,
    ).join("") +
    `</tbody></table>`
  );
  yield `<h3>Every failing prestamo and rule (${fmt(head.failedPrestamos)} prestamos)</h3><table id="failures"><thead><tr><th class="n">Legacy id</th><th>Code</th><th>Field</th><th>Offending value</th><th class="n">Pago id</th><th class="n">Run</th></tr></thead><tbody>`;
  let lastId = -1;
  let failureRows = 0;
  for await (const page of failurePages(db, size, opts.onPage)) {
    failureRows += page.length;
    yield page
      .map((f) => {
        const first = f.legacyId !== lastId;
        lastId = f.legacyId;
        return `<tr><td class="n">${first ? f.legacyId : ""}</td><td class="mono">${esc(f.code ?? "(no rule recorded)")}</td><td class="mono">${esc(f.field ?? "")}</td><td class="mono">${f.value === null ? "<i>NULL</i>" : esc(JSON.stringify(f.value))}</td><td class="n">${f.pagoId ?? ""}</td><td class="n">${f.runId ?? ""}</td></tr>`;
      })
      .join("\n");
  }
  if (failureRows === 0) yield `<tr><td colspan="6">no failed prestamo</td></tr>`;
  yield `</tbody></table>`;

  yield `<h2>Audit log of the period</h2><table id="audit"><thead><tr><th class="n">#</th><th>At</th><th>Actor</th><th>Action</th><th>Target</th><th>Outcome</th><th class="n">Status</th><th>Details</th></tr></thead><tbody>`;
  let auditRows = 0;
  for await (const page of auditPages(db, head.period.from, head.period.to, size, opts.onPage)) {
    auditRows += page.length;
    yield page
      .map((a) => {
        const d = a.details === null ? "" : JSON.stringify(a.details);
        return `<tr><td class="n">${a.id}</td><td>${when(a.at)}</td><td>${esc(a.actor)}</td><td class="mono">${esc(a.action)}</td><td class="mono">${esc(a.target ?? "")}</td><td>${esc(a.outcome)}</td><td class="n">${a.status ?? ""}</td><td class="mono details">${esc(d.length > 400 ? `${d.slice(0, 400)}… (full in the JSON report)` : d)}</td></tr>`;
      })
      .join("\n");
  }
  if (auditRows === 0) yield `<tr><td colspan="8">no audit row in the period</td></tr>`;
  yield `</tbody></table><p class="meta">${fmt(failureRows)} failure rows · ${fmt(auditRows)} audit rows · end of report</p></body></html>\n`;
}
