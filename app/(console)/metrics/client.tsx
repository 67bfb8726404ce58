"use client";

import Link from "next/link";
import { LiveStatus } from "@/components/console/live-status";
import { PageHeader } from "@/components/console/page-header";
import { buttonClass } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { EmptyState } from "@/components/ui/empty-state";
import { Stat } from "@/components/ui/stat";
import { pollMs, useMetrics } from "@/lib/api/queries";
import { fmtBytes, fmtDec1, fmtDuration, fmtInt, fmtPct, fmtTime } from "@/lib/format";
import type { Metrics } from "@/lib/migration/metrics";
import { DurationChart, FailuresChart, ThroughputChart, toPoints } from "./metrics-charts";

const ACTIVE = new Set(["running", "paused"]);
const isLive = (m: Metrics | undefined) => Boolean(m?.run && ACTIVE.has(m.run.status));

export function MetricsClient({ initialData, limit }: { initialData: Metrics; limit: number }) {
  const q = useMetrics(limit, initialData, isLive);
  const m = q.data;
  const live = isLive(m);
  const points = toPoints(m.batches);
  const s = m.system;

  return (
    <div className="flex flex-col gap-6">
      <PageHeader
        title="Metrics"
        description={
          m.run
            ? `Run #${m.run.id} (${m.run.status}), started ${fmtTime(m.run.startedAt)}: its last ${fmtInt(m.batches.length)} batches. ${live ? "Live every 2 s." : "Refreshed every 10 s."}`
            : "No run yet: the change-capture syncs' batches, if any."
        }
        aside={<LiveStatus updatedAt={q.dataUpdatedAt} error={q.error} intervalMs={pollMs.metrics(live)} isFetching={q.isFetching} />}
      />

      <dl className="grid grid-cols-2 gap-4 xl:grid-cols-4">
        <Stat
          label="Prestamos / s (30 s)"
          value={fmtDec1(m.throughput.last30s.prestamosPerSec)}
          hint={`${fmtDec1(m.throughput.last30s.pagosPerSec)} pagos/s · ${fmtInt(m.throughput.last30s.batches)} batches`}
        />
        <Stat
          label="Prestamos / s (run)"
          value={m.throughput.overall ? fmtDec1(m.throughput.overall.prestamosPerSec) : "—"}
          hint={m.throughput.overall ? `${fmtDec1(m.throughput.overall.pagosPerSec)} pagos/s over ${fmtDuration(m.throughput.overall.elapsedSec)}` : "no run"}
        />
        <Stat
          label="Error rate"
          value={fmtPct(m.errorRatePct)}
          tone={m.errorRatePct > 0 ? "warning" : "neutral"}
          hint="failures / prestamos over the batches shown"
        />
        <Stat
          label="Processed (run)"
          value={m.run ? fmtInt(m.run.processed) : "—"}
          hint={m.run ? `${fmtInt(m.run.migrated)} migrated · ${fmtInt(m.run.failed)} failed` : "no run"}
        />
      </dl>

      {points.length === 0 ? (
        <EmptyState
          title="No batches yet"
          description="The charts fill in as a run migrates batches."
          action={
            <Link href="/migration" className={buttonClass("secondary")}>
              Open the migration
            </Link>
          }
        />
      ) : (
        <div className="grid grid-cols-1 gap-4 xl:grid-cols-2">
          <Card title="Throughput per batch" description="Prestamos (solid) and pagos (dashed) per second.">
            <ThroughputChart data={points} />
          </Card>
          <Card title="Batch duration" description="Milliseconds per batch, write and checkpoint included.">
            <DurationChart data={points} />
          </Card>
          <Card title="Failures per batch" description="Bars: failed prestamos (left axis). Line: error rate % (right axis).">
            <FailuresChart data={points} />
          </Card>
          <Card title="Process and database" description="This console instance; CPU and event-loop lag since the previous request.">
            <dl className="grid grid-cols-[1fr_auto] gap-y-1.5 text-sm">
              <dt className="text-zinc-500">Memory RSS</dt>
              <dd className="tabular text-right text-zinc-900">{fmtBytes(s.memory.rssBytes)}</dd>
              <dt className="text-zinc-500">Heap used / total</dt>
              <dd className="tabular text-right text-zinc-900">
                {fmtBytes(s.memory.heapUsedBytes)} / {fmtBytes(s.memory.heapTotalBytes)}
              </dd>
              <dt className="text-zinc-500">CPU</dt>
              <dd className="tabular text-right text-zinc-900">
                {fmtDec1(s.cpuPct)} % of a core over {fmtDuration(s.cpuWindowMs / 1000)}
              </dd>
              <dt className="text-zinc-500">Event-loop lag p50 / p99 / max</dt>
              <dd className="tabular text-right text-zinc-900">
                {fmtDec1(s.eventLoopLagMs.p50)} / {fmtDec1(s.eventLoopLagMs.p99)} / {fmtDec1(s.eventLoopLagMs.max)} ms
              </dd>
              <dt className="text-zinc-500">Database connections</dt>
              <dd className="tabular text-right text-zinc-900">{fmtInt(s.dbConnections)}</dd>
              <dt className="text-zinc-500">prestamos_new size</dt>
              <dd className="tabular text-right text-zinc-900">{fmtBytes(s.newTablesBytes.prestamos)}</dd>
              <dt className="text-zinc-500">pagos_prestamo_new size</dt>
              <dd className="tabular text-right text-zinc-900">{fmtBytes(s.newTablesBytes.pagos)}</dd>
              <dt className="font-medium text-zinc-700">New tables in all</dt>
              <dd className="tabular text-right font-medium text-zinc-900">{fmtBytes(s.newTablesBytes.total)}</dd>
            </dl>
          </Card>
        </div>
      )}
    </div>
  );
}
