"use client";

import { useQueryClient } from "@tanstack/react-query";
import { LiveStatus } from "@/components/console/live-status";
import { PageHeader } from "@/components/console/page-header";
import { buttonClass } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { cn } from "@/components/ui/cn";
import { keys, paths, pollMs, useChecklist } from "@/lib/api/queries";
import type { Checklist } from "@/lib/migration/checklist";
import { CheckItems, Summary } from "../preflight/check-items";

export function ChecklistClient({ initialData, isAdmin }: { initialData: Checklist; isAdmin: boolean }) {
  const qc = useQueryClient();
  const q = useChecklist(initialData);
  const c = q.data;
  const titles = (state: string) => c.items.filter((i) => i.state === state).map((i) => i.label);
  const failing = titles("fail");
  const unmeasured = titles("unmeasured");
  const done = failing.length === 0 && unmeasured.length === 0;
  return (
    <div className="flex flex-col gap-6">
      <PageHeader
        title="Post-migration checklist"
        description="Each item is measured by the console from the data, never ticked by hand where the console can know; each links to its evidence. What only a person can know, an admin confirms."
        aside={<LiveStatus updatedAt={q.dataUpdatedAt} error={q.error} intervalMs={pollMs.checklist} isFetching={q.isFetching} />}
      />

      <div
        className={cn("rounded-xl border px-5 py-4", done ? "border-emerald-200 bg-emerald-50 text-emerald-900" : "border-red-200 bg-red-50 text-red-900")}
        role="status"
        data-testid="checklist-overall"
        data-state={c.overall}
      >
        <p className="text-sm font-semibold">
          {done
            ? "Every measured item passes."
            : failing.length
              ? `Not done: ${failing.join(", ")}.`
              : "Nothing fails, but not everything can be measured yet."}
        </p>
        {unmeasured.length > 0 && <p className="mt-1 text-sm">Not measurable yet: {unmeasured.join(", ")}.</p>}
        <div className="mt-3">
          <Summary items={c.items} />
        </div>
      </div>

      <Card
        title="Migration report"
        description="The archive: every run with its settings, rates, ending and pre-flight; the pre-flight and this checklist with their confirmations; every failing prestamo and rule; the consistency summary; the audit log from one day before the first run. Streamed; HTML prints as is."
      >
        <div className="flex flex-wrap gap-2">
          <a className={buttonClass("primary")} href={paths.report("html")} download data-testid="report-html">
            Download report (HTML, printable)
          </a>
          <a className={buttonClass("secondary")} href={paths.report("json")} download data-testid="report-json">
            Download report (JSON)
          </a>
        </div>
      </Card>

      <CheckItems items={c.items} phase="checklist" isAdmin={isAdmin} onChanged={() => qc.invalidateQueries({ queryKey: keys.checklist })} />
    </div>
  );
}
