"use client";

import Link from "next/link";
import { useState } from "react";
import { AuditDetails } from "@/components/console/audit-details";
import { LiveStatus } from "@/components/console/live-status";
import { PageHeader } from "@/components/console/page-header";
import { StateBadge } from "@/components/console/state-badge";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { cn } from "@/components/ui/cn";
import { Table, TBody, Td, Th, THead, Tr } from "@/components/ui/table";
import { errorMessage } from "@/lib/api/client";
import { pollMs, useAuditOf, useMigrateOne, usePrestamoDiff, useRollbackOne } from "@/lib/api/queries";
import type { AuditPage } from "@/lib/audit-query";
import { fmtCents, fmtInt, fmtTime } from "@/lib/format";
import type { DiffLine, DiffValue, PagoDiff, PrestamoDiff } from "@/lib/migration/prestamo-diff";
import { PlainValue, VisibleText, WhitespaceLegend } from "@/components/console/visible-text";

const CENT_COLUMNS = new Set(["monto_cents", "total_pagado_cents", "saldo_cents"]);

export function PrestamoClient({
  id,
  initialDiff,
  initialAudit,
  isAdmin,
}: {
  id: number;
  initialDiff: PrestamoDiff;
  initialAudit: AuditPage;
  isAdmin: boolean;
}) {
  const diffQ = usePrestamoDiff(id, initialDiff);
  const target = `prestamo:${id}`;
  const auditQ = useAuditOf(target, initialAudit);
  const d = diffQ.data;
  // Not migrated and no new row: nothing to compare yet, which is not a mismatch.
  const compared = d.newExists || d.state === "migrated";
  const moneda = (d.lines.find((l) => l.column === "moneda")?.expected as string | null) ?? null;
  // The legacy fields the rules refuse now, keyed as the diff lines name their sources.
  const failing = new Set(d.failingNow.map((f) => (f.pagoId === null ? f.field : `pagos_prestamo[${f.pagoId}].${f.field}`)));

  return (
    <div className="flex flex-col gap-6">
      <nav aria-label="Breadcrumb" className="text-sm text-zinc-500">
        <Link href="/prestamos" className="underline-offset-2 hover:underline">
          Prestamos
        </Link>{" "}
        / <span className="tabular text-zinc-900">{id}</span>
      </nav>
      <PageHeader
        title={
          <span className="flex items-center gap-3">
            Prestamo <span className="tabular">{fmtInt(id)}</span>
            <StateBadge state={d.state} stale={d.stale} />
          </span>
        }
        description="Each column of the new row against its rule applied to the legacy row as it is now, and the same for every pago."
        aside={<LiveStatus updatedAt={diffQ.dataUpdatedAt} error={diffQ.error} intervalMs={pollMs.prestamoDiff} isFetching={diffQ.isFetching} />}
      />

      <Overview d={d} />

      {isAdmin && <Actions id={id} d={d} />}

      {(d.failingNow.length > 0 || d.recordedFailures.length > 0) && <Failures d={d} />}

      <Card
        title="Prestamo: field by field"
        description={d.newExists ? `New row prestamos_new.id ${d.newId}` : "No row in prestamos_new: the new value column is empty."}
        actions={compared ? <AgreeBadge agree={d.agree} label={d.agree ? "Everything agrees" : "Differences"} /> : <NotComparedBadge />}
      >
        <WhitespaceLegend />
      </Card>
      <DiffTable lines={d.lines} moneda={moneda} compared={compared} failing={failing} caption="Field-level diff of the prestamo" />

      <section aria-labelledby="pagos" className="flex flex-col gap-2">
        <h2 id="pagos" className="text-lg font-semibold text-zinc-900">
          Pagos <span className="tabular text-sm font-normal text-zinc-500">({fmtInt(d.pagos.length)})</span>
        </h2>
        {d.pagos.length === 0 ? (
          <p className="rounded-xl border border-dashed border-zinc-300 bg-white px-5 py-6 text-center text-sm text-zinc-500">
            No pagos in legacy under this prestamo, and none under its new row.
          </p>
        ) : (
          d.pagos.map((g) => <PagoBlock key={g.legacyPagoId} g={g} moneda={moneda} compared={compared} failing={failing} />)
        )}
      </section>

      <AuditHistory page={auditQ.data} error={auditQ.error} target={target} />
    </div>
  );
}

function AgreeBadge({ agree, label }: { agree: boolean; label?: string }) {
  return (
    <Badge tone={agree ? "success" : "danger"}>
      <span aria-hidden="true" className="mr-1">
        {agree ? "✓" : "✕"}
      </span>
      {label ?? (agree ? "Agrees" : "Differs")}
    </Badge>
  );
}

function NotComparedBadge() {
  return (
    <Badge tone="neutral">
      <span aria-hidden="true" className="mr-1">
        –
      </span>
      Not in the new tables
    </Badge>
  );
}

function Overview({ d }: { d: PrestamoDiff }) {
  const items: [string, React.ReactNode][] = [
    ["Legacy row", d.legacyExists ? "present" : "deleted from legacy"],
    ["New row", d.newExists ? `prestamos_new.id ${d.newId}` : "none"],
    ["State since", fmtTime(d.stateUpdatedAt)],
    ["Run", d.runId === null ? "—" : `#${d.runId}`],
    ["Changed since written", d.stale ? "yes: waiting for a sync" : "no"],
    ["Rules failing now", d.failingNow.length ? `${d.failingNow.length}` : "none"],
  ];
  return (
    <dl className="grid grid-cols-3 gap-x-6 gap-y-3 rounded-xl border border-zinc-200 bg-white px-5 py-4 shadow-sm xl:grid-cols-6">
      {items.map(([k, v]) => (
        <div key={k}>
          <dt className="text-xs font-medium text-zinc-500">{k}</dt>
          <dd className="tabular mt-0.5 text-sm text-zinc-900">{v}</dd>
        </div>
      ))}
    </dl>
  );
}

function Actions({ id, d }: { id: number; d: PrestamoDiff }) {
  const [confirming, setConfirming] = useState(false);
  const single = useMigrateOne();
  const rollback = useRollbackOne({ onSettled: () => setConfirming(false) });
  const last = [single, rollback].filter((m) => m.submittedAt > 0).sort((a, b) => b.submittedAt - a.submittedAt)[0];
  const verb = d.state === "migrated" ? "Re-sync" : "Migrate";
  const stillFails = d.failingNow.length > 0;

  return (
    <section aria-label="Actions" className="rounded-xl border border-zinc-200 bg-white px-5 py-4 shadow-sm">
      <div className="flex flex-wrap items-center gap-3">
        <Button onClick={() => single.mutate(id)} disabled={single.isPending || !d.legacyExists || (stillFails && d.state !== "migrated")}>
          {single.isPending ? `${verb === "Re-sync" ? "Re-syncing" : "Migrating"}…` : verb}
        </Button>
        {!confirming ? (
          <Button variant="secondary" onClick={() => setConfirming(true)} disabled={rollback.isPending || d.state !== "migrated"}>
            Roll back…
          </Button>
        ) : (
          <span className="flex items-center gap-2 rounded-lg bg-amber-50 px-3 py-1.5 text-sm text-amber-900 ring-1 ring-inset ring-amber-200">
            Remove it and its pagos from the new tables?
            <Button size="sm" variant="danger" onClick={() => rollback.mutate(id)} disabled={rollback.isPending} autoFocus>
              {rollback.isPending ? "Rolling back…" : "Yes, roll back"}
            </Button>
            <Button size="sm" variant="ghost" onClick={() => setConfirming(false)}>
              Cancel
            </Button>
          </span>
        )}
        <span className="text-sm text-zinc-500">
          {!d.legacyExists
            ? "The legacy row is gone: nothing to migrate."
            : stillFails
              ? `It fails ${d.failingNow.length === 1 ? "1 rule" : `${d.failingNow.length} rules`} now (below): ${verb.toLowerCase()} would mark it failed again. Fix its legacy row first; change capture then brings it over by itself.`
              : `${verb} writes it from its legacy rows now. ${d.state === "migrated" ? "Roll back removes it and its pagos from the new tables; runs leave it out until a retry." : "Only a migrated prestamo can be rolled back."}`}
        </span>
      </div>
      {last === single && single.isSuccess && (
        <p
          role="status"
          className={cn(
            "mt-3 rounded-lg px-3 py-2 text-sm ring-1 ring-inset",
            single.data.outcome === "migrated" ? "bg-emerald-50 text-emerald-800 ring-emerald-200" : "bg-red-50 text-red-800 ring-red-200",
          )}
        >
          <span aria-hidden="true">{single.data.outcome === "migrated" ? "✓ " : "✕ "}</span>
          {single.data.outcome === "migrated"
            ? `Migrated with ${fmtInt(single.data.pagos)} pagos.`
            : `Failed: ${[...new Set(single.data.failures.map((f) => f.code))].join(", ")}. It is marked failed and kept out of the new tables.`}
        </p>
      )}
      {last === rollback && rollback.isSuccess && (
        <p role="status" className="mt-3 rounded-lg bg-emerald-50 px-3 py-2 text-sm text-emerald-800 ring-1 ring-inset ring-emerald-200">
          <span aria-hidden="true">✓ </span>Rolled back: {fmtInt(rollback.data.pagosRemoved)} pagos removed from the new table.
        </p>
      )}
      {last?.isError && (
        <p role="alert" className="mt-3 rounded-lg bg-red-50 px-3 py-2 text-sm text-red-800 ring-1 ring-inset ring-red-200">
          <span aria-hidden="true">✕ </span>Refused: {errorMessage(last.error)}
        </p>
      )}
    </section>
  );
}

function Failures({ d }: { d: PrestamoDiff }) {
  return (
    <div className="grid grid-cols-1 gap-4 lg:grid-cols-2">
      <Card title="Rules failing now" description="The legacy rows as they are now, against the rules.">
        {d.failingNow.length === 0 ? <p className="text-sm text-zinc-500">None: the legacy rows pass every rule.</p> : <RuleList rules={d.failingNow} />}
      </Card>
      <Card title="Recorded failures" description="What migration_failures holds from the last time it was taken.">
        {d.recordedFailures.length === 0 ? <p className="text-sm text-zinc-500">None recorded.</p> : <RuleList rules={d.recordedFailures} />}
      </Card>
    </div>
  );
}

function RuleList({ rules }: { rules: { code: string; field: string; value: string | null; pagoId: number | null; recordedAt?: string | null }[] }) {
  return (
    <ul className="flex flex-col divide-y divide-zinc-100 text-sm">
      {rules.map((r, i) => (
        <li key={i} className="flex items-baseline gap-3 py-1.5">
          <Badge tone="danger">{r.code}</Badge>
          <span className="font-mono text-[13px] text-zinc-700">
            {r.pagoId !== null ? `pago ${r.pagoId}.` : ""}
            {r.field}
          </span>
          <span className="min-w-0 flex-1">
            <VisibleText value={r.value} />
          </span>
          {r.recordedAt && <span className="tabular text-xs text-zinc-500">{fmtTime(r.recordedAt)}</span>}
        </li>
      ))}
    </ul>
  );
}

function Value({ v, column, moneda }: { v: DiffValue; column: string; moneda: string | null }) {
  if (CENT_COLUMNS.has(column) && v !== null && /^-?\d+$/.test(String(v)))
    return (
      <span className="flex flex-col">
        <PlainValue value={v} />
        <span className="tabular text-xs text-zinc-500">{fmtCents(v as number | string, moneda)}</span>
      </span>
    );
  // What the rules made of the legacy value: the text itself, no glyphs (those are for the value as stored).
  return <PlainValue value={v} />;
}

function DiffTable({
  lines,
  moneda,
  caption,
  compared,
  failing,
  className = "-mt-3",
}: {
  lines: DiffLine[];
  moneda: string | null;
  caption: string;
  compared: boolean;
  failing: ReadonlySet<string>;
  className?: string;
}) {
  return (
    <Table caption={caption} className={className}>
      <THead>
        <tr>
          <Th className="w-44">Column</Th>
          <Th>Legacy, as stored</Th>
          <Th className="w-48">Expected by the rules</Th>
          <Th className="w-48">In the new table</Th>
          <Th className="w-28">Agree</Th>
        </tr>
      </THead>
      <TBody>
        {lines.map((l) => {
          const fails = l.legacy.some((s) => failing.has(s.field));
          return (
            <Tr key={l.column} className={cn(((compared && !l.agree) || fails) && "bg-red-50/70 hover:bg-red-50")}>
              <Td className="align-top">
                <span className="font-mono text-[13px] text-zinc-900">{l.column}</span>
                <span className="block text-xs text-zinc-500">{l.legacyField}</span>
                {fails && (
                  <Badge tone="danger" className="mt-1">
                    fails a rule
                  </Badge>
                )}
              </Td>
              <Td className="align-top">
                {l.legacy.length === 0 ? (
                  <span className="text-xs italic text-zinc-400">no legacy value</span>
                ) : (
                  <ul className="flex flex-col gap-1">
                    {l.legacy.map((s) => (
                      <li key={s.field} className="flex flex-col items-start">
                        {/* One source is the field the Column cell already names: its value gets the whole width. */}
                        {l.legacy.length > 1 && (
                          <span className="max-w-full truncate text-xs text-zinc-500" title={s.field}>
                            {s.field.replace(/^pagos_prestamo\[(\d+)\]\./, "pago $1 · ")}
                          </span>
                        )}
                        <span className={cn("rounded px-1", failing.has(s.field) ? "bg-red-100 ring-1 ring-inset ring-red-300" : "bg-zinc-100")}>
                          <VisibleText value={s.value} />
                        </span>
                      </li>
                    ))}
                  </ul>
                )}
              </Td>
              <Td className="align-top">
                <Value v={l.expected} column={l.column} moneda={moneda} />
              </Td>
              <Td className="align-top">
                <Value v={l.actual} column={l.column} moneda={moneda} />
              </Td>
              <Td className="align-top">{compared ? <AgreeBadge agree={l.agree} /> : <span className="text-xs text-zinc-500">not migrated</span>}</Td>
            </Tr>
          );
        })}
      </TBody>
    </Table>
  );
}

const PRESENCE: Record<PagoDiff["presence"], string> = { both: "in legacy and new", legacy_only: "legacy only", new_only: "new table only" };

function PagoBlock({ g, moneda, compared, failing }: { g: PagoDiff; moneda: string | null; compared: boolean; failing: ReadonlySet<string> }) {
  // Disagreeing or failing pagos open by default; agreeing (or not yet compared) ones fold to one line.
  return (
    <details className="group rounded-xl border border-zinc-200 bg-white shadow-sm" open={(compared && !g.agree) || g.failing.length > 0}>
      <summary className="flex cursor-pointer list-none flex-wrap items-center gap-3 rounded-xl px-4 py-2.5 hover:bg-zinc-50 focus-visible:outline-2 focus-visible:outline-zinc-900">
        <span aria-hidden="true" className="inline-block w-3 text-zinc-400 transition-transform group-open:rotate-90">
          ▸
        </span>
        <h3 className="text-sm font-semibold text-zinc-900">
          Pago <span className="tabular">{g.legacyPagoId}</span>
        </h3>
        <Badge tone={g.presence === "both" ? "neutral" : "warning"}>{PRESENCE[g.presence]}</Badge>
        {compared ? <AgreeBadge agree={g.agree} /> : <NotComparedBadge />}
        {g.note && <span className="text-sm text-zinc-600">{g.note}</span>}
        {g.failing.map((f, i) => (
          <span key={i} className="text-sm text-red-800">
            <Badge tone="danger">{f.code}</Badge> {f.field} = <VisibleText value={f.value} />
          </span>
        ))}
        <span className="ml-auto text-xs text-zinc-500">
          {g.lines.map((l) => `${l.column} ${l.expected === null ? "NULL" : String(l.expected)}`).join(" · ")}
        </span>
      </summary>
      <div className="px-4 pb-4">
        <DiffTable
          lines={g.lines}
          moneda={moneda}
          compared={compared}
          failing={failing}
          caption={`Field-level diff of pago ${g.legacyPagoId}`}
          className="mt-0"
        />
      </div>
    </details>
  );
}

function AuditHistory({ page, error, target }: { page: AuditPage; error: unknown; target: string }) {
  return (
    <section aria-labelledby="history" className="flex flex-col gap-3">
      <div className="flex items-baseline justify-between">
        <h2 id="history" className="text-lg font-semibold text-zinc-900">
          Audit history
        </h2>
        <Link href={`/audit?target=${encodeURIComponent(target)}`} className="text-sm text-zinc-600 underline underline-offset-2 hover:text-zinc-900">
          Open in the audit log
        </Link>
      </div>
      {error ? <p className="text-sm text-amber-800">Could not refresh the history: {errorMessage(error)}</p> : null}
      {page.items.length === 0 ? (
        <p className="rounded-xl border border-dashed border-zinc-300 bg-white px-5 py-6 text-center text-sm text-zinc-500">
          Nobody has acted on this prestamo yet (runs are audited per run, not per prestamo).
        </p>
      ) : (
        <Table caption="Audit history of this prestamo">
          <THead>
            <tr>
              <Th className="w-52">When</Th>
              <Th>Who</Th>
              <Th>Action</Th>
              <Th>Outcome</Th>
              <Th>Details</Th>
            </tr>
          </THead>
          <TBody>
            {page.items.map((e) => (
              <Tr key={e.id}>
                <Td className="tabular whitespace-nowrap">{fmtTime(e.at)}</Td>
                <Td>{e.actor}</Td>
                <Td className="font-mono text-[13px]">{e.action}</Td>
                <Td>
                  <Badge className="whitespace-nowrap" tone={e.outcome === "ok" ? "success" : e.outcome === "refused" ? "warning" : "danger"}>
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
      {page.hasMore && (
        <p className="text-sm text-zinc-500">
          Showing the latest {page.items.length} of {fmtInt(page.total)} entries.
        </p>
      )}
    </section>
  );
}
