"use client";

import Link from "next/link";
import { LiveStatus } from "@/components/console/live-status";
import { PageHeader } from "@/components/console/page-header";
import { buttonClass } from "@/components/ui/button";
import { EmptyState } from "@/components/ui/empty-state";
import { Pager } from "@/components/ui/pager";
import { Table, TBody, Td, Th, THead, Tr } from "@/components/ui/table";
import { pollMs, useRuns } from "@/lib/api/queries";
import { fmtDuration, fmtId, fmtInt, fmtPct, fmtPctOf, fmtTime } from "@/lib/format";
import type { RunsPage } from "@/lib/migration/run-history";
import { RunStateBadge } from "../migration/run-status";
import { settingsInWords } from "./run-words";

export function RunsClient({ initialData, query, badQuery }: { initialData: RunsPage; query: { before: number | null; limit: number }; badQuery: boolean }) {
  const q = useRuns(query, initialData);
  const d = q.data;
  return (
    <div className="flex flex-col gap-6">
      <PageHeader
        title="Runs"
        description="Every run, newest first: who started it, how long it took, how it ended and why, and the settings it ran with. Open one for its batches and charts."
        aside={<LiveStatus updatedAt={q.dataUpdatedAt} error={q.error} intervalMs={pollMs.runs} isFetching={q.isFetching} />}
      />
      {badQuery && <p className="-mt-3 text-sm text-amber-800">The address held an invalid page; showing the newest runs.</p>}
      {d.items.length === 0 ? (
        <EmptyState
          title="No run yet"
          description="A run copies the legacy prestamos into the new tables. Check Pre-flight first, then start one on the Migration page."
          action={
            <Link href="/migration" className={buttonClass("secondary")}>
              Open the migration
            </Link>
          }
        />
      ) : (
        <Table caption="Runs, newest first">
          <THead>
            <tr>
              <Th className="w-20">Run</Th>
              <Th className="w-28">Outcome</Th>
              <Th>Started</Th>
              <Th align="right">Took</Th>
              <Th align="right">Processed</Th>
              <Th align="right">Failed</Th>
              <Th>How it ended</Th>
              <Th>Settings</Th>
            </tr>
          </THead>
          <TBody>
            {d.items.map((r) => (
              <Tr key={r.id}>
                <Td className="align-top">
                  <Link href={`/runs/${r.id}`} className="tabular font-medium text-zinc-900 underline underline-offset-2 hover:text-sky-700">
                    #{fmtId(r.id)}
                  </Link>
                </Td>
                <Td className="align-top">
                  <RunStateBadge state={r.status} />
                </Td>
                <Td className="align-top">
                  <span className="tabular block whitespace-nowrap text-zinc-900">{fmtTime(r.startedAt)}</span>
                  <span className="block break-all text-xs text-zinc-500">by {r.startedBy}</span>
                </Td>
                <Td align="right" className="align-top whitespace-nowrap">
                  {fmtDuration(r.durationSeconds)}
                  {r.active && <span className="block text-xs text-zinc-500">so far</span>}
                </Td>
                <Td align="right" className="align-top">
                  {fmtInt(r.processed)}
                  <span className="block text-xs text-zinc-500">{fmtInt(r.migrated)} migrated</span>
                </Td>
                <Td align="right" className="align-top">
                  {fmtInt(r.failed)}
                  <span className="block whitespace-nowrap text-xs text-zinc-500" title="failed ÷ processed by this run">
                    {r.processed ? fmtPctOf(r.failed, r.processed, "processed") : "—"}
                  </span>
                </Td>
                <Td className="align-top text-sm">{r.active ? "still running" : (r.stopDetail ?? r.stopReason ?? "—")}</Td>
                <Td className="align-top text-xs text-zinc-600">
                  {settingsInWords(r)}
                  <span className="block">threshold {fmtPct(r.errorThresholdPct)}</span>
                </Td>
              </Tr>
            ))}
          </TBody>
        </Table>
      )}
      <Pager
        summary={`${fmtInt(d.items.length)} shown · ${fmtInt(d.total)} ${d.total === 1 ? "run" : "runs"} in all`}
        prevHref={null}
        nextHref={d.nextBefore !== null ? `/runs?before=${d.nextBefore}` : null}
        first={
          query.before !== null ? (
            <Link href="/runs" className={buttonClass("secondary", "sm")}>
              « Newest
            </Link>
          ) : undefined
        }
      />
    </div>
  );
}
