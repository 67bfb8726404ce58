"use client";

import Link from "next/link";
import { useState } from "react";
import { FAILURE_CODE_TEXT } from "@/components/console/failure-codes";
import { LiveStatus } from "@/components/console/live-status";
import { PageHeader } from "@/components/console/page-header";
import { VisibleText } from "@/components/console/visible-text";
import { Badge } from "@/components/ui/badge";
import { Button, buttonClass } from "@/components/ui/button";
import { cn } from "@/components/ui/cn";
import { EmptyState } from "@/components/ui/empty-state";
import { FilterChip, Pager } from "@/components/ui/pager";
import { Table, TBody, Td, Th, THead, Tr } from "@/components/ui/table";
import { errorMessage } from "@/lib/api/client";
import { paths, pollMs, useFailures, useFailuresRecheck, useMigrateOne, useRetryFailed } from "@/lib/api/queries";
import { fmtId, fmtInt, fmtTime } from "@/lib/format";
import type { FailuresPage } from "@/lib/migration/failures";
import type { FailureCode } from "@/lib/migration/rules";

function href(code: string | null, page: number): string {
  const u = new URLSearchParams();
  if (code) u.set("code", code);
  if (page > 1) u.set("page", String(page));
  const s = u.toString();
  return s ? `/failures?${s}` : "/failures";
}

export function FailuresClient({
  initialData,
  query,
  badQuery,
  isAdmin,
}: {
  initialData: FailuresPage;
  query: { code: string | null; page: number; limit: number };
  badQuery: boolean;
  isAdmin: boolean;
}) {
  const q = useFailures(query, initialData);
  const d = q.data;
  const [results, setResults] = useState<Record<number, { ok: boolean; text: string }>>({});
  const [pendingId, setPendingId] = useState<number | null>(null);
  const retryOne = useMigrateOne({
    onMutate: (id) => setPendingId(id),
    onSuccess: (r, id) =>
      setResults((x) => ({
        ...x,
        [id]:
          r.outcome === "migrated"
            ? { ok: true, text: `✓ Migrated with ${fmtInt(r.pagos)} pagos` }
            : { ok: false, text: `✕ Still fails: ${[...new Set(r.failures.map((f) => f.code))].join(", ")}` },
      })),
    onError: (err, id) => setResults((x) => ({ ...x, [id]: { ok: false, text: `✕ Refused: ${errorMessage(err)}` } })),
    onSettled: () => setPendingId(null),
  });

  return (
    <div className="flex flex-col gap-6">
      <PageHeader
        title="Failures"
        description={
          <>
            Failed prestamos with every rule they failed when last taken: what fails, the field and the value as stored. Before a run, the{" "}
            <Link href="/failures/predicted" className="underline underline-offset-2">
              predicted failures
            </Link>{" "}
            list what the rules refuse now.
          </>
        }
        aside={
          <>
            <LiveStatus updatedAt={q.dataUpdatedAt} error={q.error} intervalMs={pollMs.failures} isFetching={q.isFetching} />
            <a href={paths.failuresExport({ code: query.code })} className={buttonClass("secondary", "sm")} download>
              Download CSV
            </a>
          </>
        }
      />
      {badQuery && <p className="-mt-3 text-sm text-amber-800">The address held an invalid code or page; showing every code.</p>}

      {isAdmin && d.totalFailed > 0 && <RetryAll totalFailed={d.totalFailed} />}

      <nav aria-label="Filter by failure code" className="flex flex-wrap gap-1.5">
        <FilterChip href={href(null, 1)} active={query.code === null}>
          All <span className="tabular opacity-70">{fmtInt(d.totalFailed)}</span>
        </FilterChip>
        {Object.entries(d.countsByCode).map(([code, c]) => (
          <FilterChip key={code} href={href(code, 1)} active={query.code === code}>
            <span title={code}>{FAILURE_CODE_TEXT[code as FailureCode].title}</span> <span className="tabular opacity-70">{fmtInt(c.prestamos)}</span>
          </FilterChip>
        ))}
      </nav>

      {query.code && (
        <p className="-mt-3 text-sm text-zinc-600">
          <span className="font-mono text-[12px] text-zinc-500">{query.code}</span> — {FAILURE_CODE_TEXT[query.code as FailureCode].rule}{" "}
          {FAILURE_CODE_TEXT[query.code as FailureCode].fix}
        </p>
      )}

      {d.items.length === 0 ? (
        <EmptyState
          title={query.code ? `No failed prestamo with ${query.code}` : "No failed prestamos"}
          description={
            query.code
              ? "No run recorded this failure. The predicted failures list what a run would refuse now."
              : "Every prestamo taken so far passed the rules. The predicted failures list what a run would refuse now."
          }
          action={
            <Link href={query.code ? `/failures/predicted?code=${query.code}` : "/failures/predicted"} className={buttonClass("secondary")}>
              Show the predicted failures
            </Link>
          }
        />
      ) : (
        <Table caption="Failed prestamos">
          <THead>
            <tr>
              <Th align="right" className="w-24">
                Prestamo
              </Th>
              <Th>Failing rules (code · field · value as stored)</Th>
              <Th className="w-52">Failed at</Th>
              {isAdmin && <Th className="w-64">Retry</Th>}
            </tr>
          </THead>
          <TBody>
            {d.items.map((f) => (
              <Tr key={f.legacyId}>
                <Td align="right" className="align-top">
                  <Link href={`/prestamos/${f.legacyId}`} className="font-medium text-zinc-900 underline underline-offset-2 hover:text-sky-700">
                    {fmtId(f.legacyId)}
                  </Link>
                </Td>
                <Td className="align-top">
                  <ul className="flex flex-col gap-1">
                    {f.rules.map((r, i) => (
                      <li key={i} className="flex flex-wrap items-baseline gap-2">
                        <Badge tone="danger">
                          <span title={`${r.code}: ${FAILURE_CODE_TEXT[r.code].rule}`}>{FAILURE_CODE_TEXT[r.code].title}</span>
                        </Badge>
                        <span className="font-mono text-[12px] text-zinc-600">
                          {r.pagoId !== null ? `pago ${r.pagoId} · ` : ""}
                          {r.field}
                        </span>
                        <span className="rounded bg-zinc-100 px-1">
                          <VisibleText value={r.value} inline />
                        </span>
                      </li>
                    ))}
                  </ul>
                </Td>
                <Td className="tabular align-top text-xs">
                  {fmtTime(f.failedAt)}
                  {f.runId !== null && (
                    <Link href={`/runs/${f.runId}`} className="block text-zinc-500 underline underline-offset-2">
                      run #{fmtId(f.runId)}
                    </Link>
                  )}
                </Td>
                {isAdmin && (
                  <Td className="align-top">
                    <Button size="sm" variant="secondary" onClick={() => retryOne.mutate(f.legacyId)} disabled={pendingId !== null}>
                      {pendingId === f.legacyId ? "Retrying…" : "Retry"}
                    </Button>
                    {results[f.legacyId] && (
                      <p role="status" className={cn("mt-1 text-xs", results[f.legacyId].ok ? "text-emerald-800" : "text-red-800")}>
                        {results[f.legacyId].text}
                      </p>
                    )}
                  </Td>
                )}
              </Tr>
            ))}
          </TBody>
        </Table>
      )}
      <Pager
        summary={`Page ${fmtInt(d.page)} of ${fmtInt(Math.max(1, Math.ceil(d.total / d.limit)))} · ${fmtInt(d.total)} failed ${query.code ? `with ${query.code}` : "in all"}`}
        prevHref={d.page > 1 ? href(query.code, d.page - 1) : null}
        nextHref={d.hasMore ? href(query.code, d.page + 1) : null}
      />

      <CodeLegend counts={d.countsByCode} active={query.code} />
    </div>
  );
}

/** Every failure code with the rule behind it and what fixing it means, so a reader needs no other page. */
function CodeLegend({ counts, active }: { counts: FailuresPage["countsByCode"]; active: string | null }) {
  return (
    <section aria-labelledby="codes" className="flex flex-col gap-2">
      <h2 id="codes" className="text-lg font-semibold text-zinc-900">
        What each code means
      </h2>
      <p className="-mt-1 text-sm text-zinc-500">
        The rule a prestamo failed, and what its legacy row needs. A fixed row is brought over by change capture, with no retry.
      </p>
      <Table caption="Failure codes">
        <THead>
          <tr>
            <Th className="w-64">Code</Th>
            <Th>Fails when</Th>
            <Th>To fix</Th>
            <Th align="right" className="w-24">
              Failed
            </Th>
          </tr>
        </THead>
        <TBody>
          {(Object.keys(FAILURE_CODE_TEXT) as FailureCode[]).map((code) => (
            <Tr key={code} className={cn(active === code && "bg-sky-50/60")}>
              <Td className="align-top">
                <span className="block font-medium text-zinc-900">{FAILURE_CODE_TEXT[code].title}</span>
                <span className="font-mono text-[12px] text-zinc-500">{code}</span>
              </Td>
              <Td className="align-top text-zinc-700">{FAILURE_CODE_TEXT[code].rule}</Td>
              <Td className="align-top text-zinc-700">{FAILURE_CODE_TEXT[code].fix}</Td>
              <Td align="right" className="tabular align-top">
                {counts[code].prestamos > 0 ? (
                  <Link href={href(code, 1)} className="underline underline-offset-2 hover:text-sky-700">
                    {fmtInt(counts[code].prestamos)}
                  </Link>
                ) : (
                  <span className="text-zinc-400">0</span>
                )}
              </Td>
            </Tr>
          ))}
        </TBody>
      </Table>
    </section>
  );
}

/**
 * Retry all: first says how many of the failed still fail their rules now (a retry fails those
 * again), and what fixing them means, then starts the retry run on a second click.
 */
function RetryAll({ totalFailed }: { totalFailed: number }) {
  const check = useFailuresRecheck();
  const retryAll = useRetryFailed();
  const r = check.data;
  return (
    <div className="flex flex-col gap-3 rounded-xl border border-zinc-200 bg-white px-5 py-3 shadow-sm" data-testid="retry-all">
      <div className="flex flex-wrap items-center gap-3">
        <Button variant="secondary" onClick={() => check.mutate()} disabled={check.isPending || retryAll.isPending}>
          {check.isPending ? "Checking the rules…" : `Retry all ${fmtInt(totalFailed)} failed…`}
        </Button>
        <span className="text-sm text-zinc-500">A failed prestamo fails again until its legacy data is fixed. This first checks how many still fail now.</span>
      </div>
      {check.isError && (
        <p role="alert" className="text-sm text-red-800">
          ✕ The check failed: {errorMessage(check.error)}
        </p>
      )}
      {r && !retryAll.isSuccess && (
        <div
          className={cn(
            "rounded-lg px-3 py-3 text-sm ring-1 ring-inset",
            r.stillFailing > 0 ? "bg-amber-50 text-amber-950 ring-amber-200" : "bg-emerald-50 text-emerald-900 ring-emerald-200",
          )}
        >
          <p data-testid="retry-recheck">
            {r.stillFailing > 0
              ? `${fmtInt(r.stillFailing)} of the ${fmtInt(r.checked)} failed prestamos checked${r.checked < r.failed ? ` (the first ${fmtInt(r.checked)} of ${fmtInt(r.failed)})` : ""} still fail their rules now: a retry marks them failed again.`
              : `All ${fmtInt(r.checked)} failed prestamos checked pass their rules now: a retry migrates them.`}
          </p>
          {r.stillFailing > 0 && (
            <p className="mt-1">
              Fixing means correcting their legacy rows in the application (each code below says what the rule wants). Change capture then brings every fixed
              prestamo over by itself, with no retry.
            </p>
          )}
          <div className="mt-2 flex gap-2">
            <Button size="sm" variant={r.stillFailing > 0 ? "danger" : "primary"} onClick={() => retryAll.mutate(undefined)} disabled={retryAll.isPending}>
              {retryAll.isPending ? "Starting…" : r.stillFailing > 0 ? "Retry all anyway" : "Retry all"}
            </Button>
            <Button size="sm" variant="ghost" onClick={() => check.reset()}>
              Cancel
            </Button>
          </div>
        </div>
      )}
      {retryAll.isSuccess && (
        <span role="status" className="text-sm text-emerald-800">
          ✓ Run #{fmtId(retryAll.data.run.id)} started.{" "}
          <Link href="/migration" className="underline underline-offset-2">
            Follow it
          </Link>
        </span>
      )}
      {retryAll.isError && (
        <span role="alert" className="text-sm text-red-800">
          ✕ Refused: {errorMessage(retryAll.error)}
        </span>
      )}
    </div>
  );
}
