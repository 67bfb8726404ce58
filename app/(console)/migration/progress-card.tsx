"use client";

import Link from "next/link";
import { Card } from "@/components/ui/card";
import { cn } from "@/components/ui/cn";
import { fmtDec1, fmtDuration, fmtInt, fmtPct, fmtTime } from "@/lib/format";
import type { ProgressDTO } from "@/lib/migration/progress";
import { Figure } from "./shared";

/** How far the migration is: the four states over every legacy prestamo, the rate and the ETA. */
export function ProgressCard({ p }: { p: ProgressDTO }) {
  const t = p.totals;
  const share = (n: number) => (t.total ? (n / t.total) * 100 : 0);
  const active = p.run?.active ?? false;
  const segments = [
    { key: "migrated", label: "Migrated", n: t.migrated, cls: "bg-emerald-500", glyph: "✓" },
    { key: "failed", label: "Failed", n: t.failed, cls: "bg-red-500", glyph: "✕" },
    { key: "rolledBack", label: "Rolled back", n: t.rolledBack, cls: "bg-amber-400", glyph: "↶" },
    { key: "pending", label: "Pending", n: t.pending, cls: "bg-zinc-200", glyph: "○" },
  ];
  return (
    <Card
      title="Progress"
      description={
        t.total === 0 ? (
          <>
            The legacy table is empty.{" "}
            <Link className="underline underline-offset-2" href="/test-data">
              Test data
            </Link>{" "}
            can fill it.
          </>
        ) : (
          `${fmtInt(t.total)} legacy prestamos; every share below is of all of them. Done = total − remaining${active && p.run?.retry ? " (this run retries failed and rolled back ones)" : ""}.`
        )
      }
    >
      <div className="flex items-end justify-between gap-4">
        <p className="tabular text-4xl font-semibold tracking-tight text-zinc-900" data-testid="progress-percent">
          {fmtPct(t.percent)}
        </p>
        <p className="tabular text-sm text-zinc-500">
          {fmtInt(t.remaining)} remaining of {fmtInt(t.total)}
        </p>
      </div>
      <div
        className="mt-3 flex h-3 w-full overflow-hidden rounded-full bg-zinc-100"
        role="progressbar"
        aria-label="Migration progress"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={t.percent}
        aria-valuetext={`${fmtPct(t.percent)} done, ${fmtInt(t.remaining)} remaining`}
      >
        {segments.map((s) => (
          <div key={s.key} className={cn("h-full transition-[width] duration-700", s.cls)} style={{ width: `${share(s.n)}%` }} />
        ))}
      </div>
      <dl className="mt-4 grid grid-cols-2 gap-3 md:grid-cols-4">
        {segments.map((s) => (
          <div key={s.key} className="rounded-lg bg-zinc-50 px-3 py-2">
            <dt className="flex items-center gap-1.5 text-xs font-medium text-zinc-500">
              <span aria-hidden="true" className={cn("inline-block h-2.5 w-2.5 rounded-sm", s.cls)} />
              {s.label}
            </dt>
            <dd className="tabular mt-0.5 text-xl font-semibold text-zinc-900" data-testid={`total-${s.key}`}>
              {fmtInt(s.n)}
            </dd>
            <dd className="tabular text-xs text-zinc-500">{t.total ? `${fmtPct(share(s.n))} of all` : "—"}</dd>
          </div>
        ))}
      </dl>
      <dl className="mt-4 grid grid-cols-2 gap-3 border-t border-zinc-100 pt-4 md:grid-cols-4">
        <Figure label="Prestamos / s" value={active ? fmtDec1(p.rate.prestamosPerSecond) : "—"} hint={`over the last ${p.rate.windowSeconds} s`} />
        <Figure label="Pagos / s" value={active ? fmtDec1(p.rate.pagosPerSecond) : "—"} hint={`over the last ${p.rate.windowSeconds} s`} />
        <Figure
          label="ETA"
          value={p.etaSeconds === null ? "—" : fmtDuration(p.etaSeconds)}
          hint={active ? (p.etaSeconds === null ? "measuring the rate…" : "at the current rate") : "no active run"}
        />
        <Figure label="Change backlog" value={fmtInt(p.capture.backlog)} hint={p.capture.enabled ? "changes waiting to sync" : "capture is off"} />
      </dl>
      <CountsCheckLine check={p.countsCheck} />
    </Card>
  );
}

/** The worker's last self-check of the kept state counts: a difference stays visible after its repair. */
function CountsCheckLine({ check }: { check: ProgressDTO["countsCheck"] }) {
  if (!check) return <p className="mt-3 text-xs text-zinc-500">State counts not self-checked yet (the worker checks them when idle).</p>;
  if (check.ok)
    return (
      <p className="mt-3 text-xs text-zinc-500" data-testid="counts-check">
        State counts self-checked {fmtTime(check.checkedAt)}: equal to the real counts.
      </p>
    );
  const k = check.kept;
  const r = check.real;
  return (
    <p className="mt-3 rounded-md bg-amber-50 px-3 py-2 text-xs text-amber-900" role="status" data-testid="counts-check">
      Self-check {fmtTime(check.checkedAt)}: the kept state counts differed from the real ones (kept {fmtInt(k.migrated)} / {fmtInt(k.failed)} /{" "}
      {fmtInt(k.rolledBack)}, real {fmtInt(r.migrated)} / {fmtInt(r.failed)} / {fmtInt(r.rolledBack)} migrated / failed / rolled back)
      {check.repaired ? " and were rebuilt from them." : "; they are rebuilt at the next check."}
    </p>
  );
}
