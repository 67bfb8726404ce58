"use client";

import Link from "next/link";
import { LiveStatus } from "@/components/console/live-status";
import { PageHeader } from "@/components/console/page-header";
import { StateBadge } from "@/components/console/state-badge";
import { VisibleText } from "@/components/console/visible-text";
import { Badge } from "@/components/ui/badge";
import { Button, buttonClass } from "@/components/ui/button";
import { EmptyState } from "@/components/ui/empty-state";
import { Pager } from "@/components/ui/pager";
import { Table, TBody, Td, Th, THead, Tr } from "@/components/ui/table";
import { pollMs, usePrestamos } from "@/lib/api/queries";
import { PRESTAMO_LIST_STATES, type PrestamoListState, type PrestamosQuery } from "@/lib/api/schemas";
import { FAILURE_CODES } from "@/lib/migration/vocabulary";
import { fmtId, fmtInt, fmtTime } from "@/lib/format";
import type { PrestamoListPage } from "@/lib/migration/prestamo-list";

const STATE_LABEL: Record<PrestamoListState, string> = {
  pending: "Pending",
  migrated: "Migrated",
  failed: "Failed",
  rolled_back: "Rolled back",
  stale: "Stale (changed since migrated)",
};

type Filters = Pick<PrestamosQuery, "state" | "code" | "q">;

function href(f: Filters, cursor: { after?: number; before?: number } = {}): string {
  const u = new URLSearchParams();
  if (f.state) u.set("state", f.state);
  if (f.code) u.set("code", f.code);
  if (f.q) u.set("q", f.q);
  if (cursor.after !== undefined) u.set("after", String(cursor.after));
  if (cursor.before !== undefined) u.set("before", String(cursor.before));
  const s = u.toString();
  return s ? `/prestamos?${s}` : "/prestamos";
}

const fieldClass =
  "h-9 rounded-lg border-0 bg-white text-sm text-zinc-900 shadow-sm ring-1 ring-inset ring-zinc-300 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-zinc-900";

/** The explorer: search and filters in the URL, keyset pages by legacy id, the total of matching prestamos. */
export function PrestamosClient({ query, initialData, dropped }: { query: PrestamosQuery; initialData: PrestamoListPage; dropped: string[] }) {
  const q = usePrestamos(query, initialData);
  const page = q.data;
  const filters: Filters = { state: query.state, code: query.code, q: query.q };
  const filtered = Boolean(query.state || query.code || query.q);
  const paged = query.after !== undefined || query.before !== undefined;

  return (
    <div className="flex flex-col gap-6">
      <PageHeader
        title="Prestamos"
        description={`Legacy prestamos in id order with their migration state, ${query.limit} a page. Open one for its field-level diff.`}
        aside={<LiveStatus updatedAt={q.dataUpdatedAt} error={q.error} intervalMs={pollMs.prestamos} isFetching={q.isFetching} />}
      />

      <form
        method="get"
        action="/prestamos"
        aria-label="Search and filter prestamos"
        className="flex flex-wrap items-end gap-3 rounded-xl border border-zinc-200 bg-white px-5 py-4 shadow-sm"
      >
        <label className="flex min-w-[16rem] flex-1 flex-col gap-1 text-sm font-medium text-zinc-700">
          Search
          <input
            name="q"
            type="search"
            placeholder="Legacy id, cliente name or documento"
            defaultValue={query.q ?? ""}
            maxLength={200}
            className={`${fieldClass} px-3`}
          />
        </label>
        <label className="flex flex-col gap-1 text-sm font-medium text-zinc-700">
          State
          <select name="state" defaultValue={query.state ?? ""} className={`${fieldClass} pl-3 pr-8`}>
            <option value="">Any state</option>
            {PRESTAMO_LIST_STATES.map((s) => (
              <option key={s} value={s}>
                {STATE_LABEL[s]}
              </option>
            ))}
          </select>
        </label>
        <label className="flex flex-col gap-1 text-sm font-medium text-zinc-700">
          Failure code
          <select name="code" defaultValue={query.code ?? ""} className={`${fieldClass} pl-3 pr-8`}>
            <option value="">Any or none</option>
            {FAILURE_CODES.map((c) => (
              <option key={c} value={c}>
                {c}
              </option>
            ))}
          </select>
        </label>
        <Button type="submit" variant="secondary">
          Search
        </Button>
        {filtered && (
          <Link href="/prestamos" className={buttonClass("ghost")}>
            Clear
          </Link>
        )}
      </form>

      {dropped.length > 0 && <p className="-mt-3 text-sm text-amber-800">Ignored an invalid {dropped.join(", ")} in the address.</p>}

      <p className="-mt-2 text-sm text-zinc-700" data-testid="prestamos-total" aria-live="polite">
        <span className="tabular font-semibold text-zinc-900">
          {fmtInt(page.total)}
          {page.totalIsLowerBound ? "+" : ""}
        </span>{" "}
        {page.total === 1 && !page.totalIsLowerBound ? "prestamo" : "prestamos"}
        {filtered ? " match" : " in the legacy table"}
        {query.q && (
          <>
            {" "}
            “<span className="font-medium">{query.q}</span>”
          </>
        )}
        {query.state && <> · {STATE_LABEL[query.state].toLowerCase()}</>}
        {query.code && (
          <>
            {" "}
            · <span className="font-mono text-[13px]">{query.code}</span>
          </>
        )}
      </p>

      {page.items.length === 0 ? (
        <EmptyState
          title={filtered ? "No prestamo matches" : paged ? "No more prestamos" : "The legacy table is empty"}
          description={
            filtered
              ? "Try another search, state or failure code, or clear them."
              : paged
                ? "There are no prestamos past this point."
                : "There is nothing to migrate yet. An admin can create test data."
          }
          action={
            filtered || paged ? (
              <Link href="/prestamos" className={buttonClass("secondary")}>
                Back to the first page
              </Link>
            ) : undefined
          }
        />
      ) : (
        <>
          <Table caption="Legacy prestamos with their migration state">
            <THead>
              <tr>
                <Th align="right" className="w-16">
                  Id
                </Th>
                <Th>Cliente (as stored)</Th>
                <Th className="w-36">Documento</Th>
                <Th align="right" className="w-28">
                  Monto (as stored)
                </Th>
                <Th className="w-24">Moneda</Th>
                <Th className="w-28">Estado</Th>
                <Th align="right" className="w-20">
                  Pagos
                </Th>
                <Th className="w-36">Migration state</Th>
                <Th>Failure codes</Th>
              </tr>
            </THead>
            <TBody>
              {page.items.map((r) => (
                <Tr key={r.id}>
                  <Td align="right">
                    <Link href={`/prestamos/${r.id}`} className="font-medium text-zinc-900 underline underline-offset-2 hover:text-sky-700">
                      {fmtId(r.id)}
                    </Link>
                  </Td>
                  <Td className="max-w-[12rem] truncate">
                    <VisibleText inline value={r.clienteNombre} />
                  </Td>
                  <Td className="max-w-[9rem] truncate">
                    <VisibleText inline value={r.clienteDocumento} />
                  </Td>
                  <Td align="right">
                    <VisibleText inline value={r.monto} />
                  </Td>
                  <Td>
                    <VisibleText inline value={r.moneda} />
                  </Td>
                  <Td>
                    <VisibleText inline value={r.estado} />
                  </Td>
                  <Td align="right">{fmtInt(r.pagos)}</Td>
                  <Td>
                    <span title={r.stateUpdatedAt ? `since ${fmtTime(r.stateUpdatedAt)}` : "never taken"}>
                      <StateBadge state={r.state} stale={r.stale} />
                    </span>
                  </Td>
                  <Td>
                    {r.codes.length === 0 ? (
                      <span className="text-zinc-400">—</span>
                    ) : (
                      <span className="flex flex-wrap gap-1">
                        {r.codes.map((c) => (
                          <Badge key={c} tone="danger">
                            {c}
                          </Badge>
                        ))}
                      </span>
                    )}
                  </Td>
                </Tr>
              ))}
            </TBody>
          </Table>
          <Pager
            summary={`Ids ${fmtId(page.items[0].id)}–${fmtId(page.items[page.items.length - 1].id)} · ${fmtInt(page.items.length)} shown of ${fmtInt(page.total)}${page.totalIsLowerBound ? "+" : ""}`}
            first={
              paged ? (
                <Link href={href(filters)} className={buttonClass("ghost", "sm")}>
                  « First
                </Link>
              ) : null
            }
            prevHref={page.prevBefore !== null ? href(filters, { before: page.prevBefore }) : null}
            nextHref={page.nextAfter !== null ? href(filters, { after: page.nextAfter }) : null}
          />
        </>
      )}
    </div>
  );
}
