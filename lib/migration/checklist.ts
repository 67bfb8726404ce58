/**
 * The post-migration checklist: each item measured by the console (never ticked by hand
 * where the console can know), each linking to its evidence, and the person-confirmed items.
 * The consistency summary walks every migrated prestamo: the items read the latest background
 * check (lib/migration/jobs.ts), never one computed for the request.
 */
import { sql } from "drizzle-orm";
import type { Db } from "@/db/client";
import { queryOne } from "@/db/sql";
import { CAPTURE_ON_SQL } from "./capture";
import { activeConfirmations } from "./confirmations";
import type { ConsistencySummary } from "./consistency";
import { latestConsistency, type LatestConsistency } from "./jobs";
import { getKeptLegacyCounts } from "./legacy-row-counts";
import { bytes, confirmationItems, overallOf, type CheckItem } from "./check-items";
import { fmtCents } from "@/lib/format";
import { failedCountsByCode } from "./failures";
import { FAILURE_CODES } from "./rules";
import { getStateCounts } from "./state-counts";

export interface Checklist {
  checkedAt: string;
  overall: "pass" | "warn" | "fail";
  failing: string[];
  warnings: string[];
  items: CheckItem[];
}

const NOTHING_MIGRATED = "not measurable yet: no prestamo is migrated";
const int = new Intl.NumberFormat("en-US");
const n = (x: number) => int.format(x);

/**
 * Reads no table whole: the legacy and state counts are the kept ones, the consistency items come
 * from the latest background check (failing when there is none, or when something changed since).
 */
export async function getChecklist(db: Db, opts: { consistency?: LatestConsistency<ConsistencySummary> | null } = {}): Promise<Checklist> {
  const checkedAt = new Date().toISOString();
  const latest = opts.consistency !== undefined ? opts.consistency : await latestConsistency<ConsistencySummary>(db);
  // Each failed prestamo probes the failures' index (OFFSET 0 keeps the probe a per-row subplan):
  // during a run the planner's statistics lag the tables, and with them it chose a join that
  // walked one table once per row of the other (70 s at 10M). This count and the counts by code
  // are the slowest reads here (0.5–1 s at 10M with 50,000 failed): separate statements, so on
  // postgres.js they run at once on two connections.
  const [kept, states, noReason, countsByCode, f] = await Promise.all([
    getKeptLegacyCounts(db),
    getStateCounts(db),
    queryOne<{ n: number }>(
      db,
      sql`SELECT count(*)::int AS n FROM migration_state s WHERE s.state = 'failed'
            AND NOT EXISTS (SELECT 1 FROM migration_failures f WHERE f.legacy_id = s.legacy_id OFFSET 0)`,
    ),
    failedCountsByCode(db),
    queryOne<Record<string, unknown>>(
      db,
      sql`SELECT (SELECT count(*) FROM capture_changes)::int AS backlog,
               (SELECT extract(epoch FROM now() - min(captured_at))::float8 FROM capture_changes) AS oldest,
               ${sql.raw(CAPTURE_ON_SQL)} AS capture_on,
               (SELECT count(*) FROM test_data_rows WHERE kind = 'prestamo')::int AS test_prestamos,
               (SELECT count(*) FROM test_data_rows WHERE kind = 'pago')::int AS test_pagos,
               coalesce(pg_total_relation_size(to_regclass('prestamos_new')), 0)::float8 AS new_p_bytes,
               coalesce(pg_total_relation_size(to_regclass('pagos_prestamo_new')), 0)::float8 AS new_g_bytes,
               (SELECT status FROM migration_runs ORDER BY id DESC LIMIT 1) AS last_status,
               (SELECT id FROM migration_runs ORDER BY id DESC LIMIT 1) AS last_id`,
    ),
  ]);
  const counted: Record<string, number> = {
    legacy: kept.prestamos,
    migrated: states.migrated,
    failed: states.failed,
    rolled_back: states.rolledBack,
    pending: kept.prestamos - states.migrated - states.failed - states.rolledBack,
    failed_no_reason: Number(noReason?.n ?? 0),
  };
  const num = (k: string) => counted[k] ?? Number(f?.[k] ?? 0);
  const byCode = Object.fromEntries(FAILURE_CODES.filter((k) => countsByCode[k].prestamos > 0).map((k) => [k, countsByCode[k].prestamos]));
  const items: CheckItem[] = [];

  // Runs: the last one walked the table, none is active.
  const lastStatus = (f?.last_status as string | null) ?? null;
  items.push({
    id: "run.finished",
    group: "Runs",
    label: "The last run finished, none is active",
    state: lastStatus === "finished" ? "pass" : lastStatus === null || lastStatus === "running" || lastStatus === "paused" ? "fail" : "warn",
    figure: lastStatus === null ? "no run yet" : `run #${num("last_id")} ${lastStatus}`,
    why: "A run still active may write more; a halted or stopped one may have left prestamos pending.",
    link: "/migration",
  });

  const unprocessed = num("pending") + num("rolled_back");
  items.push({
    id: "all_processed",
    group: "Prestamos",
    label: "Every prestamo migrated, or failed with a recorded reason",
    state: unprocessed === 0 && num("failed_no_reason") === 0 && num("legacy") > 0 ? "pass" : "fail",
    figure:
      `${n(num("migrated"))} migrated, ${n(num("failed"))} failed${num("failed_no_reason") ? ` (${n(num("failed_no_reason"))} with no recorded rule)` : ""}, ` +
      `${n(num("pending"))} pending, ${n(num("rolled_back"))} rolled back, of ${n(num("legacy"))} legacy prestamos` +
      (num("failed")
        ? ` — ${FAILURE_CODES.filter((k) => byCode[k])
            .map((k) => `${k} ${n(byCode[k])}`)
            .join(", ")}`
        : ""),
    why: "A pending or rolled-back prestamo has no row in the new tables: the application would lose it at the switch. A failure without its rule cannot be fixed.",
    link: "/failures",
    data: {
      legacy: num("legacy"),
      migrated: num("migrated"),
      failed: num("failed"),
      pending: num("pending"),
      rolledBack: num("rolled_back"),
      failedWithoutReason: num("failed_no_reason"),
      byCode,
    },
  });

  items.push(...consistencyItems(latest, num("migrated")));

  const backlog = num("backlog");
  const captureOn = f?.capture_on === true;
  items.push({
    id: "capture",
    group: "Change capture",
    label: "Change backlog zero",
    state: backlog === 0 ? "pass" : "fail",
    figure: `${n(backlog)} changes waiting${backlog ? ` (oldest ${Math.round(Number(f?.oldest ?? 0))} s)` : ""}; capture ${captureOn ? "on: the new tables follow legacy until an admin ends it" : "off"}`,
    why: "A change not yet synced is a legacy row the new tables do not reflect.",
    link: "/migration",
    data: { backlog, captureOn },
  });

  const tp = num("test_prestamos");
  items.push({
    id: "test_data_removed",
    group: "Test data",
    label: "Test data removed",
    state: tp + num("test_pagos") === 0 ? "pass" : "fail",
    figure: tp + num("test_pagos") === 0 ? "test_data_rows is empty" : `${n(tp)} test prestamos and ${n(num("test_pagos"))} test pagos still tracked`,
    why: "Generated prestamos in the legacy and new tables would reach the application's customers' reports.",
    link: "/test-data",
    data: { prestamos: tp, pagos: num("test_pagos") },
  });

  // Rows of the new tables: at the last consistency check (a count here would read them whole).
  const c = latest?.summary;
  counted.new_p = c?.newPrestamos ?? 0;
  counted.new_g = c?.paymentTotals.newPagos ?? 0;
  items.push({
    id: "new_tables",
    group: "New tables",
    label: "Row counts and sizes",
    state: "pass",
    figure: `prestamos_new ${c ? `${n(num("new_p"))} rows` : "rows not counted yet"}, ${bytes(num("new_p_bytes"))}; pagos_prestamo_new ${c ? `${n(num("new_g"))} rows` : "rows not counted yet"}, ${bytes(num("new_g_bytes"))}${c ? " (rows at the last consistency check)" : ""}`,
    why: "The figures to compare with the application's own counts after the switch.",
    link: "/consistency",
    data: { prestamos: num("new_p"), pagos: num("new_g"), prestamosBytes: num("new_p_bytes"), pagosBytes: num("new_g_bytes") },
  });

  items.push(...confirmationItems("checklist", await activeConfirmations(db, "checklist")));
  return {
    checkedAt,
    overall: overallOf(items),
    failing: items.filter((i) => i.state === "fail").map((i) => i.id),
    warnings: items.filter((i) => i.state === "warn").map((i) => i.id),
    items,
  };
}

/** The four §5 items from the latest check; each fails without one, or when it may no longer hold. */
function consistencyItems(latest: LatestConsistency<ConsistencySummary> | null, migratedNow: number): CheckItem[] {
  if (!latest || latest.staleBecause) {
    // With nothing migrated there is nothing to compare: not measurable, never a pass or a fail.
    const unmeasured = migratedNow === 0;
    const figure = unmeasured
      ? NOTHING_MIGRATED
      : latest
        ? `the last check (${n(latest.ageSeconds)} s ago) may no longer hold: ${latest.staleBecause}; ask for a fresh one on the consistency page`
        : "no consistency check has finished yet; ask for one on the consistency page";
    const why = "The consistency check runs in the background; its result counts only while nothing changed since it started.";
    return (
      [
        ["field_match", "Field match 100 %"],
        ["payment_totals", "Payment totals equal"],
        ["status_consistent", "Status consistent"],
        ["relationships", "Relationships intact"],
      ] as const
    ).map(([id, label]) => ({
      id,
      group: "Consistency",
      label,
      state: unmeasured ? "unmeasured" : "fail",
      figure,
      why,
      link: "/consistency",
      data: { checkedAt: latest?.finishedAt ?? null, staleBecause: latest?.staleBecause ?? null },
    }));
  }
  const c = latest.summary;
  const items: CheckItem[] = [];
  // Once cut over the legacy names are views over the new tables: the check compared the archive.
  const asOf = ` (checked ${n(latest.ageSeconds)} s ago${c.comparedWith?.against === "archive" ? `, against the archive ${c.comparedWith.prestamos} and ${c.comparedWith.pagos}` : ""})`;
  const pct = c.fieldMatch.matchingPct;
  items.push({
    id: "field_match",
    group: "Consistency",
    label: "Field match 100 %",
    state: c.fieldMatch.mismatching > 0 ? "fail" : c.migrated === 0 ? "unmeasured" : "pass",
    figure:
      c.migrated === 0
        ? NOTHING_MIGRATED
        : `${pct} % — ${n(c.fieldMatch.matching)} of ${n(c.migrated)} migrated prestamos match their rules (${n(c.nowFails)} now fail)${asOf}`,
    why: "Every column of every migrated prestamo and pago must equal its rule applied to the legacy row as it is now.",
    link: "/consistency",
    data: { ...c.fieldMatch, migrated: c.migrated, nowFails: c.nowFails },
  });

  const t = c.paymentTotals;
  items.push({
    id: "payment_totals",
    group: "Consistency",
    label: "Payment totals equal",
    state: !(t.legacyTotalCents === t.newTotalCents && t.prestamosDiffering === 0 && t.legacyLivePagos === t.newLivePagos)
      ? "fail"
      : c.migrated === 0
        ? "unmeasured"
        : "pass",
    figure:
      c.migrated === 0 && t.newTotalCents === "0"
        ? NOTHING_MIGRATED
        : `legacy ${fmtCents(t.legacyTotalCents, null)} in ${n(t.legacyLivePagos)} pagos, new ${fmtCents(t.newTotalCents, null)} in ${n(t.newLivePagos)} (PEN and USD amounts added together); difference ${fmtCents(t.differenceCents, null)}; ${n(t.prestamosDiffering)} prestamos differ (accuracy ${t.accuracyPct} % of the legacy total)`,
    why: "A payment lost or counted twice is the worst thing a migration can do to a loans database.",
    link: "/consistency",
    data: { ...t },
  });

  const w = c.status.warnings;
  items.push({
    id: "status_consistent",
    group: "Consistency",
    label: "Status consistent",
    state: c.status.mismatching > 0 ? "fail" : c.migrated === 0 ? "unmeasured" : "pass",
    figure: `${n(c.status.mismatching)} estado mismatches; business warnings (never failures): PAGADO_CON_SALDO ${n(w.PAGADO_CON_SALDO)}, SALDO_CERO_ACTIVO ${n(w.SALDO_CERO_ACTIVO)}, SOBREPAGO ${n(w.SOBREPAGO)}`,
    why: "estado drives collections and reporting; the warnings are real loans worth a look, listed on the consistency page.",
    link: "/consistency",
    data: { mismatching: c.status.mismatching, warnings: w },
  });

  const r = c.relationships;
  const broken = r.missingPagos + r.wrongPrestamoPagos + r.orphanNewPrestamos + r.orphanNewPagos + r.missingNewPrestamos + r.untrackedNewPrestamos;
  items.push({
    id: "relationships",
    group: "Consistency",
    label: "Relationships intact",
    state: broken > 0 ? "fail" : c.migrated === 0 ? "unmeasured" : "pass",
    figure:
      `${n(r.missingPagos)} pagos missing, ${n(r.wrongPrestamoPagos)} under the wrong prestamo, ${n(r.orphanNewPrestamos + r.orphanNewPagos)} new rows without legacy row, ` +
      `${n(r.missingNewPrestamos)} migrated without new row, ${n(r.untrackedNewPrestamos)} untracked; ${n(r.orphanLegacyPagos)} orphan legacy pagos (never migrated, expected)`,
    why: "Each new pago must sit under the new row of its own prestamo, and nothing may be in the new tables that legacy no longer has.",
    link: "/consistency",
    data: { ...r },
  });

  return items;
}
