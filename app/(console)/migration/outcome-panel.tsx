"use client";

import Link from "next/link";
import { Button, buttonClass } from "@/components/ui/button";
import { cn } from "@/components/ui/cn";
import { fmtId, fmtInt, fmtPct, fmtPctOf, fmtTime } from "@/lib/format";
import type { ProgressDTO } from "@/lib/migration/progress";
import type { RunDTO } from "@/lib/migration/runs";

/** A threshold the run's own error rate stays under: the next whole percent above it. */
export const thresholdAbove = (ratePct: number) => Math.min(100, Math.floor(ratePct) + 1);

/**
 * How the last run ended and what to do next: after a halt, review the failures, raise the
 * threshold and go on, or roll back; after a failure or a stop, start again. Shown until a new
 * run starts, so a stale "started" message never stands beside a halted run.
 */
export function OutcomePanel({ p, onRaiseThreshold }: { p: ProgressDTO; onRaiseThreshold?: (pct: number) => void }) {
  const run = p.run;
  if (!run || run.active || run.status === "finished") {
    if (run?.status === "finished" && run.failed > 0) return <FinishedWithFailures run={run} />;
    return null;
  }
  const tone = run.status === "stopped" ? "neutral" : "danger";
  const raiseTo = thresholdAbove(run.errorRatePct);
  return (
    <section
      aria-labelledby="outcome-title"
      data-testid="outcome-panel"
      className={cn("rounded-xl border px-5 py-4", tone === "danger" ? "border-red-200 bg-red-50/60" : "border-zinc-200 bg-white shadow-sm")}
    >
      <h2 id="outcome-title" className={cn("text-sm font-semibold", tone === "danger" ? "text-red-900" : "text-zinc-900")}>
        {run.status === "halted" && `Run #${fmtId(run.id)} halted itself: too many prestamos failed the rules`}
        {run.status === "failed" && `Run #${fmtId(run.id)} failed`}
        {run.status === "stopped" && `Run #${fmtId(run.id)} was stopped`}
      </h2>
      <p className="mt-1 text-sm text-zinc-800" data-testid="outcome-text">
        {run.status === "halted" && (
          <>
            {fmtPctOf(run.failed, run.processed, "prestamos it processed")} failed ({fmtInt(run.failed)}), above its threshold of{" "}
            {fmtPct(run.errorThresholdPct)}. {fmtInt(run.migrated)} were migrated; the rest are still pending. Change capture stays on, so those already
            migrated keep in step.
          </>
        )}
        {run.status === "failed" && (
          <>It ended on an error{run.lastError ? `: ${run.lastError}` : ""}. What it migrated stays migrated; a new start goes on from where the data stands.</>
        )}
        {run.status === "stopped" && (
          <>
            {run.stopDetail ?? "Stopped"}
            {run.endedAt ? ` at ${fmtTime(run.endedAt)}` : ""}. Starting again goes on where the data stands: nothing is migrated twice.
          </>
        )}
      </p>
      <div className="mt-3 flex flex-wrap items-center gap-2">
        {run.failed > 0 && (
          <Link href="/failures" className={buttonClass("secondary", "sm")}>
            Review the {fmtInt(run.failed)} failures
          </Link>
        )}
        {run.status === "halted" && onRaiseThreshold && (
          <Button size="sm" onClick={() => onRaiseThreshold(raiseTo)}>
            Raise the threshold to {fmtPct(raiseTo)} and go on…
          </Button>
        )}
        {run.status !== "halted" && onRaiseThreshold && (
          <a href="#start-run" className={buttonClass("primary", "sm")}>
            Start again…
          </a>
        )}
        {onRaiseThreshold && (
          <a href="#rollback-all" className={buttonClass("ghost", "sm")}>
            Roll back everything…
          </a>
        )}
        <Link href={`/runs/${run.id}`} className={buttonClass("ghost", "sm")}>
          Run #{fmtId(run.id)} in the history
        </Link>
      </div>
      {!onRaiseThreshold && <p className="mt-2 text-xs text-zinc-600">An admin decides: raise the threshold and go on, fix the data first, or roll back.</p>}
    </section>
  );
}

function FinishedWithFailures({ run }: { run: RunDTO }) {
  return (
    <section aria-labelledby="outcome-title" data-testid="outcome-panel" className="rounded-xl border border-amber-200 bg-amber-50/60 px-5 py-4">
      <h2 id="outcome-title" className="text-sm font-semibold text-amber-900">
        Run #{fmtId(run.id)} finished with {fmtInt(run.failed)} failed prestamos
      </h2>
      <p className="mt-1 text-sm text-zinc-800">
        {fmtPctOf(run.failed, run.processed, "prestamos it processed")} failed the rules and are not in the new tables. Fix them in the legacy data: change
        capture brings each fixed one over by itself.
      </p>
      <div className="mt-3 flex flex-wrap gap-2">
        <Link href="/failures" className={buttonClass("secondary", "sm")}>
          Review the {fmtInt(run.failed)} failures
        </Link>
        <Link href={`/runs/${run.id}`} className={buttonClass("ghost", "sm")}>
          Run #{fmtId(run.id)} in the history
        </Link>
      </div>
    </section>
  );
}
