"use client";

import Link from "next/link";
import { JobFreshness } from "@/components/console/job-freshness";
import { LiveStatus } from "@/components/console/live-status";
import { PageHeader } from "@/components/console/page-header";
import { Badge } from "@/components/ui/badge";
import { EmptyState } from "@/components/ui/empty-state";
import { Card } from "@/components/ui/card";
import { Stat } from "@/components/ui/stat";
import { Table, TBody, Td, Th, THead, Tr } from "@/components/ui/table";
import { paths, pollMs, useVerify, type VerifyResponse } from "@/lib/api/queries";
import { FAILURE_CODE_TEXT } from "@/components/console/failure-codes";
import { fmtDuration, fmtInt, fmtPct, fmtTime } from "@/lib/format";
import type { VerifyReport } from "@/lib/migration/verify";

export function VerifyClient({ initialData }: { initialData: VerifyResponse }) {
  const q = useVerify(initialData);
  return (
    <div className="flex flex-col gap-6">
      <PageHeader
        title="Verify"
        description="The system before and after: what the legacy tables hold, what the rules would refuse (a dry run over the whole table that writes nothing), and the state of the new tables and change capture. It reads every legacy prestamo, so it runs in the background, one at a time."
        aside={<LiveStatus updatedAt={q.dataUpdatedAt} error={q.error} intervalMs={pollMs.verify} isFetching={q.isFetching} />}
      />
      <JobFreshness f={q.data.freshness} askPath={paths.verify(true)} onAsked={q.refetch} what="verify report" />
      {q.data.report ? (
        <VerifyBody r={q.data.report} />
      ) : (
        <EmptyState
          title={q.data.freshness.refreshing ? "The first verify report is being computed" : "No verify report yet"}
          description="Ask for one with “Check again”: the dry run goes over every legacy prestamo in the background, and this page follows it."
        />
      )}
    </div>
  );
}

function VerifyBody({ r }: { r: VerifyReport }) {
  const codes = (Object.entries(r.dryRun.byCode) as [keyof typeof FAILURE_CODE_TEXT, number][]).map(([code, prestamos]) => ({ code, prestamos }));
  const invalidPct = r.dryRun.checked ? (r.dryRun.invalid / r.dryRun.checked) * 100 : null;

  return (
    <>
      <dl className="grid grid-cols-2 gap-4 xl:grid-cols-4" aria-label="Legacy counts">
        <Stat label="Legacy prestamos" value={fmtInt(r.legacy.prestamos)} hint={`${fmtInt(r.dryRun.valid)} valid by the rules`} />
        <Stat label="Legacy pagos" value={fmtInt(r.legacy.pagos)} hint={`${fmtInt(r.dryRun.pagosOfValid)} would be migrated`} />
        <Stat
          label="Invalid prestamos"
          value={fmtInt(r.dryRun.invalid)}
          tone={r.dryRun.invalid > 0 ? "danger" : "success"}
          hint={invalidPct === null ? "nothing to check" : `${fmtPct(invalidPct)} · ${fmtInt(r.dryRun.failingRules)} failing rules`}
        />
        <Stat
          label="Orphan pagos"
          value={fmtInt(r.legacy.orphanPagos)}
          tone={r.legacy.orphanPagos > 0 ? "warning" : "neutral"}
          hint={`${fmtInt(r.legacy.orphanPagosNull)} without prestamo_id · ${fmtInt(r.legacy.orphanPagosDangling)} naming none`}
        />
      </dl>

      {r.dryRun.invalid === 0 ? (
        <Card title="Invalid prestamos by failure code">
          <p className="py-6 text-center text-sm text-zinc-500">
            <span aria-hidden="true">✓ </span>Every legacy prestamo passes the rules.
          </p>
        </Card>
      ) : (
        <Table caption="Invalid prestamos by failure code: a run would mark these failed">
          <THead>
            <tr>
              <Th>Why a run would refuse them</Th>
              <Th align="right">Prestamos</Th>
              <Th align="right">Share of the {fmtInt(r.dryRun.checked)} checked</Th>
              <Th>Before a run</Th>
            </tr>
          </THead>
          <TBody>
            {codes.map((c) => (
              <Tr key={c.code}>
                <Td>
                  <span className="font-medium text-zinc-900" title={FAILURE_CODE_TEXT[c.code].rule}>
                    {FAILURE_CODE_TEXT[c.code].title}
                  </span>
                  <span className="ml-2 font-mono text-[12px] text-zinc-500">{c.code}</span>
                </Td>
                <Td align="right">{fmtInt(c.prestamos)}</Td>
                <Td align="right">{r.dryRun.checked ? fmtPct((c.prestamos / r.dryRun.checked) * 100) : "—"}</Td>
                <Td>
                  {c.prestamos > 0 ? (
                    <Link href={`/failures/predicted?code=${c.code}`} className="underline underline-offset-2 hover:text-sky-700">
                      List the {fmtInt(c.prestamos)}
                    </Link>
                  ) : (
                    "—"
                  )}
                </Td>
              </Tr>
            ))}
          </TBody>
        </Table>
      )}
      <p className="-mt-3 text-xs text-zinc-500">A prestamo failing two codes counts under each.</p>

      <div className="grid grid-cols-1 gap-4 lg:grid-cols-3">
        <Card title="New tables and states">
          <dl className="grid grid-cols-[1fr_auto] gap-y-1 text-sm">
            <dt className="text-zinc-500">prestamos_new</dt>
            <dd className="tabular text-right text-zinc-900">{fmtInt(r.newTables.prestamos)}</dd>
            <dt className="text-zinc-500">pagos_prestamo_new</dt>
            <dd className="tabular text-right text-zinc-900">{fmtInt(r.newTables.pagos)}</dd>
            <dt className="mt-2 text-zinc-500">Pending</dt>
            <dd className="tabular mt-2 text-right text-zinc-900">{fmtInt(r.states.pending)}</dd>
            <dt className="text-zinc-500">Migrated</dt>
            <dd className="tabular text-right text-zinc-900">{fmtInt(r.states.migrated)}</dd>
            <dt className="text-zinc-500">Failed</dt>
            <dd className="tabular text-right text-zinc-900">{fmtInt(r.states.failed)}</dd>
            <dt className="text-zinc-500">Rolled back</dt>
            <dd className="tabular text-right text-zinc-900">{fmtInt(r.states.rolledBack)}</dd>
          </dl>
        </Card>
        <Card
          title="Change capture"
          actions={
            <Badge tone={r.capture.enabled ? "success" : "neutral"}>
              <span aria-hidden="true" className="mr-1">
                {r.capture.enabled ? "●" : "○"}
              </span>
              {r.capture.enabled ? "On" : "Off"}
            </Badge>
          }
        >
          <ul className="flex flex-col gap-1 text-sm">
            {r.capture.triggers.map((t) => (
              <li key={t.name} className="flex items-center justify-between gap-2">
                <span className="min-w-0 truncate font-mono text-[12px] text-zinc-700" title={`${t.table}.${t.name}`}>
                  {t.name}
                </span>
                <span className={t.present && t.enabled ? "shrink-0 whitespace-nowrap text-emerald-700" : "shrink-0 whitespace-nowrap text-zinc-500"}>
                  {t.present ? (t.enabled ? "✓ enabled" : "disabled") : "absent"}
                </span>
              </li>
            ))}
          </ul>
          <dl className="mt-3 grid grid-cols-[1fr_auto] gap-y-1 border-t border-zinc-100 pt-3 text-sm">
            <dt className="text-zinc-500">Backlog</dt>
            <dd className="tabular text-right text-zinc-900">{fmtInt(r.capture.backlog)} changes</dd>
            <dt className="text-zinc-500">Oldest waiting</dt>
            <dd className="tabular text-right text-zinc-900">{r.capture.oldestAgeSeconds === null ? "—" : fmtDuration(r.capture.oldestAgeSeconds)}</dd>
          </dl>
        </Card>
        <Card title="Run and database">
          <dl className="grid grid-cols-[auto_1fr] gap-x-4 gap-y-1 text-sm">
            <dt className="text-zinc-500">Active run</dt>
            <dd className="text-right text-zinc-900">
              {r.activeRun ? (
                <Link href="/migration" className="underline underline-offset-2">
                  #{r.activeRun.id} {r.activeRun.status}, {fmtInt(r.activeRun.processed)} processed
                </Link>
              ) : (
                "none"
              )}
            </dd>
            <dt className="text-zinc-500">Driver</dt>
            <dd className="text-right text-zinc-900">{r.database.driver === "pglite" ? "embedded (PGlite)" : "PostgreSQL"}</dd>
            <dt className="text-zinc-500">Version</dt>
            {/* version() names the compiler and platform too: the product and its number, the rest on hover. */}
            <dd className="text-right text-zinc-900" title={r.database.version}>
              {/^\S+ [\d.]+/.exec(r.database.version)?.[0] ?? r.database.version}
            </dd>
            <dt className="text-zinc-500">Dry run</dt>
            <dd className="tabular text-right text-zinc-900">
              {fmtInt(r.dryRun.checked)} in {fmtInt(r.dryRun.durationMs)} ms ({fmtInt(r.dryRun.chunks)} chunks)
            </dd>
            <dt className="text-zinc-500">Checked</dt>
            <dd className="tabular text-right text-zinc-900">{fmtTime(r.checkedAt)}</dd>
          </dl>
        </Card>
      </div>
    </>
  );
}
