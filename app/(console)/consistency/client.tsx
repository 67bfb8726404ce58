"use client";

import Link from "next/link";
import { JobFreshness } from "@/components/console/job-freshness";
import { LiveStatus } from "@/components/console/live-status";
import { PageHeader } from "@/components/console/page-header";
import { Badge } from "@/components/ui/badge";
import { buttonClass } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { cn } from "@/components/ui/cn";
import { EmptyState } from "@/components/ui/empty-state";
import { Stat } from "@/components/ui/stat";
import { FilterChip, Pager } from "@/components/ui/pager";
import { Table, TBody, Td, Th, THead, Tr } from "@/components/ui/table";
import { paths, pollMs, useConsistency } from "@/lib/api/queries";
import type { MismatchCategory } from "@/lib/migration/vocabulary";
import { fmtCents, fmtId, fmtInt, fmtPct, fmtTime } from "@/lib/format";
import type { ConsistencyResponse } from "@/lib/http/reads";
import type { ConsistencySummary } from "@/lib/migration/consistency";

export type { ConsistencyResponse };

function SummaryCards({ s }: { s: ConsistencySummary }) {
  const t = s.paymentTotals;
  return (
    <>
      {s.migrated === 0 ? (
        <EmptyState
          title="Nothing is migrated yet"
          description="Consistency compares migrated prestamos with their legacy rows. Start a run, or migrate one prestamo, and come back."
          action={
            <Link href="/migration" className={buttonClass("secondary")}>
              Open the migration
            </Link>
          }
        />
      ) : (
        <dl className="grid grid-cols-2 gap-4 xl:grid-cols-4">
          <Stat
            label="Data matching"
            value={fmtPct(s.fieldMatch.matchingPct)}
            tone={s.fieldMatch.mismatching > 0 ? "danger" : "success"}
            hint={`${fmtInt(s.fieldMatch.matching)} of ${fmtInt(s.migrated)} migrated match`}
          />
          <Stat
            label="Payment accuracy"
            value={fmtPct(t.accuracyPct)}
            tone={t.differenceCents !== "0" ? "danger" : "success"}
            hint={`${fmtInt(t.prestamosDiffering)} prestamos differ in count or total`}
          />
          <Stat
            label="Status mismatches"
            value={fmtInt(s.status.mismatching)}
            tone={s.status.mismatching > 0 ? "danger" : "success"}
            hint="estado vs the mapped legacy estado"
          />
          <Stat
            label="Now fail the rules"
            value={fmtInt(s.nowFails)}
            tone={s.nowFails > 0 ? "warning" : "neutral"}
            hint="migrated, but the legacy row changed"
          />
        </dl>
      )}

      <div className="grid grid-cols-1 gap-4 lg:grid-cols-3">
        <Card title="Payment totals" description="Pagos not anulado of the migrated prestamos, in cents, summed across currencies.">
          <dl className="grid grid-cols-[1fr_auto] gap-y-1 text-sm">
            <dt className="text-zinc-500">Legacy total</dt>
            <dd className="tabular text-right text-zinc-900">{fmtCents(t.legacyTotalCents, null)}</dd>
            <dt className="text-zinc-500">New total</dt>
            <dd className="tabular text-right text-zinc-900">{fmtCents(t.newTotalCents, null)}</dd>
            <dt className="text-zinc-500">Difference</dt>
            <dd className={cn("tabular text-right", t.differenceCents === "0" ? "text-zinc-900" : "font-medium text-red-700")}>
              {fmtCents(t.differenceCents, null)}
            </dd>
            <dt className="mt-2 text-zinc-500">Legacy pagos (live)</dt>
            <dd className="tabular mt-2 text-right text-zinc-900">
              {fmtInt(t.legacyPagos)} ({fmtInt(t.legacyLivePagos)})
            </dd>
            <dt className="text-zinc-500">New pagos (live)</dt>
            <dd className="tabular text-right text-zinc-900">
              {fmtInt(t.newPagos)} ({fmtInt(t.newLivePagos)})
            </dd>
          </dl>
        </Card>
        <Card title="Relationships" description="Errors: each one is a row in the wrong place.">
          <dl className="grid grid-cols-[1fr_auto] gap-y-1 text-sm">
            {(
              [
                ["Orphan legacy pagos", s.relationships.orphanLegacyPagos],
                ["Pagos missing in the new table", s.relationships.missingPagos],
                ["New pagos under the wrong prestamo", s.relationships.wrongPrestamoPagos],
                ["New prestamos without legacy row", s.relationships.orphanNewPrestamos],
                ["New pagos without legacy row", s.relationships.orphanNewPagos],
                ["Migrated without new row", s.relationships.missingNewPrestamos],
                ["New rows not marked migrated", s.relationships.untrackedNewPrestamos],
              ] as const
            ).map(([label, n]) => (
              <div key={label} className="contents">
                <dt className="text-zinc-500">{label}</dt>
                <dd className={cn("tabular text-right", n > 0 ? "font-medium text-red-700" : "text-zinc-900")}>{fmtInt(n)}</dd>
              </div>
            ))}
          </dl>
        </Card>
        <Card title="Business warnings" description="Counted and listed, never failures.">
          <dl className="grid grid-cols-[1fr_auto] gap-y-1 text-sm">
            {Object.entries(s.status.warnings).map(([code, n]) => (
              <div key={code} className="contents">
                <dt>
                  <Link href={href(`warning:${code}`, 1)} className="font-mono text-[13px] text-zinc-700 underline underline-offset-2 hover:text-sky-700">
                    {code}
                  </Link>
                </dt>
                <dd className={cn("tabular text-right", n > 0 ? "font-medium text-amber-700" : "text-zinc-900")}>
                  {n > 0 && <span aria-hidden="true">⚠ </span>}
                  {fmtInt(n)}
                </dd>
              </div>
            ))}
          </dl>
        </Card>
      </div>
    </>
  );
}

/** Orphan pagos are errors the mismatch list cannot show among prestamos (they have none): said first, with a way to them. */
function OrphansCallout({ s }: { s: ConsistencySummary }) {
  const r = s.relationships;
  return (
    <section
      aria-labelledby="orphans"
      className="flex flex-wrap items-center gap-3 rounded-xl bg-red-50 px-5 py-3 text-sm text-red-900 ring-1 ring-inset ring-red-200"
    >
      <h2 id="orphans" className="font-semibold">
        <span aria-hidden="true">✕ </span>
        {fmtInt(r.orphanLegacyPagos)} orphan legacy {r.orphanLegacyPagos === 1 ? "pago" : "pagos"}
      </h2>
      <span>
        {fmtInt(r.orphanLegacyPagosNullPrestamo)} with no prestamo_id, {fmtInt(r.orphanLegacyPagosDangling)} naming a prestamo that does not exist: they are
        never migrated, and their money is in no prestamo&apos;s total.
      </span>
      <Link href={href("orphan_legacy_pago", 1)} className={buttonClass("secondary", "sm", "ml-auto")}>
        List them
      </Link>
    </section>
  );
}

/** Each mismatch category in plain words; the API's name stays in the tooltip (scripts filter by it). */
const CATEGORY_TEXT: Record<MismatchCategory, string> = {
  orphan_legacy_pago: "Orphan legacy pago",
  field: "Fields differ",
  totals: "Payment totals differ",
  status: "Status differs",
  now_fails: "Now fails the rules",
  missing_new: "Marked migrated, no new row",
  missing_pago: "Pago missing in the new table",
  wrong_prestamo: "Pago under the wrong prestamo",
  orphan_new: "New row, legacy row gone",
  untracked_new: "New row not marked migrated",
  "warning:PAGADO_CON_SALDO": "Warning: paid with a balance",
  "warning:SALDO_CERO_ACTIVO": "Warning: active with no balance",
  "warning:SOBREPAGO": "Warning: overpaid",
};
const CATEGORY_ORDER: string[] = Object.keys(CATEGORY_TEXT);
const categoryText = (c: string) => CATEGORY_TEXT[c as MismatchCategory] ?? c;

function href(category: string | null, page: number, from: number | null = null): string {
  const u = new URLSearchParams();
  if (category) u.set("category", category);
  if (page > 1) u.set("page", String(page));
  if (from !== null) u.set("from", String(from));
  const s = u.toString();
  return s ? `/consistency?${s}` : "/consistency";
}

export function ConsistencyClient({
  initialData,
  query,
  badQuery,
}: {
  initialData: ConsistencyResponse;
  query: { category: MismatchCategory | null; page: number; limit: number; from: number | null };
  badQuery: boolean;
}) {
  const q = useConsistency(query, initialData);
  const s = q.data.summary;
  const m = q.data.mismatches;
  // Errors first, orphans leading them, and the business warnings apart: hundreds of warnings must not bury an error.
  const cats = [...(s?.byCategory ?? [])].sort((a, b) => CATEGORY_ORDER.indexOf(a.category) - CATEGORY_ORDER.indexOf(b.category));
  const errorCats = cats.filter((c) => !c.category.startsWith("warning:"));
  const warningCats = cats.filter((c) => c.category.startsWith("warning:"));
  const chip = (c: (typeof cats)[number]) => (
    <FilterChip key={c.category} href={href(c.category, 1)} active={query.category === c.category}>
      <span title={c.category}>{categoryText(c.category)}</span>{" "}
      <span className={cn("tabular", c.prestamos > 0 && !c.category.startsWith("warning:") ? "font-semibold text-red-700" : "opacity-70")}>
        {fmtInt(c.prestamos)}
      </span>
    </FilterChip>
  );

  return (
    <div className="flex flex-col gap-6">
      <PageHeader
        title="Consistency"
        description="The migrated prestamos against the legacy rows as they are now: fields by the rules, payment totals, status and business warnings, relationships."
        aside={<LiveStatus updatedAt={q.dataUpdatedAt} error={q.error} intervalMs={pollMs.consistency} isFetching={q.isFetching} />}
      />
      {badQuery && <p className="-mt-3 text-sm text-amber-800">The address held an invalid category or page; showing the first page of every category.</p>}

      <JobFreshness f={q.data.freshness} askPath={paths.consistency({ ...query, fresh: 1 })} onAsked={q.refetch} what="check" />
      {s ? (
        <SummaryCards s={s} />
      ) : (
        <EmptyState
          title={q.data.freshness.refreshing ? "The first consistency check is running" : "No consistency check has finished yet"}
          description="The check walks every migrated prestamo, so it runs in the background, one at a time; this page shows its latest result and how old it is. One is run after every run ends."
        />
      )}

      {s && s.relationships.orphanLegacyPagos > 0 && query.category !== "orphan_legacy_pago" && <OrphansCallout s={s} />}

      <section aria-labelledby="mismatches" className="flex flex-col gap-3">
        <h2 id="mismatches" className="text-lg font-semibold text-zinc-900">
          Mismatches
        </h2>
        {m.reusedUntil && (
          <p className="-mt-2 text-sm text-zinc-600">
            Read at <time dateTime={m.readAt}>{fmtTime(m.readAt)}</time>: this page took long to read, so it is shown again until{" "}
            <time dateTime={m.reusedUntil}>{fmtTime(m.reusedUntil)}</time> rather than read once more.
          </p>
        )}
        <nav aria-label="Filter by category" className="flex flex-col gap-2">
          <div className="flex flex-wrap items-center gap-1.5">
            <span className="w-20 text-xs font-medium uppercase tracking-wide text-zinc-500">Every</span>
            <FilterChip href={href(null, 1)} active={query.category === null}>
              All prestamos with a mismatch or a warning
            </FilterChip>
          </div>
          <div className="flex flex-wrap items-center gap-1.5">
            <span className="w-20 text-xs font-medium uppercase tracking-wide text-zinc-500">Errors</span>
            {errorCats.map(chip)}
          </div>
          {warningCats.length > 0 && (
            <div className="flex flex-wrap items-center gap-1.5">
              <span className="w-20 text-xs font-medium uppercase tracking-wide text-zinc-500">Warnings</span>
              {warningCats.map(chip)}
            </div>
          )}
        </nav>
        {m.from !== null && (
          <p className="-mt-1 text-sm text-zinc-600" data-testid="listing-from">
            Listing the prestamos after #{fmtId(m.from)}.{" "}
            <Link className="underline underline-offset-2" href={href(query.category, 1)}>
              From the first
            </Link>
          </p>
        )}
        {m.items.length === 0 && m.stoppedAt !== null ? (
          <p
            className="rounded-xl border border-dashed border-amber-300 bg-amber-50 px-5 py-6 text-center text-sm text-amber-900"
            data-testid="listing-stopped"
          >
            None found {m.from !== null ? `after #${fmtId(m.from)} ` : ""}up to prestamo #{fmtId(m.stoppedAt)}: the list stops after half a second so the page
            stays fast, and has not looked further. The background check above covers every prestamo.{" "}
            <Link className="font-medium underline underline-offset-2" href={href(query.category, 1, m.stoppedAt)}>
              Look further, after #{fmtId(m.stoppedAt)}
            </Link>
          </p>
        ) : m.items.length === 0 ? (
          <p className="rounded-xl border border-dashed border-zinc-300 bg-white px-5 py-8 text-center text-sm text-zinc-500">
            <span aria-hidden="true">✓ </span>
            {query.page > 1
              ? "No more mismatches on this page."
              : query.category
                ? `Nothing in “${categoryText(query.category)}”${m.from !== null ? ` after #${fmtId(m.from)}` : ""}.`
                : m.from !== null
                  ? `No mismatch after #${fmtId(m.from)}.`
                  : "No mismatch: every migrated prestamo agrees with its legacy rows."}
          </p>
        ) : (
          <Table caption="Mismatches">
            <THead>
              <tr>
                <Th align="right" className="w-24">
                  Prestamo
                </Th>
                <Th className="w-56">Category</Th>
                <Th>What differs</Th>
                <Th className="w-28">Pagos</Th>
              </tr>
            </THead>
            <TBody>
              {m.items.map((it, i) => (
                <Tr key={`${it.legacyId}-${it.category}-${i}`}>
                  <Td align="right">
                    {it.legacyId === null ? (
                      <span className="text-zinc-400">none</span>
                    ) : (
                      <Link href={`/prestamos/${it.legacyId}`} className="font-medium text-zinc-900 underline underline-offset-2 hover:text-sky-700">
                        {it.legacyId}
                      </Link>
                    )}
                  </Td>
                  <Td>
                    <Badge tone={it.category.startsWith("warning:") ? "warning" : "danger"}>
                      <span title={it.category}>{categoryText(it.category)}</span>
                    </Badge>
                  </Td>
                  <Td className="text-zinc-800">{it.summary}</Td>
                  <Td className="tabular text-xs">{it.pagoIds.length ? it.pagoIds.join(", ") : "—"}</Td>
                </Tr>
              ))}
            </TBody>
          </Table>
        )}
        {m.items.length > 0 && m.stoppedAt !== null && (
          <p className="text-sm text-amber-900" data-testid="listing-stopped">
            The list looked up to prestamo #{fmtId(m.stoppedAt)} within its half second.{" "}
            <Link className="font-medium underline underline-offset-2" href={href(query.category, 1, m.stoppedAt)}>
              Look further, after #{fmtId(m.stoppedAt)}
            </Link>
          </p>
        )}
        <Pager
          summary={`Page ${fmtInt(m.page)} · ${m.limit} a page`}
          prevHref={m.page > 1 ? href(query.category, m.page - 1, query.from) : null}
          nextHref={m.hasMore ? href(query.category, m.page + 1, query.from) : null}
        />
      </section>
    </div>
  );
}
