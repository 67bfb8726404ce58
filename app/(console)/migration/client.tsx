"use client";

import { useState } from "react";
import { LiveStatus } from "@/components/console/live-status";
import { PageHeader } from "@/components/console/page-header";
import { Card } from "@/components/ui/card";
import { pollMs, useProgress } from "@/lib/api/queries";
import { fmtTime } from "@/lib/format";
import type { ProgressDTO } from "@/lib/migration/progress";
import { AdminControls } from "./admin-controls";
import { OutcomePanel } from "./outcome-panel";
import { ProgressCard } from "./progress-card";
import { CaptureCard, RunCard } from "./run-status";
import { EMPTY_START_FORM, type StartDefaults } from "./start-form";
import { ThrottlePanel } from "./throttle-panel";

/** `/migration`: the latest run and change capture, polled; what to do after a run ended; admins steer it. */
export function MigrationClient({ initialData, isAdmin, defaults }: { initialData: ProgressDTO; isAdmin: boolean; defaults: StartDefaults }) {
  const q = useProgress(initialData);
  const p = q.data;
  const active = p.run?.active ?? false;
  // The start form lives here so the outcome panel can fill in a raised threshold.
  const [form, setForm] = useState(EMPTY_START_FORM);
  const raiseThreshold = (pct: number) => {
    setForm({ ...form, errorThresholdPct: String(pct) });
    document.getElementById("start-run")?.scrollIntoView({ behavior: "smooth", block: "start" });
  };

  return (
    <div className="flex flex-col gap-6">
      <PageHeader
        title="Migration"
        description="The run that copies legacy prestamos into the new tables, and the change capture that keeps them in sync. Updated every second while a run is active, every 5 seconds otherwise."
        aside={<LiveStatus updatedAt={q.dataUpdatedAt} error={q.error} intervalMs={pollMs.progress(active)} isFetching={q.isFetching} />}
      />

      <div className="grid grid-cols-1 gap-4 lg:grid-cols-2">
        <RunCard p={p} />
        <CaptureCard p={p} />
      </div>

      <OutcomePanel p={p} onRaiseThreshold={isAdmin ? raiseThreshold : undefined} />

      <ProgressCard p={p} />
      <ThrottlePanel isAdmin={isAdmin} />

      {p.lastError && p.run?.active && (
        <section className="rounded-xl border border-red-200 bg-red-50/60 px-5 py-4" aria-labelledby="last-error">
          <h2 id="last-error" className="text-sm font-semibold text-red-900">
            <span aria-hidden="true">⚠ </span>Last error
          </h2>
          <p className="mt-1 break-words font-mono text-[13px] text-red-900">{p.lastError.message}</p>
          <p className="mt-1 text-xs text-red-700">{fmtTime(p.lastError.at)}</p>
        </section>
      )}
      {p.stop?.reason && p.run?.status === "finished" && (
        <Card title="How the run ended">
          <p className="text-sm text-zinc-900" data-testid="stop-reason">
            {p.stop.detail ?? p.stop.reason}
          </p>
        </Card>
      )}

      {isAdmin ? (
        <AdminControls p={p} defaults={defaults} form={form} setForm={setForm} />
      ) : (
        <p className="rounded-xl border border-zinc-200 bg-zinc-50 px-5 py-3 text-sm text-zinc-600">
          You are signed in as a reviewer: you see everything the admins see, and an admin starts, stops or rolls back the migration.
        </p>
      )}
    </div>
  );
}
