"use client";

import Link from "next/link";
import { AuditDetails } from "@/components/console/audit-details";
import { LiveStatus } from "@/components/console/live-status";
import { PageHeader } from "@/components/console/page-header";
import { Badge } from "@/components/ui/badge";
import { Button, buttonClass } from "@/components/ui/button";
import { EmptyState } from "@/components/ui/empty-state";
import { cn } from "@/components/ui/cn";
import { Table, TBody, Td, Th, THead, Tr } from "@/components/ui/table";
import { paths, pollMs, useAuditLog } from "@/lib/api/queries";
import type { AuditPage } from "@/lib/audit-query";
import { fmtInt, fmtTime } from "@/lib/format";

export interface AuditUrlState {
  page: number;
  actor?: string;
  action?: string;
  outcome?: "ok" | "refused" | "error";
  target?: string;
  from?: string;
  to?: string;
}

/** Where an audit target lives in the console: `prestamo:42` → its page, `run:3` → the run's page. */
function targetHref(target: string | null | undefined): string | null {
  const m = /^(prestamo|run):(-?\d+)$/.exec(target ?? "");
  if (!m) return null;
  return m[1] === "run" ? `/runs/${m[2]}` : `/prestamos/${m[2]}`;
}

/** The browser's date picker shows the OS locale (mm/dd/yyyy); this console writes ISO dates, so the field takes them as typed. */
const ISO_DATE_PATTERN = "\\d{4}-\\d{2}-\\d{2}(T.*)?";

const FILTERS = ["actor", "action", "outcome", "target", "from", "to"] as const;

function params(s: Omit<AuditUrlState, "page"> & { page?: number }): URLSearchParams {
  const u = new URLSearchParams();
  for (const k of FILTERS) if (s[k]) u.set(k, String(s[k]));
  if (s.page && s.page > 1) u.set("page", String(s.page));
  return u;
}

const inputClass =
  "h-9 w-full rounded-lg border-0 bg-white px-3 text-sm text-zinc-900 shadow-sm ring-1 ring-inset ring-zinc-300 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-zinc-900";

export function AuditClient({
  initialData,
  state,
  raw,
  problem,
}: {
  initialData: AuditPage;
  state: AuditUrlState;
  raw: Record<string, string | undefined>;
  problem: string | null;
}) {
  const q = useAuditLog({ ...state }, initialData);
  const d = q.data;
  const filtered = FILTERS.some((k) => state[k]);
  const pages = Math.max(1, Math.ceil(d.total / d.limit));

  return (
    <div className="flex flex-col gap-6">
      <PageHeader
        title="Audit log"
        description="Every action through the console and the API, refused ones included, newest first. Times in UTC."
        aside={
          <>
            <LiveStatus updatedAt={q.dataUpdatedAt} error={q.error} intervalMs={pollMs.audit} isFetching={q.isFetching} />
            <a href={paths.audit({ ...state, page: undefined, format: "csv" })} className={buttonClass("secondary", "sm")} download>
              Export CSV
            </a>
          </>
        }
      />

      <form
        method="get"
        action="/audit"
        className="grid grid-cols-3 gap-3 rounded-xl border border-zinc-200 bg-white px-5 py-4 shadow-sm xl:grid-cols-7"
        aria-label="Filter the audit log"
      >
        <label className="flex flex-col gap-1 text-sm font-medium text-zinc-700">
          Actor
          <input name="actor" defaultValue={raw.actor ?? ""} placeholder="admin@…" className={inputClass} />
        </label>
        <label className="flex flex-col gap-1 text-sm font-medium text-zinc-700">
          Action (prefix)
          <input name="action" defaultValue={raw.action ?? ""} placeholder="migration." className={inputClass} />
        </label>
        <label className="flex flex-col gap-1 text-sm font-medium text-zinc-700">
          Outcome
          <select name="outcome" defaultValue={raw.outcome ?? ""} className={inputClass}>
            <option value="">Any</option>
            <option value="ok">ok</option>
            <option value="refused">refused</option>
            <option value="error">error</option>
          </select>
        </label>
        <label className="flex flex-col gap-1 text-sm font-medium text-zinc-700">
          Target
          <input name="target" defaultValue={raw.target ?? ""} placeholder="prestamo:42" className={inputClass} />
        </label>
        <label className="flex flex-col gap-1 text-sm font-medium text-zinc-700">
          From
          <input
            name="from"
            defaultValue={raw.from ?? ""}
            placeholder="YYYY-MM-DD"
            inputMode="numeric"
            pattern={ISO_DATE_PATTERN}
            title="An ISO date, YYYY-MM-DD (or an ISO time)"
            className={cn(inputClass, "tabular")}
          />
        </label>
        <label className="flex flex-col gap-1 text-sm font-medium text-zinc-700">
          To
          <input
            name="to"
            defaultValue={raw.to ?? ""}
            placeholder="YYYY-MM-DD"
            inputMode="numeric"
            pattern={ISO_DATE_PATTERN}
            title="An ISO date, YYYY-MM-DD (or an ISO time)"
            className={cn(inputClass, "tabular")}
          />
        </label>
        <div className="flex items-end gap-2">
          <Button type="submit" variant="secondary">
            Apply
          </Button>
          {filtered && (
            <Link href="/audit" className={buttonClass("ghost")}>
              Clear
            </Link>
          )}
        </div>
      </form>
      {problem && (
        <p role="alert" className="-mt-3 text-sm text-red-700">
          Some filters were not understood: {problem}
        </p>
      )}

      {d.items.length === 0 ? (
        <EmptyState
          title={filtered ? "No entry matches these filters" : "The audit log is empty"}
          description={filtered ? "Widen the dates or clear a filter." : "Entries appear as soon as someone acts."}
        />
      ) : (
        <Table caption="Audit log">
          <THead>
            <tr>
              <Th className="w-32">When</Th>
              <Th>Who</Th>
              <Th>Action</Th>
              <Th>Target</Th>
              <Th className="w-32">Outcome</Th>
              <Th>Details</Th>
            </tr>
          </THead>
          <TBody>
            {d.items.map((e) => (
              <Tr key={e.id}>
                <Td className="tabular">{fmtTime(e.at)}</Td>
                <Td>
                  {e.actor}
                  {e.actorKind !== "user" && <span className="block text-xs text-zinc-500">{e.actorKind}</span>}
                </Td>
                <Td className="font-mono text-[13px]">{e.action}</Td>
                <Td className="font-mono text-[13px]">
                  {targetHref(e.target) ? (
                    <Link href={targetHref(e.target)!} className="underline underline-offset-2 hover:text-sky-700">
                      {e.target}
                    </Link>
                  ) : (
                    (e.target ?? "—")
                  )}
                </Td>
                <Td>
                  <Badge className="whitespace-nowrap" tone={e.outcome === "ok" ? "success" : e.outcome === "refused" ? "warning" : "danger"}>
                    <span aria-hidden="true" className="mr-1">
                      {e.outcome === "ok" ? "✓" : e.outcome === "refused" ? "⊘" : "✕"}
                    </span>
                    {e.outcome}
                    {e.status ? ` · ${e.status}` : ""}
                  </Badge>
                </Td>
                <Td className="font-mono text-xs">
                  <AuditDetails details={e.details} />
                </Td>
              </Tr>
            ))}
          </TBody>
        </Table>
      )}
      <nav aria-label="Pages" className="flex items-center justify-between">
        <p className="tabular text-sm text-zinc-500">
          Page {fmtInt(d.page)} of {fmtInt(pages)} · {fmtInt(d.total)} entries
        </p>
        <div className="flex gap-2">
          {d.page > 1 ? (
            <Link href={`/audit?${params({ ...state, page: d.page - 1 })}`} className={buttonClass("secondary", "sm")} rel="prev">
              ‹ Newer
            </Link>
          ) : (
            <span className={buttonClass("secondary", "sm", "pointer-events-none opacity-40")} aria-disabled="true">
              ‹ Newer
            </span>
          )}
          {d.hasMore ? (
            <Link href={`/audit?${params({ ...state, page: d.page + 1 })}`} className={buttonClass("secondary", "sm")} rel="next">
              Older ›
            </Link>
          ) : (
            <span className={buttonClass("secondary", "sm", "pointer-events-none opacity-40")} aria-disabled="true">
              Older ›
            </span>
          )}
        </div>
      </nav>
    </div>
  );
}
