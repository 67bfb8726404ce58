"use client";

import Link from "next/link";
import { useState } from "react";
import { LiveStatus } from "@/components/console/live-status";
import { PageHeader } from "@/components/console/page-header";
import { Refusal } from "@/components/console/refusal";
import { Button } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { EmptyState } from "@/components/ui/empty-state";
import { Field, inputClass, Notice } from "@/components/ui/form";
import { Stat } from "@/components/ui/stat";
import { Table, TBody, Td, Th, THead, Tr } from "@/components/ui/table";
import { pollMs, useCreateTestData, useRemoveTestData, useTestData } from "@/lib/api/queries";
import { fmtInt, fmtPct, fmtTime } from "@/lib/format";
import type { TestDataList } from "@/lib/migration/test-data";

const REMOVE = "REMOVE TEST DATA";

export function TestDataClient({
  initialData,
  isAdmin,
  defaults,
  maxCount,
}: {
  initialData: TestDataList;
  isAdmin: boolean;
  defaults: { count: number; dirtyPct: number; seed: number };
  maxCount: number;
}) {
  const q = useTestData(initialData);
  const d = q.data;
  const t = d.totals;
  return (
    <div className="flex flex-col gap-6">
      <PageHeader
        title="Test data"
        description="Legacy prestamos and pagos made by the generator, in every dirty real-world form, some broken on purpose across every failure code, plus orphan pagos. Each row is tracked, so removing test data removes nothing else."
        aside={<LiveStatus updatedAt={q.dataUpdatedAt} error={q.error} intervalMs={pollMs.testData} isFetching={q.isFetching} />}
      />
      <dl className="grid grid-cols-2 gap-4 md:grid-cols-4">
        <Stat label="Sets" value={fmtInt(t.sets)} />
        <Stat label="Tracked prestamos" value={fmtInt(t.prestamos)} hint={`${fmtInt(t.presentPrestamos)} still in the legacy table`} />
        <Stat label="Tracked pagos" value={fmtInt(t.pagos)} hint="orphans included" />
        <Stat
          label="Migrated"
          value={fmtInt(t.migratedPrestamos)}
          hint={t.presentPrestamos ? `${fmtPct((t.migratedPrestamos / t.presentPrestamos) * 100)} of those present` : "—"}
        />
      </dl>
      {isAdmin ? (
        <div className="grid grid-cols-1 gap-4 lg:grid-cols-2">
          <CreateData defaults={defaults} maxCount={maxCount} />
          <RemoveData hasData={t.sets > 0} />
        </div>
      ) : (
        <p className="rounded-xl border border-zinc-200 bg-zinc-50 px-5 py-3 text-sm text-zinc-600">
          You are signed in as a reviewer: you see the sets, and an admin creates or removes them.
        </p>
      )}
      <section aria-labelledby="sets" className="flex flex-col gap-3">
        <h2 id="sets" className="text-sm font-semibold uppercase tracking-wide text-zinc-500">
          Sets, newest first
        </h2>
        {d.sets.length === 0 ? (
          <EmptyState title="No test data" description={isAdmin ? "Create a set above to fill the legacy tables." : "An admin can create a set."} />
        ) : (
          <Table caption="Test data sets">
            <THead>
              <tr>
                <Th>Set</Th>
                <Th align="right">Seed</Th>
                <Th align="right">Count</Th>
                <Th align="right">Dirty</Th>
                <Th align="right">Broken</Th>
                <Th align="right">Tracked prestamos</Th>
                <Th align="right">Tracked pagos</Th>
                <Th align="right">Migrated</Th>
                <Th>Created</Th>
              </tr>
            </THead>
            <TBody>
              {d.sets.map((s) => (
                <Tr key={s.id}>
                  <Td className="tabular font-medium text-zinc-900">#{s.id}</Td>
                  <Td align="right">{s.seed}</Td>
                  <Td align="right">{fmtInt(s.count)}</Td>
                  <Td align="right">{fmtPct(s.dirtyPct)}</Td>
                  <Td align="right">{s.summary ? fmtInt(s.summary.brokenPrestamos) : "—"}</Td>
                  <Td align="right">
                    {fmtInt(s.tracked.prestamos)}
                    {s.presentPrestamos !== s.tracked.prestamos && <span className="block text-xs text-amber-700">{fmtInt(s.presentPrestamos)} present</span>}
                  </Td>
                  <Td align="right">{fmtInt(s.tracked.pagos)}</Td>
                  <Td align="right">{fmtInt(s.migratedPrestamos)}</Td>
                  <Td className="whitespace-nowrap">
                    <span className="tabular">{fmtTime(s.createdAt)}</span>
                    <span className="block text-xs text-zinc-500">by {s.createdBy}</span>
                  </Td>
                </Tr>
              ))}
            </TBody>
          </Table>
        )}
      </section>
      <p className="text-sm text-zinc-500">
        Migrate them on the{" "}
        <Link href="/migration" className="font-medium text-zinc-700 underline underline-offset-2 hover:text-zinc-900">
          Migration
        </Link>{" "}
        page; what fails and why is on{" "}
        <Link href="/failures" className="font-medium text-zinc-700 underline underline-offset-2 hover:text-zinc-900">
          Failures
        </Link>
        .
      </p>
    </div>
  );
}

function CreateData({ defaults, maxCount }: { defaults: { count: number; dirtyPct: number; seed: number }; maxCount: number }) {
  const [count, setCount] = useState(String(defaults.count));
  const [dirty, setDirty] = useState(String(defaults.dirtyPct));
  const [seed, setSeed] = useState(String(defaults.seed));
  const create = useCreateTestData();
  const bad = [count, dirty, seed].some((v) => v.trim() === "" || !Number.isFinite(Number(v)));
  return (
    <Card title="Create test data" description="Deterministic for a seed: the same seed, count and dirty % make the same rows.">
      <form
        className="flex flex-col gap-3"
        onSubmit={(e) => {
          e.preventDefault();
          // Sent as typed: the API's 400 names a bad field, shown below.
          if (!bad) create.mutate({ count: Number(count), dirtyPct: Number(dirty), seed: Number(seed) });
        }}
      >
        <div className="grid grid-cols-3 gap-3">
          <Field label="Prestamos" hint={`1–${fmtInt(maxCount)}, 0–12 pagos each`}>
            <input className={inputClass} inputMode="numeric" value={count} onChange={(e) => setCount(e.target.value)} />
          </Field>
          <Field label="Dirty (%)" hint="broken on purpose">
            <input className={inputClass} inputMode="decimal" value={dirty} onChange={(e) => setDirty(e.target.value)} />
          </Field>
          <Field label="Seed" hint="a 32-bit integer">
            <input className={inputClass} inputMode="numeric" value={seed} onChange={(e) => setSeed(e.target.value)} />
          </Field>
        </div>
        {bad && <p className="text-sm text-red-700">Every field needs a number.</p>}
        <div>
          <Button type="submit" disabled={create.isPending || bad}>
            {create.isPending ? "Creating…" : "Create test data"}
          </Button>
        </div>
      </form>
      {create.isError && <Refusal error={create.error} className="mt-3" testId="create-data-result" />}
      {create.isSuccess && (
        <Notice tone="ok" className="mt-3" testId="create-data-result">
          Set #{create.data.set.id}: {fmtInt(create.data.prestamos)} prestamos, {fmtInt(create.data.pagos)} pagos, {fmtInt(create.data.orphans)} orphans;{" "}
          {fmtInt(create.data.brokenPrestamos)} broken on purpose (
          {Object.entries(create.data.broken)
            .filter(([, n]) => n > 0)
            .map(([c, n]) => `${c} ${fmtInt(n)}`)
            .join(", ") || "none"}
          ). Took {fmtInt(create.data.tookMs)} ms.
        </Notice>
      )}
    </Card>
  );
}

function RemoveData({ hasData }: { hasData: boolean }) {
  const [confirm, setConfirm] = useState("");
  const remove = useRemoveTestData({ onSuccess: () => setConfirm("") });
  return (
    <Card
      title="Remove all test data"
      description="Deletes exactly the tracked rows: legacy prestamos and pagos of every set (the demo data is a set too), their new rows, states and failures. Other rows are untouched."
      className="border-red-200"
    >
      <form
        className="flex flex-col gap-3"
        onSubmit={(e) => {
          e.preventDefault();
          if (confirm === REMOVE) remove.mutate(undefined);
        }}
      >
        <Field
          label={
            <span>
              Type <code className="rounded bg-zinc-100 px-1 font-mono text-[13px]">{REMOVE}</code> to confirm
            </span>
          }
        >
          <input className={`${inputClass} font-mono`} autoComplete="off" spellCheck={false} value={confirm} onChange={(e) => setConfirm(e.target.value)} />
        </Field>
        <div className="flex items-center gap-3">
          <Button type="submit" variant="danger" disabled={confirm !== REMOVE || remove.isPending}>
            {remove.isPending ? "Removing…" : "Remove all test data"}
          </Button>
          {!hasData && <span className="text-sm text-zinc-500">Nothing is tracked now.</span>}
        </div>
      </form>
      {remove.isError && <Refusal error={remove.error} className="mt-3" testId="remove-data-result" />}
      {remove.isSuccess && (
        <Notice tone="ok" className="mt-3" testId="remove-data-result">
          Removed {remove.data.sets.length} {remove.data.sets.length === 1 ? "set" : "sets"}: {fmtInt(remove.data.prestamos)} prestamos and{" "}
          {fmtInt(remove.data.pagos)} pagos from the legacy tables, {fmtInt(remove.data.newPrestamos)} prestamos and {fmtInt(remove.data.newPagos)} pagos from
          the new tables, {fmtInt(remove.data.failures)} failure records.
        </Notice>
      )}
    </Card>
  );
}
