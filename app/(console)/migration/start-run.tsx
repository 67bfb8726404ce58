"use client";

import { useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useId, useState } from "react";
import { Button } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { cn } from "@/components/ui/cn";
import { ApiError, apiFetch, errorMessage } from "@/lib/api/client";
import { keys, paths, useStartPreview, useStartRun } from "@/lib/api/queries";
import { START_ANYWAY } from "@/lib/migration/vocabulary";
import { fmtDuration, fmtId, fmtInt, fmtPct, fmtPctOf } from "@/lib/format";
import type { ProgressDTO } from "@/lib/migration/progress";
import type { StartPreview } from "@/lib/migration/start-preview";
import { thresholdAbove } from "./outcome-panel";
import { ActionResult, inputClass } from "./shared";
import { batchingInWords, effectiveThreshold, startBody, startFormProblem, type StartBody, type StartDefaults, type StartForm } from "./start-form";

interface FailingItem {
  id: string;
  label: string;
  figure?: string | null;
}

/** Start's 409 when pre-flight items fail: `details.failing`, else null. */
function preflightFailing(err: unknown): FailingItem[] | null {
  if (!(err instanceof ApiError) || err.status !== 409) return null;
  const failing = (err.details as { failing?: unknown } | undefined)?.failing;
  return Array.isArray(failing) && failing.length > 0 ? (failing as FailingItem[]) : null;
}

/**
 * Start a run: the form (blank = the engine's default, shown as such), what the start will do
 * (prestamos taken, the dry run's invalid share against the threshold, capture turning on), a
 * confirmation when the run is predicted to halt, and the typed override when pre-flight fails.
 */
export function StartRunCard({ p, defaults, form, setForm }: { p: ProgressDTO; defaults: StartDefaults; form: StartForm; setForm: (f: StartForm) => void }) {
  const active = p.run?.active ?? false;
  const ids = useId();
  const [anyway, setAnyway] = useState("");
  const [confirming, setConfirming] = useState(false);
  const start = useStartRun();
  const failing = preflightFailing(start.error);
  const problem = startFormProblem(form);
  const threshold = effectiveThreshold(form, defaults);
  const preview = useStartPreview(form.retry, threshold);
  const predictedHalt = preview.data?.predictedHalt === true;
  const set = (k: keyof StartForm) => (e: React.ChangeEvent<HTMLInputElement>) => setForm({ ...form, [k]: k === "retry" ? e.target.checked : e.target.value });
  const send = (extra: Partial<StartBody> = {}) => {
    setConfirming(false);
    setAnyway("");
    start.mutate({ ...startBody(form), ...extra });
  };
  // The success line only while the run it names is the active one: the outcome panel takes over after.
  const started = start.data && p.run?.id === start.data.run.id && p.run.active ? `Run #${fmtId(start.data.run.id)} started.` : null;

  return (
    <Card title="Start a run" description="Walks the legacy prestamos in id order, one transaction per batch. One run at a time.">
      <form
        id="start-run"
        aria-label="Start a run"
        onSubmit={(e) => {
          e.preventDefault();
          if (problem) return;
          if (predictedHalt) setConfirming(true);
          else send();
        }}
        className="flex scroll-mt-6 flex-col gap-3"
      >
        <div className="grid grid-cols-2 gap-3">
          <label className="flex flex-col gap-1 text-sm font-medium text-zinc-700" htmlFor={`${ids}-bs`}>
            Batch size
            <input
              id={`${ids}-bs`}
              className={inputClass}
              inputMode="numeric"
              placeholder={`adaptive, from ${fmtInt(defaults.batchSize)}`}
              value={form.batchSize}
              onChange={set("batchSize")}
              aria-describedby={`${ids}-bs-h`}
            />
            <span id={`${ids}-bs-h`} className="text-xs font-normal text-zinc-500">
              blank: adapts so a batch takes about {fmtInt(defaults.targetBatchMs)} ms; a number fixes it (1–50,000)
            </span>
          </label>
          <label className="flex flex-col gap-1 text-sm font-medium text-zinc-700" htmlFor={`${ids}-th`}>
            Error threshold (%)
            <input
              id={`${ids}-th`}
              className={inputClass}
              inputMode="decimal"
              placeholder={`${defaults.errorThresholdPct} (default)`}
              value={form.errorThresholdPct}
              onChange={set("errorThresholdPct")}
              aria-describedby={`${ids}-th-h`}
            />
            <span id={`${ids}-th-h`} className="text-xs font-normal text-zinc-500">
              halts when failed ÷ processed exceeds it, checked from 1,000 processed (or all it takes, if fewer)
            </span>
          </label>
        </div>
        <label className="flex items-start gap-2 text-sm text-zinc-700">
          <input type="checkbox" className="mt-0.5 h-4 w-4 rounded border-zinc-300 accent-zinc-900" checked={form.retry} onChange={set("retry")} />
          <span>
            <span className="font-medium">Retry</span> failed and rolled back prestamos too
            {p.totals.failed > 0 && <span className="block text-xs text-zinc-500">A failed prestamo fails again until its legacy data is fixed.</span>}
          </span>
        </label>
        <details className="group rounded-lg bg-zinc-50 px-3 py-2 ring-1 ring-inset ring-zinc-200" data-testid="start-advanced">
          <summary className="cursor-pointer select-none text-sm font-medium text-zinc-700">Advanced: batch timing and workers</summary>
          <div className="mt-3 grid grid-cols-3 gap-3">
            <label className="flex flex-col gap-1 text-sm font-medium text-zinc-700">
              Target batch (ms)
              <input
                className={inputClass}
                inputMode="numeric"
                placeholder={`${defaults.targetBatchMs} (default)`}
                value={form.targetBatchMs}
                onChange={set("targetBatchMs")}
              />
            </label>
            <label className="flex flex-col gap-1 text-sm font-medium text-zinc-700">
              Workers
              <input
                className={inputClass}
                inputMode="numeric"
                placeholder={`${defaults.workers} (default here)`}
                value={form.workers}
                onChange={set("workers")}
              />
            </label>
            <label className="flex flex-col gap-1 text-sm font-medium text-zinc-700">
              Pause (ms)
              <input className={inputClass} inputMode="numeric" placeholder={`${defaults.pauseMs} (default)`} value={form.pauseMs} onChange={set("pauseMs")} />
            </label>
          </div>
          <p className="mt-2 text-xs text-zinc-500">
            Blank = the default. A target batch time of 0 keeps the batch size fixed. Workers run batches side by side (1–8); the pause between batches leaves
            room for the application. All three can be changed while the run runs.
          </p>
        </details>
        <StartSummary p={p} preview={preview.data} error={preview.error} form={form} defaults={defaults} onComputed={() => void preview.refetch()} />
        {problem && (
          <p className="text-sm text-red-700" role="alert">
            {problem}
          </p>
        )}
        {confirming && preview.data?.dryRun ? (
          <HaltConfirmation
            preview={preview.data}
            pending={start.isPending}
            onStart={() => send()}
            onRaise={() => {
              setConfirming(false);
              setForm({ ...form, errorThresholdPct: String(thresholdAbove(preview.data!.dryRun!.expectedPct)) });
            }}
            onCancel={() => setConfirming(false)}
          />
        ) : (
          <div className="flex items-center gap-3">
            <Button type="submit" disabled={start.isPending || Boolean(problem) || active}>
              {start.isPending ? "Starting…" : "Start run"}
            </Button>
            {active && <span className="text-sm text-zinc-500">A run is active: stop it first.</span>}
          </div>
        )}
      </form>
      {failing ? (
        <PreflightRefusal
          failing={failing}
          message={errorMessage(start.error)}
          value={anyway}
          onChange={setAnyway}
          pending={start.isPending}
          onConfirm={() => send({ confirmPreflight: START_ANYWAY })}
        />
      ) : (
        <ActionResult m={start} ok={started} />
      )}
    </Card>
  );
}

/** What this start will do, from kept counts and the latest dry run (a preview never scans the table). */
function StartSummary({
  p,
  preview,
  error,
  form,
  defaults,
  onComputed,
}: {
  p: ProgressDTO;
  preview: StartPreview | undefined;
  error: unknown;
  form: StartForm;
  defaults: StartDefaults;
  onComputed: () => void;
}) {
  const qc = useQueryClient();
  const [computing, setComputing] = useState(false);
  const compute = async () => {
    setComputing(true);
    try {
      // Asks for one in the background (it scans the whole legacy table); the preview polls until it ends.
      await apiFetch(paths.verify(true));
      await qc.invalidateQueries({ queryKey: keys.startPreviews });
      onComputed();
    } finally {
      setComputing(false);
    }
  };
  const workers = form.workers.trim() || String(defaults.workers);
  return (
    <section
      aria-label="What this start will do"
      data-testid="start-summary"
      className="rounded-lg bg-zinc-50 px-3 py-2.5 text-sm ring-1 ring-inset ring-zinc-200"
    >
      <h3 className="text-xs font-semibold uppercase tracking-wide text-zinc-500">What this start will do</h3>
      {error ? (
        <p className="mt-1 text-red-800">The summary could not be loaded: {errorMessage(error)}</p>
      ) : !preview ? (
        <p className="mt-1 text-zinc-500">Reading the counts…</p>
      ) : (
        <ul className="mt-1 flex flex-col gap-1 text-zinc-800">
          <li data-testid="summary-take">
            Takes <strong className="tabular">{fmtInt(preview.toTake)}</strong> prestamos:{" "}
            {preview.retry
              ? `${fmtInt(preview.byState.pending)} pending, ${fmtInt(preview.byState.failed)} failed, ${fmtInt(preview.byState.rolledBack)} rolled back`
              : `the pending ones${preview.byState.failed + preview.byState.rolledBack > 0 ? ` (${fmtInt(preview.byState.failed)} failed and ${fmtInt(preview.byState.rolledBack)} rolled back stay as they are)` : ""}`}
            .
          </li>
          {preview.dryRun ? (
            <li data-testid="summary-prediction" className={cn(preview.predictedHalt ? "font-medium text-red-800" : "text-zinc-800")}>
              {preview.predictedHalt ? "✕ Predicted to halt: " : "✓ Within the threshold: "}
              the dry run of {fmtDuration(preview.dryRun.ageSeconds)} ago expects {fmtInt(preview.dryRun.expectedFailures)} to fail,{" "}
              {fmtPctOf(preview.dryRun.expectedFailures, preview.toTake, "taken")}, against a threshold of {fmtPct(preview.errorThresholdPct)}.
              {preview.predictedHalt && ` The run would stop after about ${fmtInt(Math.min(preview.thresholdAfter, preview.toTake))} prestamos.`}{" "}
              <Link href="/failures/predicted" className="font-normal underline underline-offset-2">
                See the predicted failures
              </Link>
            </li>
          ) : (
            <li data-testid="summary-prediction" className="text-amber-900">
              {preview.dryRunRefreshing
                ? "A dry run is being computed in the background: the outcome shows here when it ends."
                : "No dry run in the last 15 minutes, so the outcome cannot be predicted."}{" "}
              <Button size="sm" variant="secondary" className="ml-1 h-7" onClick={() => void compute()} disabled={computing || preview.dryRunRefreshing}>
                {computing || preview.dryRunRefreshing ? "Running the dry run…" : "Run the dry run now"}
              </Button>
            </li>
          )}
          <li data-testid="summary-capture">
            {preview.capture.turnsOn
              ? "Turns change capture on: triggers go onto the legacy tables and stay until an admin ends capture."
              : "Change capture is on already and stays on."}
          </li>
          <li className="text-zinc-600">
            Batches {batchingInWords(form, defaults)}; {workers} {workers === "1" ? "worker" : "workers"};{" "}
            {form.pauseMs.trim() && form.pauseMs.trim() !== "0" ? `${form.pauseMs.trim()} ms pause` : "no pause"}.
          </li>
        </ul>
      )}
      {p.run?.active && <p className="mt-1 text-xs text-zinc-500">(Run #{fmtId(p.run.id)} is active now.)</p>}
    </section>
  );
}

function HaltConfirmation({
  preview,
  pending,
  onStart,
  onRaise,
  onCancel,
}: {
  preview: StartPreview;
  pending: boolean;
  onStart: () => void;
  onRaise: () => void;
  onCancel: () => void;
}) {
  const d = preview.dryRun!;
  return (
    <div
      role="alertdialog"
      aria-labelledby="halt-confirm-title"
      data-testid="halt-confirmation"
      className="rounded-lg bg-red-50 px-3 py-3 text-sm text-red-900 ring-1 ring-inset ring-red-200"
    >
      <p id="halt-confirm-title" className="font-medium">
        This run is predicted to halt.
      </p>
      <p className="mt-1">
        {fmtPctOf(d.expectedFailures, preview.toTake, "prestamos it takes")} are expected to fail, above the {fmtPct(preview.errorThresholdPct)} threshold. It
        would stop after about {fmtInt(Math.min(preview.thresholdAfter, preview.toTake))} prestamos
        {preview.capture.turnsOn ? ", with change capture installed on the legacy tables" : ""}.
      </p>
      <div className="mt-3 flex flex-wrap gap-2">
        <Button variant="danger" onClick={onStart} disabled={pending}>
          {pending ? "Starting…" : "Start anyway"}
        </Button>
        <Button variant="secondary" onClick={onRaise}>
          Raise the threshold to {fmtPct(thresholdAbove(d.expectedPct))}
        </Button>
        <Link href="/failures/predicted" className="inline-flex h-9 items-center px-2 font-medium underline underline-offset-2">
          Review the predicted failures
        </Link>
        <Button variant="ghost" onClick={onCancel}>
          Cancel
        </Button>
      </div>
    </div>
  );
}

/** Start refused because pre-flight items fail: what fails, where to look, and the typed override. */
function PreflightRefusal({
  failing,
  message,
  value,
  onChange,
  pending,
  onConfirm,
}: {
  failing: FailingItem[];
  message: string;
  value: string;
  onChange: (v: string) => void;
  pending: boolean;
  onConfirm: () => void;
}) {
  return (
    <div role="alert" className="mt-3 rounded-lg bg-red-50 px-3 py-3 text-sm text-red-900 ring-1 ring-inset ring-red-200" data-testid="preflight-refusal">
      <p className="font-medium">
        <span aria-hidden="true">✕ </span>Not started: {failing.length === 1 ? "a pre-flight item fails" : `${failing.length} pre-flight items fail`}.
      </p>
      <ul className="mt-2 flex flex-col gap-1">
        {failing.map((f) => (
          <li key={f.id}>
            <span className="font-medium">{f.label}</span>
            {f.figure ? <span className="text-red-800"> — {f.figure}</span> : null}
          </li>
        ))}
      </ul>
      <p className="mt-2 text-xs text-red-800">{message}</p>
      <p className="mt-2">
        Look at them on{" "}
        <Link href="/preflight" className="font-medium underline underline-offset-2">
          Pre-flight
        </Link>{" "}
        and fix them, or start anyway: the override is recorded with the run and in the audit log.
      </p>
      <form
        className="mt-3 flex flex-wrap items-end gap-2"
        onSubmit={(e) => {
          e.preventDefault();
          if (value === START_ANYWAY) onConfirm();
        }}
      >
        <label className="flex flex-col gap-1 text-sm font-medium text-red-900">
          <span>
            Type <code className="rounded bg-white px-1 font-mono text-[13px]">{START_ANYWAY}</code> to start regardless
          </span>
          <input className={cn(inputClass, "w-56 font-mono")} autoComplete="off" spellCheck={false} value={value} onChange={(e) => onChange(e.target.value)} />
        </label>
        <Button type="submit" variant="danger" disabled={value !== START_ANYWAY || pending}>
          {pending ? "Starting…" : "Start anyway"}
        </Button>
      </form>
    </div>
  );
}
