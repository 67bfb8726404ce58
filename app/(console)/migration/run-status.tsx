"use client";

import Link from "next/link";
import { Badge, type BadgeTone } from "@/components/ui/badge";
import { cn } from "@/components/ui/cn";
import { fmtDuration, fmtId, fmtInt, fmtPct, fmtPctOf, fmtTime } from "@/lib/format";
import type { ProgressDTO } from "@/lib/migration/progress";
import type { RunDTO } from "@/lib/migration/runs";

export const RUN_LOOK: Record<ProgressDTO["state"], { label: string; tone: BadgeTone; icon: string; text: string }> = {
  idle: { label: "Idle", tone: "neutral", icon: "○", text: "No run has been started yet." },
  running: { label: "Running", tone: "info", icon: "▶", text: "Batches are being migrated." },
  paused: { label: "Paused", tone: "warning", icon: "❚❚", text: "The run is paused." },
  finished: { label: "Finished", tone: "success", icon: "✓", text: "The last run walked the whole table." },
  stopped: { label: "Stopped", tone: "neutral", icon: "■", text: "The last run was stopped." },
  halted: { label: "Halted", tone: "danger", icon: "!", text: "The last run halted itself." },
  failed: { label: "Failed", tone: "danger", icon: "✕", text: "The last run failed." },
};

export function RunStateBadge({ state, testId }: { state: ProgressDTO["state"]; testId?: string }) {
  const look = RUN_LOOK[state];
  return (
    <Badge tone={look.tone} className="px-2.5 py-1 text-sm">
      <span aria-hidden="true" className="mr-1.5">
        {look.icon}
      </span>
      <span data-testid={testId}>{look.label}</span>
    </Badge>
  );
}

/** The latest run: its state in a word and its facts, linked to its page in the run history. */
export function RunCard({ p }: { p: ProgressDTO }) {
  return (
    <section className="rounded-xl border border-zinc-200 bg-white px-5 py-4 shadow-sm" aria-labelledby="run-state">
      <div className="flex items-center justify-between gap-3">
        <h2 id="run-state" className="text-sm font-medium text-zinc-500">
          Run
        </h2>
        {p.run ? (
          <Link href={`/runs/${p.run.id}`} className="tabular text-xs text-zinc-500 underline underline-offset-2 hover:text-zinc-900">
            run #{fmtId(p.run.id)} · all runs
          </Link>
        ) : (
          <Link href="/runs" className="text-xs text-zinc-500 underline underline-offset-2 hover:text-zinc-900">
            all runs
          </Link>
        )}
      </div>
      <div className="mt-2 flex items-center gap-3">
        <RunStateBadge state={p.state} testId="run-state" />
        <p className="text-sm text-zinc-600">
          {p.phase === "resync" ? "Re-syncing the prestamos changed while capture was off (see Change capture); copying follows." : RUN_LOOK[p.state].text}
        </p>
      </div>
      {p.run && <RunFacts run={p.run} />}
    </section>
  );
}

/** Change capture as the catalog reports it, and how much waits to be synced. */
export function CaptureCard({ p }: { p: ProgressDTO }) {
  return (
    <section className="rounded-xl border border-zinc-200 bg-white px-5 py-4 shadow-sm" aria-labelledby="capture-state">
      <h2 id="capture-state" className="text-sm font-medium text-zinc-500">
        Change capture
      </h2>
      <div className="mt-2 flex items-center gap-3">
        <Badge tone={p.capture.enabled ? "success" : "neutral"} className="px-2.5 py-1 text-sm">
          <span aria-hidden="true" className="mr-1.5">
            {p.capture.enabled ? "●" : "○"}
          </span>
          <span data-testid="capture-state">{p.capture.enabled ? "On" : "Off"}</span>
        </Badge>
        <p className="text-sm text-zinc-600">
          {p.capture.enabled
            ? "Triggers record every change to the legacy tables; the console re-syncs those prestamos."
            : "No capture triggers firing on the legacy tables (missing, disabled or not ENABLE ALWAYS): changes are not recorded. A start turns capture on and first re-syncs what changed meanwhile."}
        </p>
      </div>
      <dl className="mt-3 grid grid-cols-2 gap-x-6 gap-y-1 text-sm">
        <dt className="text-zinc-500">Backlog</dt>
        <dd className={cn("tabular text-right font-medium", p.capture.backlog > 0 ? "text-amber-700" : "text-zinc-900")} data-testid="capture-backlog">
          {fmtInt(p.capture.backlog)} {p.capture.backlog === 1 ? "change" : "changes"}
        </dd>
        <dt className="text-zinc-500">Oldest waiting</dt>
        <dd className="tabular text-right text-zinc-900">{p.capture.oldestAgeSeconds === null ? "—" : fmtDuration(p.capture.oldestAgeSeconds)}</dd>
        {p.capture.resync.owed && (
          <>
            <dt
              className="text-zinc-500"
              title="Capture had a gap: every migrated prestamo is compared with legacy, and rewritten when it no longer matches, before the run copies on"
            >
              Re-sync after a gap
            </dt>
            <dd className="tabular text-right font-medium text-amber-700" data-testid="capture-resync">
              {fmtInt(p.capture.resync.checked)} checked, {fmtInt(p.capture.resync.rewritten)} rewritten
            </dd>
          </>
        )}
      </dl>
    </section>
  );
}

export function RunFacts({ run }: { run: RunDTO }) {
  return (
    <dl className="mt-3 grid grid-cols-[auto_1fr_auto_1fr] gap-x-4 gap-y-1 whitespace-nowrap text-sm">
      <dt className="text-zinc-500">Started</dt>
      <dd className="tabular text-zinc-900">{fmtTime(run.startedAt)}</dd>
      <dt className="text-zinc-500">By</dt>
      <dd className="break-all text-zinc-900">{run.startedBy}</dd>
      <dt className="text-zinc-500">{run.active ? "Heartbeat" : "Ended"}</dt>
      <dd className="tabular text-zinc-900">{fmtTime(run.active ? run.heartbeatAt : run.endedAt)}</dd>
      <dt className="text-zinc-500" title={run.targetBatchMs > 0 ? "The size the batches adapted to last" : "Fixed by the operator"}>
        Batch size
      </dt>
      <dd className="tabular text-zinc-900">{fmtInt(run.batchSize)}</dd>
      <dt className="text-zinc-500">Processed</dt>
      <dd className="tabular text-zinc-900">{fmtInt(run.processed)}</dd>
      <dt className="text-zinc-500" title="The run halts itself when failed ÷ processed exceeds it">
        Threshold
      </dt>
      <dd className="tabular text-zinc-900">{fmtPct(run.errorThresholdPct)}</dd>
      <dt className="text-zinc-500">Error rate</dt>
      <dd
        className={cn("tabular", run.errorRatePct > run.errorThresholdPct ? "font-medium text-red-700" : "text-zinc-900")}
        title="failed ÷ processed by this run"
      >
        {fmtPctOf(run.failed, run.processed, "processed")}
      </dd>
      <dt className="text-zinc-500">Retry</dt>
      <dd className="text-zinc-900" title={run.retry ? "Failed and rolled back prestamos are taken too" : undefined}>
        {run.retry ? "yes" : "no"}
      </dd>
      <dt className="text-zinc-500">Batches</dt>
      <dd className="tabular text-zinc-900">{fmtInt(run.batches)}</dd>
      <dt className="text-zinc-500">Checkpoint</dt>
      <dd className="tabular text-zinc-900" title="Every legacy id up to this one is done">
        {run.checkpoint < -2147483648 ? "none yet" : `id ${fmtId(run.checkpoint)}`}
      </dd>
      <dt className="text-zinc-500" title="Batch size adapts so a batch takes about this long">
        Target batch
      </dt>
      <dd className="tabular text-zinc-900" data-testid="run-target-batch-ms">
        {run.targetBatchMs > 0 ? `adaptive, ${fmtInt(run.targetBatchMs)} ms` : "fixed size"}
      </dd>
      <dt className="text-zinc-500">Workers</dt>
      <dd className="tabular text-zinc-900" data-testid="run-workers">
        {fmtInt(run.workers)}
      </dd>
      <dt className="text-zinc-500" title="Pause between batches">
        Pause
      </dt>
      <dd className="tabular text-zinc-900" data-testid="run-pause-ms">
        {run.pauseMs > 0 ? `${fmtInt(run.pauseMs)} ms` : "none"}
      </dd>
      {run.resumes > 0 && (
        <>
          <dt className="text-zinc-500">Resumed</dt>
          <dd className="tabular text-zinc-900">{fmtInt(run.resumes)}×</dd>
        </>
      )}
    </dl>
  );
}
