import type { Metadata } from "next";
import Link from "next/link";
import { redirect } from "next/navigation";
import { connection } from "next/server";
import { PageHeader } from "@/components/console/page-header";
import { StateBadge } from "@/components/console/state-badge";
import { VisibleText } from "@/components/console/visible-text";
import { Badge } from "@/components/ui/badge";
import { Button, buttonClass } from "@/components/ui/button";
import { EmptyState } from "@/components/ui/empty-state";
import { Pager } from "@/components/ui/pager";
import { Table, TBody, Td, Th, THead, Tr } from "@/components/ui/table";
import { getDb } from "@/db/client";
import { PositiveIntString } from "@/lib/api/schemas";
import { FAILURE_CODE_NAMES } from "@/lib/migration/vocabulary";
import { requirePagePrincipal } from "@/lib/auth/session";
import { fmtId, fmtInt, fmtTime } from "@/lib/format";
import { EXPLORER_PAGE_SIZE, EXPLORER_STATES, ExplorerQuery, listLegacyPrestamos } from "./explorer-query";

export const metadata: Metadata = { title: "Prestamos" };

const STATE_LABEL: Record<(typeof EXPLORER_STATES)[number], string> = {
  pending: "Pending",
  migrated: "Migrated",
  failed: "Failed",
  rolled_back: "Rolled back",
  stale: "Stale (changed since migrated)",
};

type Search = Record<string, string | string[] | undefined>;
const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

function href(q: { state?: string; code?: string; after?: number; before?: number }): string {
  const u = new URLSearchParams();
  if (q.state) u.set("state", q.state);
  if (q.code) u.set("code", q.code);
  if (q.after !== undefined) u.set("after", String(q.after));
  if (q.before !== undefined) u.set("before", String(q.before));
  const s = u.toString();
  return s ? `/prestamos?${s}` : "/prestamos";
}

const selectClass =
  "h-9 rounded-lg border-0 bg-white pl-3 pr-8 text-sm text-zinc-900 shadow-sm ring-1 ring-inset ring-zinc-300 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-zinc-900";

/** `/prestamos`: legacy prestamos with their migration state, keyset-paged by id, filtered by state and failure code (all in the URL). */
export default async function PrestamosPage({ searchParams }: { searchParams: Promise<Search> }) {
  await connection();
  const sp = await searchParams;
  await requirePagePrincipal({ callbackUrl: "/prestamos" });

  const lookupRaw = one(sp.id)?.trim();
  let lookupError: string | null = null;
  if (lookupRaw !== undefined && lookupRaw !== "") {
    const id = PositiveIntString.safeParse(lookupRaw);
    if (id.success) redirect(`/prestamos/${id.data}`);
    lookupError = `“${lookupRaw}” is not a prestamo id: ids are whole numbers from 1 to 2,147,483,647.`;
  }

  const raw = { state: one(sp.state), code: one(sp.code), after: one(sp.after), before: one(sp.before) };
  const q = ExplorerQuery.parse(raw);
  const dropped = (["state", "code", "after", "before"] as const).filter((k) => raw[k] !== undefined && raw[k] !== "" && q[k] === undefined);
  const page = await listLegacyPrestamos(await getDb(), q);
  const filtered = Boolean(q.state || q.code);

  return (
    <div className="flex flex-col gap-6">
      <PageHeader
        title="Prestamos"
        description={`Legacy prestamos in id order with their migration state, ${EXPLORER_PAGE_SIZE} a page. Open one for its field-level diff.`}
      />

      <div className="flex flex-wrap items-end justify-between gap-4 rounded-xl border border-zinc-200 bg-white px-5 py-4 shadow-sm">
        <form method="get" action="/prestamos" className="flex flex-wrap items-end gap-3" aria-label="Filter prestamos">
          <label className="flex flex-col gap-1 text-sm font-medium text-zinc-700">
            State
            <select name="state" defaultValue={q.state ?? ""} className={selectClass}>
              <option value="">Any state</option>
              {EXPLORER_STATES.map((s) => (
                <option key={s} value={s}>
                  {STATE_LABEL[s]}
                </option>
              ))}
            </select>
          </label>
          <label className="flex flex-col gap-1 text-sm font-medium text-zinc-700">
            Failure code
            <select name="code" defaultValue={q.code ?? ""} className={selectClass}>
              <option value="">Any or none</option>
              {FAILURE_CODE_NAMES.map((c) => (
                <option key={c} value={c}>
                  {c}
                </option>
              ))}
            </select>
          </label>
          <Button type="submit" variant="secondary">
            Apply filters
          </Button>
          {filtered && (
            <Link href="/prestamos" className={buttonClass("ghost")}>
              Clear
            </Link>
          )}
        </form>
        <form method="get" action="/prestamos" className="flex items-end gap-2" aria-label="Go to a prestamo by id">
          <label className="flex flex-col gap-1 text-sm font-medium text-zinc-700">
            Prestamo id
            <input
              name="id"
              inputMode="numeric"
              placeholder="e.g. 1042"
              defaultValue={lookupRaw ?? ""}
              aria-invalid={lookupError ? true : undefined}
              aria-describedby={lookupError ? "lookup-error" : undefined}
              className="tabular h-9 w-36 rounded-lg border-0 bg-white px-3 text-sm text-zinc-900 shadow-sm ring-1 ring-inset ring-zinc-300 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-zinc-900"
            />
          </label>
          <Button type="submit">Open</Button>
        </form>
      </div>

      {lookupError && (
        <p id="lookup-error" role="alert" className="-mt-3 text-sm text-red-700">
          {lookupError}
        </p>
      )}
      {dropped.length > 0 && (
        <p className="-mt-3 text-sm text-amber-800">
          Ignored an invalid {dropped.join(", ")} in the address.
        </p>
      )}

      {page.rows.length === 0 ? (
        <EmptyState
          title={filtered ? "No prestamo matches these filters" : q.after || q.before ? "No more prestamos" : "The legacy table is empty"}
          description={
            filtered
              ? "Try another state or failure code, or clear the filters."
              : q.after || q.before
                ? "There are no prestamos past this point."
                : "There is nothing to migrate yet. An admin can create test data."
          }
          action={
            filtered || q.after || q.before ? (
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
                <Th align="right" className="w-24">
                  Id
                </Th>
                <Th>Cliente (as stored)</Th>
                <Th align="right" className="w-36">
                  Monto (as stored)
                </Th>
                <Th className="w-28">Moneda</Th>
                <Th className="w-32">Estado</Th>
                <Th align="right" className="w-20">
                  Pagos
                </Th>
                <Th className="w-44">Migration state</Th>
                <Th>Failure codes</Th>
              </tr>
            </THead>
            <TBody>
              {page.rows.map((r) => (
                <Tr key={r.id}>
                  <Td align="right">
                    <Link href={`/prestamos/${r.id}`} className="font-medium text-zinc-900 underline underline-offset-2 hover:text-sky-700">
                      {r.id}
                    </Link>
                  </Td>
                  <Td className="max-w-[18rem] truncate">
                    <VisibleText inline value={r.clienteNombre} />
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
            summary={`Ids ${fmtId(page.rows[0].id)}–${fmtId(page.rows[page.rows.length - 1].id)} · ${fmtInt(page.rows.length)} shown`}
            first={
              q.after || q.before ? (
                <Link href={href({ state: q.state, code: q.code })} className={buttonClass("ghost", "sm")}>
                  « First
                </Link>
              ) : null
            }
            prevHref={page.prevBefore !== null ? href({ state: q.state, code: q.code, before: page.prevBefore }) : null}
            nextHref={page.nextAfter !== null ? href({ state: q.state, code: q.code, after: page.nextAfter }) : null}
          />
        </>
      )}
    </div>
  );
}
