"use client";

import Link from "next/link";
import { FAILURE_CODE_TEXT } from "@/components/console/failure-codes";
import { PageHeader } from "@/components/console/page-header";
import { VisibleText } from "@/components/console/visible-text";
import { Badge } from "@/components/ui/badge";
import { buttonClass } from "@/components/ui/button";
import { EmptyState } from "@/components/ui/empty-state";
import { FilterChip, Pager } from "@/components/ui/pager";
import { Table, TBody, Td, Th, THead, Tr } from "@/components/ui/table";
import { FAILURE_CODES } from "@/lib/migration/vocabulary";
import { fmtId, fmtInt } from "@/lib/format";
import type { PredictedFailuresPage } from "@/lib/migration/predicted-failures";

function href(code: string | null, after: number | null): string {
  const u = new URLSearchParams();
  if (code) u.set("code", code);
  if (after !== null) u.set("after", String(after));
  const s = u.toString();
  return s ? `/failures/predicted?${s}` : "/failures/predicted";
}

/** The dry run opened: each legacy prestamo the rules refuse now, page by page in legacy id order. Read-only. */
export function PredictedFailuresClient({ data: d, badQuery }: { data: PredictedFailuresPage; badQuery: boolean }) {
  const range = d.scanned.prestamos
    ? `legacy ids ${d.after === null ? "from the first" : `after ${fmtId(d.after)}`} up to ${fmtId(d.scanned.to)}`
    : "no legacy prestamo";
  return (
    <div className="flex flex-col gap-6">
      <PageHeader
        title="Predicted failures"
        description={
          <>
            Legacy prestamos that fail the rules now, as a run would find them: each failing rule with its field and the value as stored. Nothing here has run
            yet; failures a run recorded are on{" "}
            <Link href="/failures" className="underline underline-offset-2">
              Failures
            </Link>
            .
          </>
        }
      />
      {badQuery && <p className="-mt-3 text-sm text-amber-800">The address held an invalid code or position; showing every code from the start.</p>}

      <nav aria-label="Filter by failure code" className="flex flex-wrap gap-1.5">
        <FilterChip href={href(null, null)} active={d.code === null}>
          Every code
        </FilterChip>
        {FAILURE_CODES.map((code) => (
          <FilterChip key={code} href={href(code, null)} active={d.code === code}>
            <span title={code}>{FAILURE_CODE_TEXT[code].title}</span>
          </FilterChip>
        ))}
      </nav>
      {d.code && (
        <p className="-mt-3 text-sm text-zinc-600">
          <span className="font-mono text-[12px] text-zinc-500">{d.code}</span> — {FAILURE_CODE_TEXT[d.code].rule} {FAILURE_CODE_TEXT[d.code].fix}
        </p>
      )}

      {d.items.length === 0 ? (
        <EmptyState
          title={d.next === null ? "No predicted failure here" : "None in this stretch of the table"}
          description={
            d.next === null
              ? `Every legacy prestamo evaluated (${range}) passes${d.code ? ` the ${FAILURE_CODE_TEXT[d.code].title.toLowerCase()} rule` : " the rules"}.`
              : `Evaluated ${fmtInt(d.scanned.prestamos)} prestamos (${range}) without a match. The next page goes on from there.`
          }
          action={
            d.next !== null ? (
              <Link href={href(d.code, d.next)} className={buttonClass("secondary")}>
                Go on from id {fmtId(d.next)}
              </Link>
            ) : undefined
          }
        />
      ) : (
        <Table caption="Predicted failures">
          <THead>
            <tr>
              <Th align="right" className="w-28">
                Prestamo
              </Th>
              <Th>What fails, and the value as stored</Th>
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
                          {r.pagoId !== null ? `pago ${fmtId(r.pagoId)} · ` : ""}
                          {r.field}
                        </span>
                        <span className="rounded bg-zinc-100 px-1">
                          <VisibleText value={r.value} inline />
                        </span>
                      </li>
                    ))}
                  </ul>
                </Td>
              </Tr>
            ))}
          </TBody>
        </Table>
      )}
      <Pager
        summary={`${fmtInt(d.items.length)} failing prestamos in ${range}`}
        prevHref={null}
        nextHref={d.next !== null && d.items.length > 0 ? href(d.code, d.next) : null}
        first={
          d.after !== null ? (
            <Link href={href(d.code, null)} className={buttonClass("secondary", "sm")}>
              « From the start
            </Link>
          ) : undefined
        }
      />
    </div>
  );
}
