"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useId, useState } from "react";
import { LiveStatus } from "@/components/console/live-status";
import { PageHeader } from "@/components/console/page-header";
import { Badge, type BadgeTone } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { cn } from "@/components/ui/cn";
import { ApiError, apiFetch, errorMessage } from "@/lib/api/client";
import { fmtDec1, fmtDuration, fmtInt, fmtPct, fmtTime } from "@/lib/format";
import type { ProgressDTO } from "@/lib/migration/progress";
import type { RunDTO } from "@/lib/migration/runs";

export const PROGRESS_KEY = ["migration", "progress"] as const;
const ROLLBACK_ALL = "ROLLBACK ALL";
const START_ANYWAY = "START ANYWAY";

type RunDefaults = { batchSize: number; errorThresholdPct: number; targetBatchMs: number; pauseMs: number; workers: number };
type StartBody = { batchSize: number; errorThresholdPct: number; retry: boolean; targetBatchMs?: number; workers?: number; pauseMs?: number; confirmPreflight?: string };
interface FailingItem {
  id: string;
  label: string;
  figure?: string | null;
}

/** Blank → undefined; a whole number in [min, max] → it; anything else → false. */
function optionalInt(v: string, min: number, max: number): number | undefined | false {
  if (v.trim() === "") return undefined;
  if (!/^\d+$/.test(v.trim())) return false;
  const n = Number(v);
  return n >= min && n <= max ? n : false;
}

/** Start's 409 when pre-flight items fail (issue 9): `details.failing`, else null. */
function preflightFailing(err: unknown): FailingItem[] | null {
  if (!(err instanceof ApiError) || err.status !== 409) return null;
  const failing = (err.details as { failing?: unknown } | undefined)?.failing;
  return Array.isArray(failing) && failing.length > 0 ? (failing as FailingItem[]) : null;
}

const STATE_LOOK: Record<ProgressDTO["state"], { label: string; tone: BadgeTone; icon: string; text: string }> = {
  idle: { label: "Idle", tone: "neutral", icon: "○", text: "No run has been started yet." },
  running: { label: "Running", tone: "info", icon: "▶", text: "Batches are being migrated." },
  paused: { label: "Paused", tone: "warning", icon: "❚❚", text: "The run is paused." },
  finished: { label: "Finished", tone: "success", icon: "✓", text: "The last run walked the whole table." },
  stopped: { label: "Stopped", tone: "neutral", icon: "■", text: "The last run was stopped." },
  halted: { label: "Halted", tone: "danger", icon: "!", text: "The last run halted itself." },
  failed: { label: "Failed", tone: "danger", icon: "✕", text: "The last run failed." },
};

export function MigrationClient({
  initialData,
  isAdmin,
  defaults,
}: {
  initialData: ProgressDTO;
  isAdmin: boolean;
  defaults: RunDefaults;
}) {
  const q = useQuery({
    queryKey: PROGRESS_KEY,
    queryFn: ({ signal }) => apiFetch<ProgressDTO>("/api/prestamos/migration/progress", { signal }),
    initialData,
    initialDataUpdatedAt: Date.parse(initialData.checkedAt) || undefined,
    refetchInterval: (query) => (query.state.data?.run?.active ? 1000 : 5000),
    refetchIntervalInBackground: false,
    staleTime: 0,
    retry: false,
  });
  const p = q.data;
  const active = p.run?.active ?? false;
  const look = STATE_LOOK[p.state];

  return (
    <div className="flex flex-col gap-6">
      <PageHeader
        title="Migration"
        description="The run that copies legacy prestamos into the new tables, and the change capture that keeps them in sync. Polled every second while a run is active, every 5 seconds otherwise."
        aside={<LiveStatus updatedAt={q.dataUpdatedAt} error={q.error} intervalMs={active ? 1000 : 5000} isFetching={q.isFetching} />}
      />

      <div className="grid grid-cols-1 gap-4 lg:grid-cols-2">
        <section className="rounded-xl border border-zinc-200 bg-white px-5 py-4 shadow-sm" aria-labelledby="run-state">
          <div className="flex items-center justify-between gap-3">
            <h2 id="run-state" className="text-sm font-medium text-zinc-500">
              Run
            </h2>
            {p.run && <span className="tabular text-xs text-zinc-500">#{p.run.id}</span>}
          </div>
          <div className="mt-2 flex items-center gap-3">
            <Badge tone={look.tone} className="px-2.5 py-1 text-sm">
              <span aria-hidden="true" className="mr-1.5">
                {look.icon}
              </span>
              <span data-testid="run-state">{look.label}</span>
            </Badge>
            <p className="text-sm text-zinc-600">
              {p.phase === "resync" ? "Re-syncing the prestamos changed while capture was off (see Change capture); copying follows." : look.text}
            </p>
          </div>
          {p.run && <RunFacts run={p.run} />}
        </section>

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
                <dt className="text-zinc-500" title="Capture had a gap: every migrated prestamo is compared with legacy, and rewritten when it no longer matches, before the run copies on">
                  Re-sync after a gap
                </dt>
                <dd className="tabular text-right font-medium text-amber-700" data-testid="capture-resync">
                  {fmtInt(p.capture.resync.checked)} checked, {fmtInt(p.capture.resync.rewritten)} rewritten
                </dd>
              </>
            )}
          </dl>
        </section>
      </div>

      <ProgressCard p={p} />

      {(p.lastError || (p.stop && p.stop.reason)) && (
        <div className="grid grid-cols-1 gap-4 lg:grid-cols-2">
          {p.stop && p.stop.reason && (
            <Card title="Why the run stopped">
              <p className="text-sm text-zinc-900" data-testid="stop-reason">
                <span className="font-medium">{p.stop.reason}</span>
                {p.stop.detail ? ` — ${p.stop.detail}` : ""}
              </p>
              {p.stop.requestedBy && <p className="mt-1 text-sm text-zinc-500">Requested by {p.stop.requestedBy}</p>}
            </Card>
          )}
          {p.lastError && (
            <section className="rounded-xl border border-red-200 bg-red-50/60 px-5 py-4" aria-labelledby="last-error">
              <h2 id="last-error" className="text-sm font-semibold text-red-900">
                <span aria-hidden="true">⚠ </span>Last error
              </h2>
              <p className="mt-1 break-words font-mono text-[13px] text-red-900">{p.lastError.message}</p>
              <p className="mt-1 text-xs text-red-700">{fmtTime(p.lastError.at)}</p>
            </section>
          )}
        </div>
      )}

      {isAdmin ? (
        <AdminControls p={p} defaults={defaults} />
      ) : (
        <p className="rounded-xl border border-zinc-200 bg-zinc-50 px-5 py-3 text-sm text-zinc-600">
          You are signed in as a reviewer: you see everything the admins see, and an admin starts, stops or rolls back the migration.
        </p>
      )}
    </div>
  );
}

function RunFacts({ run }: { run: RunDTO }) {
  return (
    <dl className="mt-3 grid grid-cols-[auto_1fr_auto_1fr] gap-x-4 gap-y-1 whitespace-nowrap text-sm">
      <dt className="text-zinc-500">Started</dt>
      <dd className="tabular text-zinc-900">{fmtTime(run.startedAt)}</dd>
      <dt className="text-zinc-500">By</dt>
      <dd className="truncate text-zinc-900" title={run.startedBy}>
        {run.startedBy}
      </dd>
      <dt className="text-zinc-500">{run.active ? "Heartbeat" : "Ended"}</dt>
      <dd className="tabular text-zinc-900">{fmtTime(run.active ? run.heartbeatAt : run.endedAt)}</dd>
      <dt className="text-zinc-500">Batch size</dt>
      <dd className="tabular text-zinc-900">{fmtInt(run.batchSize)}</dd>
      <dt className="text-zinc-500">Processed</dt>
      <dd className="tabular text-zinc-900">{fmtInt(run.processed)}</dd>
      <dt className="text-zinc-500">Threshold</dt>
      <dd className="tabular text-zinc-900">{fmtPct(run.errorThresholdPct)}</dd>
      <dt className="text-zinc-500">Error rate</dt>
      <dd className={cn("tabular", run.errorRatePct > run.errorThresholdPct ? "font-medium text-red-700" : "text-zinc-900")}>{fmtPct(run.errorRatePct)}</dd>
      <dt className="text-zinc-500">Retry</dt>
      <dd className="text-zinc-900">{run.retry ? "yes: failed and rolled back too" : "no"}</dd>
      <dt className="text-zinc-500">Batches</dt>
      <dd className="tabular text-zinc-900">{fmtInt(run.batches)}</dd>
      <dt className="text-zinc-500">Checkpoint</dt>
      <dd className="tabular text-zinc-900">{run.checkpoint < -2147483648 ? "none yet" : `id ${fmtInt(run.checkpoint)}`}</dd>
      <dt className="text-zinc-500" title="Batch size adapts so a batch takes about this long">Target batch</dt>
      <dd className="tabular text-zinc-900" data-testid="run-target-batch-ms">
        {run.targetBatchMs > 0 ? `${fmtInt(run.targetBatchMs)} ms` : "fixed size"}
      </dd>
      <dt className="text-zinc-500">Workers</dt>
      <dd className="tabular text-zinc-900" data-testid="run-workers">
        {fmtInt(run.workers)}
      </dd>
      <dt className="text-zinc-500" title="Pause between batches">Pause</dt>
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

function ProgressCard({ p }: { p: ProgressDTO }) {
  const t = p.totals;
  const share = (n: number) => (t.total ? (n / t.total) * 100 : 0);
  const active = p.run?.active ?? false;
  const segments = [
    { key: "migrated", label: "Migrated", n: t.migrated, cls: "bg-emerald-500", glyph: "✓" },
    { key: "failed", label: "Failed", n: t.failed, cls: "bg-red-500", glyph: "✕" },
    { key: "rolledBack", label: "Rolled back", n: t.rolledBack, cls: "bg-amber-400", glyph: "↶" },
    { key: "pending", label: "Pending", n: t.pending, cls: "bg-zinc-200", glyph: "○" },
  ];
  return (
    <Card
      title="Progress"
      description={
        t.total === 0 ? (
          <>
            The legacy table is empty. <Link className="underline underline-offset-2" href="/test-data">Test data</Link> can fill it.
          </>
        ) : (
          `${fmtInt(t.total)} legacy prestamos. Done = total − remaining${active && p.run?.retry ? " (this run retries failed and rolled back ones)" : ""}.`
        )
      }
    >
      <div className="flex items-end justify-between gap-4">
        <p className="tabular text-4xl font-semibold tracking-tight text-zinc-900" data-testid="progress-percent">
          {fmtPct(t.percent)}
        </p>
        <p className="tabular text-sm text-zinc-500">
          {fmtInt(t.remaining)} remaining of {fmtInt(t.total)}
        </p>
      </div>
      <div
        className="mt-3 flex h-3 w-full overflow-hidden rounded-full bg-zinc-100"
        role="progressbar"
        aria-label="Migration progress"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={t.percent}
        aria-valuetext={`${fmtPct(t.percent)} done, ${fmtInt(t.remaining)} remaining`}
      >
        {segments.map((s) => (
          <div key={s.key} className={cn("h-full transition-[width] duration-700", s.cls)} style={{ width: `${share(s.n)}%` }} />
        ))}
      </div>
      <dl className="mt-4 grid grid-cols-2 gap-3 md:grid-cols-4">
        {segments.map((s) => (
          <div key={s.key} className="rounded-lg bg-zinc-50 px-3 py-2">
            <dt className="flex items-center gap-1.5 text-xs font-medium text-zinc-500">
              <span aria-hidden="true" className={cn("inline-block h-2.5 w-2.5 rounded-sm", s.cls)} />
              {s.label}
            </dt>
            <dd className="tabular mt-0.5 text-xl font-semibold text-zinc-900" data-testid={`total-${s.key}`}>
              {fmtInt(s.n)}
            </dd>
            <dd className="tabular text-xs text-zinc-500">{t.total ? fmtPct(share(s.n)) : "—"}</dd>
          </div>
        ))}
      </dl>
      <dl className="mt-4 grid grid-cols-2 gap-3 border-t border-zinc-100 pt-4 md:grid-cols-4">
        <Figure label="Prestamos / s" value={active ? fmtDec1(p.rate.prestamosPerSecond) : "—"} hint={`over the last ${p.rate.windowSeconds} s`} />
        <Figure label="Pagos / s" value={active ? fmtDec1(p.rate.pagosPerSecond) : "—"} hint={`over the last ${p.rate.windowSeconds} s`} />
        <Figure label="ETA" value={p.etaSeconds === null ? "—" : fmtDuration(p.etaSeconds)} hint={active ? (p.etaSeconds === null ? "measuring the rate…" : "at the current rate") : "no active run"} />
        <Figure label="Change backlog" value={fmtInt(p.capture.backlog)} hint={p.capture.enabled ? "changes waiting to sync" : "capture is off"} />
      </dl>
      <CountsCheckLine check={p.countsCheck} />
    </Card>
  );
}

/** The worker's last self-check of the kept state counts: a difference stays visible after its repair. */
function CountsCheckLine({ check }: { check: ProgressDTO["countsCheck"] }) {
  if (!check) return <p className="mt-3 text-xs text-zinc-500">State counts not self-checked yet (the worker checks them when idle).</p>;
  if (check.ok) return <p className="mt-3 text-xs text-zinc-500" data-testid="counts-check">State counts self-checked {fmtTime(check.checkedAt)}: equal to the real counts.</p>;
  const k = check.kept;
  const r = check.real;
  return (
    <p className="mt-3 rounded-md bg-amber-50 px-3 py-2 text-xs text-amber-900" role="status" data-testid="counts-check">
      Self-check {fmtTime(check.checkedAt)}: the kept state counts differed from the real ones (kept {fmtInt(k.migrated)} / {fmtInt(k.failed)} / {fmtInt(k.rolledBack)}, real{" "}
      {fmtInt(r.migrated)} / {fmtInt(r.failed)} / {fmtInt(r.rolledBack)} migrated / failed / rolled back){check.repaired ? " and were rebuilt from them." : "; they are rebuilt at the next check."}
    </p>
  );
}

function Figure({ label, value, hint }: { label: string; value: string; hint: string }) {
  return (
    <div>
      <dt className="text-xs font-medium text-zinc-500">{label}</dt>
      <dd className="tabular mt-0.5 min-w-[6ch] text-xl font-semibold text-zinc-900">{value}</dd>
      <dd className="text-xs text-zinc-500">{hint}</dd>
    </div>
  );
}

/* ── Admin controls ─────────────────────────────────────────────────────────── */

function useAction<TBody, TResult>(path: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: TBody) => apiFetch<TResult>(path, { method: "POST", body }),
    onSettled: () => qc.invalidateQueries({ queryKey: PROGRESS_KEY }),
  });
}

function ActionResult({ m, ok }: { m: { isError: boolean; isSuccess: boolean; error: unknown }; ok: string }) {
  if (m.isError)
    return (
      <p role="alert" className="mt-3 rounded-lg bg-red-50 px-3 py-2 text-sm text-red-800 ring-1 ring-inset ring-red-200">
        <span aria-hidden="true">✕ </span>Refused: {errorMessage(m.error)}
      </p>
    );
  if (m.isSuccess)
    return (
      <p role="status" className="mt-3 rounded-lg bg-emerald-50 px-3 py-2 text-sm text-emerald-800 ring-1 ring-inset ring-emerald-200">
        <span aria-hidden="true">✓ </span>
        {ok}
      </p>
    );
  return null;
}

const inputClass =
  "tabular h-9 w-full rounded-lg border-0 bg-white px-3 text-sm text-zinc-900 shadow-sm ring-1 ring-inset ring-zinc-300 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-zinc-900 disabled:bg-zinc-50 disabled:text-zinc-500";

function AdminControls({ p, defaults }: { p: ProgressDTO; defaults: RunDefaults }) {
  const active = p.run?.active ?? false;
  const ids = useId();
  const [batchSize, setBatchSize] = useState(String(defaults.batchSize));
  const [threshold, setThreshold] = useState(String(defaults.errorThresholdPct));
  const [retry, setRetry] = useState(false);
  const [confirmText, setConfirmText] = useState("");
  const [confirmCleanup, setConfirmCleanup] = useState(false);
  const [targetMs, setTargetMs] = useState("");
  const [workers, setWorkers] = useState("");
  const [pauseMs, setPauseMs] = useState("");
  const [anyway, setAnyway] = useState("");

  const start = useAction<StartBody, { run: RunDTO }>("/api/prestamos/migration/start");
  const failing = preflightFailing(start.error);
  const stop = useAction<undefined, { run: RunDTO }>("/api/prestamos/migration/stop");
  const rollback = useAction<{ confirm: string }, { stoppedRunId: number | null; prestamosRemoved: number; pagosRemoved: number }>("/api/prestamos/migration/rollback");
  const cleanup = useAction<undefined, { removed: boolean; drained: number }>("/api/prestamos/migration/cleanup");

  const bs = Number(batchSize);
  const th = Number(threshold);
  const formError =
    !/^\d+$/.test(batchSize) || bs < 1 || bs > 50_000
      ? "Batch size must be a whole number from 1 to 50,000."
      : threshold.trim() === "" || !Number.isFinite(th) || th < 0 || th > 100
        ? "Error threshold must be a number from 0 to 100."
        : optionalInt(targetMs, 0, 60_000) === false
          ? "Target batch time must be a whole number of ms from 0 to 60,000 (or blank)."
          : optionalInt(workers, 1, 8) === false
            ? "Workers must be a whole number from 1 to 8 (or blank)."
            : optionalInt(pauseMs, 0, 60_000) === false
              ? "Pause must be a whole number of ms from 0 to 60,000 (or blank)."
              : null;
  const startBody = (): StartBody => {
    const b: StartBody = { batchSize: bs, errorThresholdPct: th, retry };
    const t = optionalInt(targetMs, 0, 60_000);
    const w = optionalInt(workers, 1, 8);
    const pm = optionalInt(pauseMs, 0, 60_000);
    if (typeof t === "number") b.targetBatchMs = t;
    if (typeof w === "number") b.workers = w;
    if (typeof pm === "number") b.pauseMs = pm;
    return b;
  };

  return (
    <section aria-labelledby="controls" className="flex flex-col gap-4">
      <h2 id="controls" className="text-sm font-semibold uppercase tracking-wide text-zinc-500">
        Controls
      </h2>
      <div className="grid grid-cols-1 gap-4 lg:grid-cols-2">
        <Card title="Start a run" description="Walks the legacy prestamos in id order, one transaction per batch. 409 while a run is active.">
          <form
            onSubmit={(e) => {
              e.preventDefault();
              if (formError) return;
              setAnyway("");
              start.mutate(startBody());
            }}
            className="flex flex-col gap-3"
          >
            <div className="grid grid-cols-2 gap-3">
              <label className="flex flex-col gap-1 text-sm font-medium text-zinc-700" htmlFor={`${ids}-bs`}>
                Batch size
                <input id={`${ids}-bs`} className={inputClass} inputMode="numeric" value={batchSize} onChange={(e) => setBatchSize(e.target.value)} aria-describedby={`${ids}-bs-h`} />
                <span id={`${ids}-bs-h`} className="text-xs font-normal text-zinc-500">
                  prestamos per batch, 1–50,000
                </span>
              </label>
              <label className="flex flex-col gap-1 text-sm font-medium text-zinc-700" htmlFor={`${ids}-th`}>
                Error threshold (%)
                <input id={`${ids}-th`} className={inputClass} inputMode="decimal" value={threshold} onChange={(e) => setThreshold(e.target.value)} aria-describedby={`${ids}-th-h`} />
                <span id={`${ids}-th-h`} className="text-xs font-normal text-zinc-500">
                  halts when failed / processed exceeds it (after 1,000)
                </span>
              </label>
            </div>
            <label className="flex items-start gap-2 text-sm text-zinc-700">
              <input type="checkbox" className="mt-0.5 h-4 w-4 rounded border-zinc-300 accent-zinc-900" checked={retry} onChange={(e) => setRetry(e.target.checked)} />
              <span>
                <span className="font-medium">Retry</span> failed and rolled back prestamos too
              </span>
            </label>
            <details className="group rounded-lg bg-zinc-50 px-3 py-2 ring-1 ring-inset ring-zinc-200" data-testid="start-advanced">
              <summary className="cursor-pointer select-none text-sm font-medium text-zinc-700">Advanced: batch timing and workers</summary>
              <div className="mt-3 grid grid-cols-3 gap-3">
                <label className="flex flex-col gap-1 text-sm font-medium text-zinc-700">
                  Target batch (ms)
                  <input className={inputClass} inputMode="numeric" placeholder={`default ${defaults.targetBatchMs}`} value={targetMs} onChange={(e) => setTargetMs(e.target.value)} />
                </label>
                <label className="flex flex-col gap-1 text-sm font-medium text-zinc-700">
                  Workers
                  <input className={inputClass} inputMode="numeric" placeholder={`default ${defaults.workers}`} value={workers} onChange={(e) => setWorkers(e.target.value)} />
                </label>
                <label className="flex flex-col gap-1 text-sm font-medium text-zinc-700">
                  Pause (ms)
                  <input className={inputClass} inputMode="numeric" placeholder={`default ${defaults.pauseMs}`} value={pauseMs} onChange={(e) => setPauseMs(e.target.value)} />
                </label>
              </div>
              <p className="mt-2 text-xs text-zinc-500">
                Blank = the default. With a target batch time the batch size adapts from the one above so a batch takes about that long; without one the batch size stays fixed.
                Workers run batches side by side (1–8); the pause between batches leaves room for the application. All three can be tuned while the run runs.
              </p>
            </details>
            {formError && (
              <p className="text-sm text-red-700" role="alert">
                {formError}
              </p>
            )}
            <div className="flex items-center gap-3">
              <Button type="submit" disabled={start.isPending || Boolean(formError)} aria-disabled={active || undefined}>
                {start.isPending ? "Starting…" : "Start run"}
              </Button>
              {active && <span className="text-sm text-zinc-500">A run is active: stop it first.</span>}
            </div>
          </form>
          {failing ? (
            <PreflightRefusal
              failing={failing}
              message={errorMessage(start.error)}
              value={anyway}
              onChange={setAnyway}
              pending={start.isPending}
              onConfirm={() => start.mutate({ ...startBody(), confirmPreflight: START_ANYWAY })}
            />
          ) : (
            <ActionResult m={start} ok={start.data ? `Run #${start.data.run.id} started.` : "Started."} />
          )}
        </Card>

        {active && p.run && <RunSteering run={p.run} />}

        <Card title="Stop the run" description="Ends the active run after its current batch; starting again goes on where the data stands.">
          <Button variant="secondary" onClick={() => stop.mutate(undefined)} disabled={stop.isPending}>
            {stop.isPending ? "Stopping…" : "Stop run"}
          </Button>
          {!active && <span className="ml-3 text-sm text-zinc-500">No run is active.</span>}
          <ActionResult m={stop} ok={stop.data ? `Stop requested for run #${stop.data.run.id}.` : "Stop requested."} />
        </Card>

        <Card title="Roll back everything" description="Stops the active run, empties the new tables and marks every prestamo pending. The legacy tables are not touched." className="border-red-200">
          <form
            onSubmit={(e) => {
              e.preventDefault();
              if (confirmText !== ROLLBACK_ALL) return;
              rollback.mutate({ confirm: confirmText }, { onSuccess: () => setConfirmText("") });
            }}
            className="flex flex-col gap-3"
          >
            <label className="flex flex-col gap-1 text-sm font-medium text-zinc-700" htmlFor={`${ids}-rb`}>
              <span>
                Type <code className="rounded bg-zinc-100 px-1 font-mono text-[13px]">{ROLLBACK_ALL}</code> to confirm
              </span>
              <input id={`${ids}-rb`} className={cn(inputClass, "font-mono")} autoComplete="off" spellCheck={false} value={confirmText} onChange={(e) => setConfirmText(e.target.value)} />
            </label>
            <div>
              <Button type="submit" variant="danger" disabled={confirmText !== ROLLBACK_ALL || rollback.isPending}>
                {rollback.isPending ? "Rolling back…" : "Roll back all"}
              </Button>
            </div>
          </form>
          <ActionResult
            m={rollback}
            ok={rollback.data ? `Rolled back: ${fmtInt(rollback.data.prestamosRemoved)} prestamos and ${fmtInt(rollback.data.pagosRemoved)} pagos removed from the new tables.` : "Rolled back."}
          />
        </Card>

        <Card title="End change capture" description="Drops the triggers on the legacy tables once the new schema has taken over. Refused (409) during a run.">
          {!confirmCleanup ? (
            <Button variant="secondary" onClick={() => setConfirmCleanup(true)} disabled={!p.capture.enabled || cleanup.isPending}>
              End change capture…
            </Button>
          ) : (
            <div className="flex flex-col gap-3 rounded-lg bg-amber-50 px-3 py-3 ring-1 ring-inset ring-amber-200">
              <p className="text-sm text-amber-900">
                After this, changes to the legacy tables are no longer synced to the new ones. Pending changes ({fmtInt(p.capture.backlog)}) are drained first.
              </p>
              <div className="flex gap-2">
                <Button
                  variant="danger"
                  disabled={cleanup.isPending}
                  onClick={() => cleanup.mutate(undefined, { onSettled: () => setConfirmCleanup(false) })}
                >
                  {cleanup.isPending ? "Ending capture…" : "Yes, end change capture"}
                </Button>
                <Button variant="ghost" onClick={() => setConfirmCleanup(false)}>
                  Cancel
                </Button>
              </div>
            </div>
          )}
          {!p.capture.enabled && !confirmCleanup && <span className="ml-3 text-sm text-zinc-500">Capture is off.</span>}
          <ActionResult m={cleanup} ok={cleanup.data ? `Change capture ended (${fmtInt(cleanup.data.drained)} pending changes synced first).` : "Ended."} />
        </Card>
      </div>
      <p className="text-sm text-zinc-500">
        Every action is recorded in the <Link href="/audit" className="font-medium text-zinc-700 underline underline-offset-2 hover:text-zinc-900">
          audit log
        </Link>
        .
      </p>
    </section>
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

/** While a run is active: pause/resume and the tunables (PATCH …/settings), effective from its next batch. */
function RunSteering({ run }: { run: RunDTO }) {
  const qc = useQueryClient();
  const paused = run.status === "paused";
  const pause = useAction<undefined, { run: RunDTO }>("/api/prestamos/migration/pause");
  const resume = useAction<undefined, { run: RunDTO }>("/api/prestamos/migration/resume");
  const [targetMs, setTargetMs] = useState(String(run.targetBatchMs));
  const [workers, setWorkers] = useState(String(run.workers));
  const [pauseMs, setPauseMs] = useState(String(run.pauseMs));
  const tune = useMutation({
    mutationFn: (body: { targetBatchMs: number; workers: number; pauseMs: number }) => apiFetch<{ run: RunDTO }>("/api/prestamos/migration/settings", { method: "PATCH", body }),
    onSettled: () => qc.invalidateQueries({ queryKey: PROGRESS_KEY }),
  });
  const t = optionalInt(targetMs, 0, 60_000);
  const w = optionalInt(workers, 1, 8);
  const pm = optionalInt(pauseMs, 0, 60_000);
  const bad = typeof t !== "number" || typeof w !== "number" || typeof pm !== "number";
  const toggle = paused ? resume : pause;
  const lastToggle = [pause, resume].filter((m) => m.submittedAt > 0).sort((a, b) => b.submittedAt - a.submittedAt)[0];

  return (
    <Card title={`Steer run #${run.id}`} description="Pause holds the run after the batches in flight; resume goes on from the checkpoint. Tuning applies from the next batch, no restart.">
      <div className="flex flex-wrap items-center gap-3">
        <Button variant="secondary" onClick={() => toggle.mutate(undefined)} disabled={toggle.isPending}>
          {paused ? (resume.isPending ? "Resuming…" : "Resume run") : pause.isPending ? "Pausing…" : "Pause run"}
        </Button>
        <span className="text-sm text-zinc-500">
          Now: target {run.targetBatchMs > 0 ? `${fmtInt(run.targetBatchMs)} ms` : "off"}, {fmtInt(run.workers)} {run.workers === 1 ? "worker" : "workers"}, pause {fmtInt(run.pauseMs)} ms, batch {fmtInt(run.batchSize)}.
        </span>
      </div>
      {lastToggle && <ActionResult m={lastToggle} ok={lastToggle === pause ? "Pause requested." : "Resumed."} />}
      <form
        className="mt-4 flex flex-col gap-3 border-t border-zinc-100 pt-4"
        aria-label="Tune the run"
        onSubmit={(e) => {
          e.preventDefault();
          if (!bad) tune.mutate({ targetBatchMs: t, workers: w, pauseMs: pm });
        }}
      >
        <div className="grid grid-cols-3 gap-3">
          <label className="flex flex-col gap-1 text-sm font-medium text-zinc-700">
            Target batch (ms)
            <input className={inputClass} inputMode="numeric" value={targetMs} onChange={(e) => setTargetMs(e.target.value)} aria-describedby="tune-hint" />
          </label>
          <label className="flex flex-col gap-1 text-sm font-medium text-zinc-700">
            Workers
            <input className={inputClass} inputMode="numeric" value={workers} onChange={(e) => setWorkers(e.target.value)} aria-describedby="tune-hint" />
          </label>
          <label className="flex flex-col gap-1 text-sm font-medium text-zinc-700">
            Pause (ms)
            <input className={inputClass} inputMode="numeric" value={pauseMs} onChange={(e) => setPauseMs(e.target.value)} aria-describedby="tune-hint" />
          </label>
        </div>
        <p id="tune-hint" className="text-xs text-zinc-500">
          Target 0–60,000 ms (0 = fixed batch size), workers 1–8, pause 0–60,000 ms.
        </p>
        {bad && <p className="text-sm text-red-700">Every field needs a whole number in its range.</p>}
        <div>
          <Button type="submit" disabled={bad || tune.isPending}>
            {tune.isPending ? "Applying…" : "Apply settings"}
          </Button>
        </div>
      </form>
      <ActionResult m={tune} ok={tune.data ? `Run #${tune.data.run.id}: target ${fmtInt(tune.data.run.targetBatchMs)} ms, ${fmtInt(tune.data.run.workers)} ${tune.data.run.workers === 1 ? "worker" : "workers"}, pause ${fmtInt(tune.data.run.pauseMs)} ms.` : "Applied."} />
    </Card>
  );
}
