"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { LiveStatus } from "@/components/console/live-status";
import { PageHeader } from "@/components/console/page-header";
import { buttonClass } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { EmptyState } from "@/components/ui/empty-state";
import { Stat } from "@/components/ui/stat";
import { pollMs, useRun, useRunMetrics } from "@/lib/api/queries";
import { fmtDec1, fmtDuration, fmtId, fmtInt, fmtPct, fmtPctOf, fmtTime } from "@/lib/format";
import type { Metrics } from "@/lib/migration/metrics";
import type { RunDetail } from "@/lib/migration/run-history";
import type { RunDTO } from "@/lib/migration/runs";
import { DurationChart, FailuresChart, ThroughputChart, toPoints } from "../../metrics/metrics-charts";
import { RunStateBadge } from "../../migration/run-status";
import { settingsInWords } from "../run-words";

type Recent = { id: number; status: RunDTO["status"]; startedAt: string | null };

export function RunDetailClient({
  initialDetail,
  initialMetrics,
  recent,
  limit,
}: {
  initialDetail: RunDetail;
  initialMetrics: Metrics;
  recent: Recent[];
  limit: number;
}) {
  const router = useRouter();
  const id = initialDetail.run.id;
  const dq = useRun(id, initialDetail);
  const mq = useRunMetrics(id, limit, initialMetrics, dq.data.run.active);
  const { run, settings, preflight } = dq.data;
  const points = toPoints(mq.data.batches);
  const options = recent.some((r) => r.id === id) ? recent : [{ id, status: run.status, startedAt: run.startedAt }, ...recent];

  return (
    <div className="flex flex-col gap-6">
      <PageHeader
        title={`Run #${fmtId(run.id)}`}
        description={
          <>
            Started {fmtTime(run.startedAt)} by <span className="break-all">{run.startedBy}</span>
            {run.endedAt ? `, ended ${fmtTime(run.endedAt)}` : ", still running"}.{" "}
            <Link href="/runs" className="underline underline-offset-2">
              All runs
            </Link>
          </>
        }
        aside={
          <div className="flex flex-col items-end gap-2">
            <label className="flex items-center gap-2 text-sm text-zinc-600">
              Run
              <select
                aria-label="Pick a run"
                className="h-8 rounded-lg bg-white px-2 text-sm ring-1 ring-inset ring-zinc-300"
                value={id}
                onChange={(e) => router.push(`/runs/${e.target.value}`)}
              >
                {options.map((r) => (
                  <option key={r.id} value={r.id}>
                    #{fmtId(r.id)} · {r.status} · {fmtTime(r.startedAt)}
                  </option>
                ))}
              </select>
            </label>
            {run.active && <LiveStatus updatedAt={dq.dataUpdatedAt} error={dq.error ?? mq.error} intervalMs={pollMs.activeRun} isFetching={dq.isFetching} />}
          </div>
        }
      />

      <section aria-labelledby="run-outcome" className="rounded-xl border border-zinc-200 bg-white px-5 py-4 shadow-sm">
        <h2 id="run-outcome" className="sr-only">
          Outcome
        </h2>
        <div className="flex flex-wrap items-center gap-3">
          <RunStateBadge state={run.status} testId="run-detail-state" />
          <p className="text-sm text-zinc-800" data-testid="run-detail-reason">
            {run.active ? "Still running." : (run.stopDetail ?? run.stopReason ?? "Ended.")}
          </p>
        </div>
        {run.lastError && (
          <p className="mt-2 break-words text-sm text-red-800">
            Last error {fmtTime(run.lastErrorAt)}: <span className="font-mono text-[13px]">{run.lastError}</span>
          </p>
        )}
      </section>

      <dl className="grid grid-cols-2 gap-4 xl:grid-cols-4">
        <Stat label="Processed" value={fmtInt(run.processed)} hint={`${fmtInt(run.migrated)} migrated, ${fmtInt(run.pagos)} pagos`} />
        <Stat
          label="Failed"
          value={fmtInt(run.failed)}
          tone={run.errorRatePct > run.errorThresholdPct ? "danger" : run.failed > 0 ? "warning" : "neutral"}
          hint={`${fmtPctOf(run.failed, run.processed, "processed")}; threshold ${fmtPct(run.errorThresholdPct)}`}
        />
        <Stat label="Took" value={fmtDuration(run.durationSeconds)} hint={`${fmtInt(run.batches)} batches`} />
        <Stat
          label="Prestamos / s"
          value={mq.data.throughput.overall ? fmtDec1(mq.data.throughput.overall.prestamosPerSec) : "—"}
          hint={mq.data.throughput.overall ? `over the whole run; ${fmtDec1(mq.data.throughput.overall.pagosPerSec)} pagos / s` : "no batches"}
        />
      </dl>

      {points.length === 0 ? (
        <EmptyState title="No batches recorded" description="This run ended before its first batch, or its batches were removed with the test data." />
      ) : (
        <div className="grid grid-cols-1 gap-4 xl:grid-cols-2">
          <Card
            title="Throughput per batch"
            description={`Batches #1–#${points.length}${mq.data.batches.length >= limit ? ` (the last ${fmtInt(limit)})` : ""}, in the order they finished.`}
          >
            <ThroughputChart data={points} />
          </Card>
          <Card title="Failures per batch" description="Bars: failed prestamos of the batch. Line: its error rate, against the run's threshold (dashed).">
            <FailuresChart data={points} thresholdPct={run.errorThresholdPct} />
          </Card>
          <Card
            title="Batch duration"
            description={
              run.targetBatchMs > 0 ? "Milliseconds per batch; dashed: the target the batch size adapts to." : "Milliseconds per batch (fixed size)."
            }
          >
            <DurationChart data={points} targetMs={run.targetBatchMs} />
          </Card>
          <Card title="Settings" description="As asked at start; the tunables may have been changed during the run (audit log).">
            <dl className="grid grid-cols-[auto_1fr] gap-x-6 gap-y-1.5 text-sm">
              <dt className="text-zinc-500">Now</dt>
              <dd className="text-zinc-900">{settingsInWords(run)}</dd>
              <dt className="text-zinc-500">At start</dt>
              <dd className="text-zinc-900">{settings ? settingsInWords(settingsOf(settings, run)) : "—"}</dd>
              <dt className="text-zinc-500">Threshold</dt>
              <dd className="text-zinc-900">{fmtPct(run.errorThresholdPct)}</dd>
              <dt className="text-zinc-500">Pre-flight</dt>
              <dd className="text-zinc-900">
                {preflight
                  ? `${preflight.overall}${preflight.override ? ", started anyway over failing items" : ""} (${fmtTime(preflight.checkedAt)})`
                  : "not recorded"}
              </dd>
              <dt className="text-zinc-500">Checkpoint</dt>
              <dd className="tabular text-zinc-900">id {fmtId(run.checkpoint)}</dd>
              <dt className="text-zinc-500">Resumed</dt>
              <dd className="tabular text-zinc-900">{run.resumes > 0 ? `${fmtInt(run.resumes)}× from its checkpoint` : "never"}</dd>
            </dl>
            <p className="mt-3 text-sm">
              <Link href={`/audit?target=${encodeURIComponent(`run:${run.id}`)}`} className="underline underline-offset-2">
                Its audit trail
              </Link>
              {run.failed > 0 && (
                <>
                  {" · "}
                  <Link href="/failures" className="underline underline-offset-2">
                    The failed prestamos
                  </Link>
                </>
              )}
            </p>
          </Card>
        </div>
      )}
      {points.length === 0 && (
        <Link href="/runs" className={buttonClass("secondary", "md", "self-start")}>
          Back to all runs
        </Link>
      )}
    </div>
  );
}

function settingsOf(s: Record<string, unknown>, run: RunDTO) {
  const num = (k: string, d: number) => (typeof s[k] === "number" ? (s[k] as number) : d);
  return {
    targetBatchMs: num("targetBatchMs", run.targetBatchMs),
    batchSize: num("batchSize", run.batchSize),
    workers: num("workers", run.workers),
    pauseMs: num("pauseMs", run.pauseMs),
    retry: s.retry === true,
  };
}
