import Link from "next/link";
import { buttonClass } from "@/components/ui/button";
import { cn } from "@/components/ui/cn";
import { fmtDuration, fmtInt, fmtPct, fmtPctOf } from "@/lib/format";
import type { ConsistencySummary } from "@/lib/migration/consistency";
import type { PreflightReport } from "@/lib/migration/preflight";
import type { ProgressDTO } from "@/lib/migration/progress";
import type { VerifyReport } from "@/lib/migration/verify";

type StepState = "done" | "attention" | "blocked" | "active" | "todo";

export interface MapStep {
  id: string;
  title: string;
  state: StepState;
  /** Its live state in a sentence, with the figure behind it. */
  figure: string;
  action: { href: string; label: string };
  more?: { href: string; label: string };
}

const LOOK: Record<StepState, { label: string; dot: string; ring: string }> = {
  done: { label: "Done", dot: "bg-emerald-500 text-white", ring: "ring-emerald-200" },
  active: { label: "In progress", dot: "bg-sky-500 text-white", ring: "ring-sky-200" },
  attention: { label: "Needs attention", dot: "bg-amber-400 text-amber-950", ring: "ring-amber-200" },
  blocked: { label: "Blocked", dot: "bg-red-600 text-white", ring: "ring-red-200" },
  todo: { label: "To do", dot: "bg-zinc-200 text-zinc-700", ring: "ring-zinc-200" },
};
const ICON: Record<StepState, string> = { done: "✓", active: "▶", attention: "!", blocked: "✕", todo: "○" };

/**
 * The whole migration as steps, Verify → Pre-flight → Run → Consistency → Checklist → Cut-over,
 * each with its live state from what the console already knows (kept counts, the latest dry run,
 * the last consistency summary; nothing here scans a table). A step is done only on evidence:
 * a step with nothing to measure is "to do", never green.
 */
export function migrationSteps(input: {
  dryRun: { report: VerifyReport; ageSeconds: number } | null;
  preflight: PreflightReport;
  progress: ProgressDTO;
  consistency: { summary: ConsistencySummary; ageMs: number } | null;
}): MapStep[] {
  const { dryRun, preflight, progress: p, consistency } = input;
  const d = dryRun?.report.dryRun;
  const verify: MapStep = d
    ? {
        id: "verify",
        title: "Verify",
        state: d.invalid > 0 ? "attention" : "done",
        figure: `Dry run ${fmtDuration(dryRun!.ageSeconds)} ago: ${fmtInt(d.invalid)} invalid, ${fmtPctOf(d.invalid, d.checked, "checked")}; ${fmtInt(dryRun!.report.legacy.orphanPagos)} orphan pagos.`,
        action: { href: "/verify", label: "Open Verify" },
        more: d.invalid > 0 ? { href: "/failures/predicted", label: "Predicted failures" } : undefined,
      }
    : {
        id: "verify",
        title: "Verify",
        state: "todo",
        figure: "No dry run in the last 15 minutes: what a run would refuse is not known.",
        action: { href: "/verify", label: "Run the dry run" },
      };

  const fails = preflight.items.filter((i) => i.state === "fail");
  const warns = preflight.items.filter((i) => i.state === "warn");
  const pre: MapStep = {
    id: "preflight",
    title: "Pre-flight",
    state: fails.length ? "blocked" : warns.length ? "attention" : "done",
    figure: fails.length
      ? `Fails: ${fails.map((i) => i.label).join(", ")}.`
      : warns.length
        ? `${fmtInt(warns.length)} ${warns.length === 1 ? "warning" : "warnings"}: ${warns.map((i) => i.label).join(", ")}.`
        : "Every item passes or is confirmed.",
    action: { href: "/preflight", label: "Open Pre-flight" },
  };

  const t = p.totals;
  const run = p.run;
  const runStep: MapStep = {
    id: "run",
    title: "Run",
    state: !run
      ? "todo"
      : run.active
        ? "active"
        : run.status === "halted" || run.status === "failed"
          ? "blocked"
          : t.pending + t.rolledBack > 0 || t.failed > 0
            ? "attention"
            : "done",
    figure: !run
      ? `${fmtInt(t.total)} prestamos to migrate; no run yet.`
      : `Run #${run.id} ${run.status}. ${fmtInt(t.migrated)} migrated, ${fmtInt(t.failed)} failed, ${fmtInt(t.pending)} pending, ${fmtInt(t.rolledBack)} rolled back (${fmtPct(t.percent)} of ${fmtInt(t.total)} done).`,
    action: { href: "/migration", label: run?.active ? "Follow the run" : run ? "Open the migration" : "Start a run" },
    more: run ? { href: "/runs", label: "All runs" } : undefined,
  };

  const s = consistency?.summary;
  const r = s?.relationships;
  const broken = r ? r.missingPagos + r.wrongPrestamoPagos + r.orphanNewPrestamos + r.orphanNewPagos + r.missingNewPrestamos + r.untrackedNewPrestamos : 0;
  const consistent = s
    ? s.migrated > 0 && s.fieldMatch.mismatching === 0 && s.paymentTotals.differenceCents === "0" && s.status.mismatching === 0 && broken === 0
    : false;
  const cons: MapStep = !s
    ? {
        id: "consistency",
        title: "Consistency",
        state: "todo",
        figure: "Not computed since the console started: it is computed after each run.",
        action: { href: "/consistency", label: "Open Consistency" },
      }
    : s.migrated === 0
      ? {
          id: "consistency",
          title: "Consistency",
          state: "todo",
          figure: "Not measurable yet: no prestamo is migrated.",
          action: { href: "/consistency", label: "Open Consistency" },
        }
      : {
          id: "consistency",
          title: "Consistency",
          state: consistent ? "done" : "attention",
          figure: `${fmtDuration(consistency!.ageMs / 1000)} ago: field match ${fmtPct(s.fieldMatch.matchingPct)} of ${fmtInt(s.migrated)} migrated, payment accuracy ${fmtPct(s.paymentTotals.accuracyPct)}, ${fmtInt(s.status.mismatching)} status mismatches, ${fmtInt(broken)} broken relationships.`,
          action: { href: "/consistency", label: "Open Consistency" },
        };

  const ready = runStep.state === "done" && consistent && p.capture.backlog === 0;
  const checklist: MapStep = {
    id: "checklist",
    title: "Checklist",
    state: ready ? "attention" : "todo",
    figure: ready
      ? "Everything is migrated and consistent: go through the checklist, confirm what only a person knows, download the report."
      : `After the steps above${p.capture.backlog > 0 ? `; ${fmtInt(p.capture.backlog)} changes wait to be synced` : ""}.`,
    action: { href: "/checklist", label: "Open the checklist" },
  };
  const cutover: MapStep = {
    id: "cutover",
    title: "Cut-over",
    state: "todo",
    figure: "Switch the application to the new tables, with a way back; each gate is shown with its figure.",
    action: { href: "/cutover", label: "Open Cut-over" },
  };
  return [verify, pre, runStep, cons, checklist, cutover];
}

export function MigrationMap({ steps }: { steps: MapStep[] }) {
  const next = steps.find((s) => s.state !== "done");
  return (
    <section aria-labelledby="map-title" className="rounded-xl border border-zinc-200 bg-white px-5 py-4 shadow-sm">
      <h2 id="map-title" className="text-sm font-semibold text-zinc-900">
        The migration, step by step
      </h2>
      <ol className="mt-3 flex flex-col">
        {steps.map((s, i) => {
          const look = LOOK[s.state];
          const isNext = s === next;
          return (
            <li key={s.id} className="relative flex gap-4 pb-4 last:pb-0" data-testid={`step-${s.id}`} data-state={s.state}>
              {i < steps.length - 1 && <span aria-hidden="true" className="absolute left-[13px] top-8 h-[calc(100%-2rem)] w-px bg-zinc-200" />}
              <span
                aria-hidden="true"
                className={cn("mt-0.5 flex h-7 w-7 shrink-0 items-center justify-center rounded-full text-xs font-bold ring-4", look.dot, look.ring)}
              >
                {ICON[s.state]}
              </span>
              <div
                className={cn(
                  "flex min-w-0 flex-1 flex-wrap items-start justify-between gap-3 rounded-lg px-3 py-2",
                  isNext && "bg-zinc-50 ring-1 ring-inset ring-zinc-200",
                )}
              >
                <div className="min-w-0 flex-1">
                  <p className="text-sm font-medium text-zinc-900">
                    {i + 1}. {s.title} <span className="ml-1 text-xs font-normal text-zinc-500">{look.label}</span>
                    {isNext && <span className="ml-2 rounded bg-zinc-900 px-1.5 py-0.5 text-[11px] font-medium text-white">Next</span>}
                  </p>
                  <p className="mt-0.5 text-sm text-zinc-600">{s.figure}</p>
                </div>
                <div className="flex shrink-0 gap-2">
                  {s.more && (
                    <Link href={s.more.href} className={buttonClass("ghost", "sm")}>
                      {s.more.label}
                    </Link>
                  )}
                  {/* No prefetch: a later step's page may not be served by every deployment yet. */}
                  <Link href={s.action.href} prefetch={false} className={buttonClass(isNext ? "primary" : "secondary", "sm")}>
                    {s.action.label}
                  </Link>
                </div>
              </div>
            </li>
          );
        })}
      </ol>
    </section>
  );
}
