"use client";

import { useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useId, useState } from "react";
import { LiveStatus } from "@/components/console/live-status";
import { PageHeader } from "@/components/console/page-header";
import { Button } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { cn } from "@/components/ui/cn";
import { errorMessage } from "@/lib/api/client";
import { START_ANYWAY } from "@/lib/migration/vocabulary";
import { keys, pollMs, usePreflight, usePreflightSettings, useRefreshPreflight } from "@/lib/api/queries";
import { fmtDuration, fmtTime } from "@/lib/format";
import type { PreflightReport } from "@/lib/migration/preflight";
import { CheckItems, Summary } from "./check-items";

const OVERALL = {
  pass: { cls: "border-emerald-200 bg-emerald-50 text-emerald-900", text: "Every measured item passes. A run can start." },
  warn: { cls: "border-amber-200 bg-amber-50 text-amber-900", text: "Warnings only: a run can start; read them first." },
  fail: {
    cls: "border-red-200 bg-red-50 text-red-900",
    text: `An item fails. Fix it first; a start over it needs the typed confirmation "${START_ANYWAY}" (the API: confirmPreflight), recorded with the run.`,
  },
} as const;

export function PreflightClient({ initialData, isAdmin }: { initialData: PreflightReport; isAdmin: boolean }) {
  const qc = useQueryClient();
  const q = usePreflight(initialData);
  const refresh = useRefreshPreflight();
  const r = q.data;
  const invalidate = () => qc.invalidateQueries({ queryKey: keys.preflight });

  return (
    <div className="flex flex-col gap-6">
      <PageHeader
        title="Pre-flight"
        description={`What must hold before a run starts: the database, the legacy tables as the contract expects them, a quiet period, the dry run, and what a person confirms. Failing items block a start unless an admin types ${START_ANYWAY}; warnings are shown, never blocking.`}
        aside={<LiveStatus updatedAt={q.dataUpdatedAt} error={q.error} intervalMs={pollMs.preflight} isFetching={q.isFetching} />}
      />

      <div className={cn("rounded-xl border px-5 py-4", OVERALL[r.overall].cls)} role="status" data-testid="preflight-overall" data-state={r.overall}>
        <p className="text-sm font-semibold">
          Overall: {r.overall === "pass" ? "pass" : r.overall === "warn" ? "warnings" : `fails (${r.failing.join(", ")})`}
        </p>
        <p className="mt-0.5 text-sm">{OVERALL[r.overall].text}</p>
        <div className="mt-3">
          <Summary items={r.items} />
        </div>
      </div>

      <CheckItems items={r.items} phase="preflight" isAdmin={isAdmin} onChanged={invalidate} />

      <div className="grid grid-cols-1 gap-4 lg:grid-cols-2">
        <Card
          title="Dry run"
          description={dryRunText(r.dryRun)}
          actions={
            <Button size="sm" variant="secondary" onClick={() => refresh.mutate()} disabled={refresh.isPending || r.dryRun.refreshing}>
              {refresh.isPending || r.dryRun.refreshing ? "Computing…" : "Recompute now"}
            </Button>
          }
        >
          <p className="text-sm text-zinc-600">
            The full result, with the counts by failure code, is on{" "}
            <Link className="underline underline-offset-2" href="/verify">
              Verify
            </Link>
            .
          </p>
          {refresh.isError && (
            <p role="alert" className="mt-2 text-sm text-red-700">
              {errorMessage(refresh.error)}
            </p>
          )}
        </Card>
        <ThresholdCard r={r} isAdmin={isAdmin} onChanged={invalidate} />
      </div>

      <Card
        title="Backing up the legacy tables"
        description={r.backup.kind === "pg_dump" ? "With the configured connection; the password is masked." : "Embedded database."}
      >
        <pre
          className="overflow-x-auto whitespace-pre-wrap break-all rounded-lg bg-zinc-950 px-4 py-3 font-mono text-[13px] text-zinc-100"
          data-testid="backup-command"
        >
          {r.backup.command}
        </pre>
        <p className="mt-2 text-sm text-zinc-600">{r.backup.note}</p>
        <CopyButton text={r.backup.command} />
      </Card>
    </div>
  );
}

// It scans the whole legacy table, so it runs in the background and the page shows the latest one.
function dryRunText(d: PreflightReport["dryRun"]): string {
  const computed = d.checkedAt && d.ageSeconds !== null ? `Computed ${fmtTime(d.checkedAt)}, ${fmtDuration(d.ageSeconds)} ago` : null;
  if (d.refreshing) return `${computed ? `${computed}; a` : "A"} new one is being computed in the background (it scans the whole legacy table).`;
  return computed ? `${computed}. It scans the whole legacy table, in the background.` : "Not computed yet.";
}

function CopyButton({ text }: { text: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <Button
      size="sm"
      variant="ghost"
      className="mt-2"
      onClick={async () => {
        try {
          await navigator.clipboard.writeText(text);
          setCopied(true);
          setTimeout(() => setCopied(false), 2000);
        } catch {
          setCopied(false);
        }
      }}
    >
      {copied ? "Copied ✓" : "Copy command"}
    </Button>
  );
}

function ThresholdCard({ r, isAdmin, onChanged }: { r: PreflightReport; isAdmin: boolean; onChanged: () => void }) {
  const id = useId();
  const [value, setValue] = useState(String(r.settings.maxWritesPerSecond));
  const m = usePreflightSettings({ onSettled: onChanged });
  const n = Number(value);
  const invalid = value.trim() === "" || !Number.isFinite(n) || n < 0;
  return (
    <Card
      title="Quiet-period threshold"
      description={`Warn above ${r.settings.maxWritesPerSecond} legacy writes per second over the last minute${r.settings.updatedBy ? ` (set by ${r.settings.updatedBy}, ${fmtTime(r.settings.updatedAt)})` : " (the default)"}. Samples every 10 s.`}
    >
      {isAdmin ? (
        <form
          className="flex flex-wrap items-end gap-2"
          onSubmit={(e) => {
            e.preventDefault();
            if (!invalid) m.mutate({ maxWritesPerSecond: n });
          }}
        >
          <label htmlFor={`${id}-t`} className="flex flex-col gap-1 text-sm font-medium text-zinc-700">
            Writes per second
            <input
              id={`${id}-t`}
              inputMode="decimal"
              className="tabular h-9 w-40 rounded-lg border-0 px-3 text-sm shadow-sm ring-1 ring-inset ring-zinc-300 focus-visible:outline-2 focus-visible:outline-zinc-900"
              value={value}
              onChange={(e) => setValue(e.target.value)}
            />
          </label>
          <Button type="submit" size="md" variant="secondary" disabled={invalid || m.isPending}>
            {m.isPending ? "Saving…" : "Save"}
          </Button>
          {m.isError && (
            <p role="alert" className="w-full text-sm text-red-700">
              Refused: {errorMessage(m.error)}
            </p>
          )}
          {m.isSuccess && (
            <p role="status" className="w-full text-sm text-emerald-700">
              Saved.
            </p>
          )}
        </form>
      ) : (
        <p className="text-sm text-zinc-600">An admin sets it.</p>
      )}
    </Card>
  );
}
