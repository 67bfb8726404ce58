"use client";

import { useQueryClient } from "@tanstack/react-query";
import { useId, useState } from "react";
import { LiveStatus } from "@/components/console/live-status";
import { PageHeader } from "@/components/console/page-header";
import { Refusal } from "@/components/console/refusal";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { cn } from "@/components/ui/cn";
import { Field, inputClass, Notice } from "@/components/ui/form";
import { fmtTime } from "@/lib/format";
import { paths, pollMs, useCutover, useSwitch, type SwitchInput } from "@/lib/api/queries";
import { CUTOVER_CONFIRMATION, FINALIZE_CONFIRMATION, REVERT_CONFIRMATION } from "@/lib/migration/vocabulary";
import type { CutoverStatus, Gate, Phase, SwitchDTO } from "@/lib/migration/cutover";

const PHASE_LOOK: Record<Phase, { label: string; text: string; className: string }> = {
  legacy: {
    label: "Legacy",
    text: "The legacy tables are the source of truth; change capture keeps the new tables in step.",
    className: "border-zinc-200 bg-white text-zinc-900",
  },
  cut_over: {
    label: "Cut over",
    text: "The new tables are the source of truth. The legacy names are views over them; the archive follows through the reverse capture and is the way back.",
    className: "border-sky-200 bg-sky-50 text-sky-950",
  },
  finalized: {
    label: "Finalized",
    text: "The new tables are the source of truth and there is no way back any more. The archive tables are kept.",
    className: "border-emerald-200 bg-emerald-50 text-emerald-950",
  },
};

const GATE_LABEL: Record<Gate["id"], string> = {
  no_active_run: "No active run",
  capture_backlog: "Change capture on, backlog ≤ 1,000",
  all_migrated: "Every legacy prestamo migrated",
  consistency: "Consistency at 100 % (last 30 minutes)",
  throttle: "Throttle not engaged",
  way_back: "The way back is total",
  no_dependents: "Nothing else depends on the legacy tables",
};

const ms = (n: number) => (n >= 10_000 ? `${(n / 1000).toFixed(1)} s` : `${n.toLocaleString("en-US")} ms`);

function Gates({ gates }: { gates: Gate[] }) {
  return (
    <ul className="divide-y divide-zinc-100 overflow-hidden rounded-xl border border-zinc-200 bg-white shadow-sm" aria-label="Gates">
      {gates.map((g) => (
        <li key={g.id} className="grid grid-cols-[6.5rem_1fr] gap-4 px-5 py-3.5" data-testid={`gate-${g.id}`} data-ok={g.ok}>
          <div className="pt-0.5">
            <Badge tone={g.ok ? "success" : "danger"} className="min-w-[5.5rem] justify-center px-2 py-1">
              <span aria-hidden="true" className="mr-1">
                {g.ok ? "✓" : "✕"}
              </span>
              {g.ok ? "Pass" : "Fail"}
            </Badge>
          </div>
          <div className="min-w-0">
            <div className="flex flex-wrap items-baseline justify-between gap-x-4 gap-y-1">
              <h3 className="text-sm font-semibold text-zinc-900">{GATE_LABEL[g.id]}</h3>
              <code className="text-xs text-zinc-400">{g.id}</code>
            </div>
            <p className="tabular mt-0.5 break-words text-sm text-zinc-800" data-testid={`gate-${g.id}-figure`}>
              {g.figure}
            </p>
            <p className="mt-0.5 text-sm text-zinc-500">{g.why}</p>
          </div>
        </li>
      ))}
    </ul>
  );
}

function Switches({ switches }: { switches: SwitchDTO[] }) {
  if (switches.length === 0)
    return <p className="text-sm text-zinc-500">No switch yet. Each cut-over, revert and finalize is listed here with what it cost the application.</p>;
  return (
    <div className="overflow-x-auto">
      <table className="w-full text-sm" data-testid="switches">
        <thead>
          <tr className="text-left text-xs uppercase tracking-wide text-zinc-500">
            <th className="py-2 pr-4 font-medium">Switch</th>
            <th className="py-2 pr-4 font-medium">By, when</th>
            <th className="py-2 pr-4 text-right font-medium">Lock wait</th>
            <th className="py-2 pr-4 text-right font-medium">Writes held</th>
            <th className="py-2 pr-4 text-right font-medium">Drained</th>
            <th className="py-2 pr-4 text-right font-medium">Attempts</th>
            <th className="py-2 text-right font-medium">Total</th>
          </tr>
        </thead>
        <tbody className="divide-y divide-zinc-100">
          {switches.map((s) => (
            <tr key={s.id} className="tabular">
              <td className="py-2 pr-4 font-medium text-zinc-900">{{ cut_over: "Cut-over", revert: "Revert", finalize: "Finalize" }[s.kind]}</td>
              <td className="py-2 pr-4 text-zinc-600">
                {s.actor}, {fmtTime(s.finishedAt)}
              </td>
              <td className="py-2 pr-4 text-right">{ms(s.lockWaitMs)}</td>
              <td className="py-2 pr-4 text-right font-semibold">{ms(s.writesHeldMs)}</td>
              <td className="py-2 pr-4 text-right">
                {s.drainedEntries.toLocaleString("en-US")} entries / {s.drainedPrestamos.toLocaleString("en-US")} prestamos
              </td>
              <td className="py-2 pr-4 text-right">{s.attempts}</td>
              <td className="py-2 text-right">{ms(s.totalMs)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** An action that needs its phrase typed exactly; the API checks it again. */
function TypedAction({
  title,
  explain,
  phrase,
  path,
  extra,
  tone,
  testId,
  onDone,
}: {
  title: string;
  explain: React.ReactNode;
  phrase: string;
  path: typeof paths.cutover | typeof paths.revert | typeof paths.finalize;
  extra?: { label: string; key: string; hint: string };
  tone: "primary" | "danger";
  testId: string;
  onDone: (s: SwitchDTO) => void;
}) {
  const [typed, setTyped] = useState("");
  const [flag, setFlag] = useState(false);
  const id = useId();
  const m = useSwitch(path, {
    onSuccess: (r) => {
      setTyped("");
      onDone(r.switch);
    },
  });
  return (
    <form
      className="flex flex-col gap-3"
      onSubmit={(e) => {
        e.preventDefault();
        m.mutate({ confirm: typed, ...(extra ? { [extra.key]: flag } : {}) } as SwitchInput);
      }}
      data-testid={testId}
    >
      <p className="text-sm text-zinc-600">{explain}</p>
      <Field
        label={
          <span>
            Type <code className="rounded bg-zinc-100 px-1">{phrase}</code> to confirm
          </span>
        }
        className="max-w-xs"
      >
        <input
          id={id}
          className={inputClass}
          value={typed}
          onChange={(e) => setTyped(e.target.value)}
          autoComplete="off"
          spellCheck={false}
          data-testid={`${testId}-input`}
        />
      </Field>
      {extra && (
        <label className="flex items-center gap-2 text-sm text-zinc-700">
          <input type="checkbox" checked={flag} onChange={(e) => setFlag(e.target.checked)} data-testid={`${testId}-${extra.key}`} />
          {extra.label} <span className="text-zinc-500">({extra.hint})</span>
        </label>
      )}
      <div>
        <Button type="submit" variant={tone} disabled={typed !== phrase || m.isPending} data-testid={`${testId}-submit`}>
          {m.isPending ? `${title}…` : title}
        </Button>
      </div>
      {m.isPending && (
        <Notice tone="warning">
          Switching: the application&apos;s writes queue for the moments of the switch (each lock wait is bounded to 500 ms and retried).
        </Notice>
      )}
      {m.error && <Refusal error={m.error} testId={`${testId}-error`} />}
    </form>
  );
}

export function CutoverClient({ initialData, isAdmin }: { initialData: CutoverStatus; isAdmin: boolean }) {
  const qc = useQueryClient();
  const [done, setDone] = useState<SwitchDTO | null>(null);
  const q = useCutover(initialData);
  const s = q.data;
  const phase = PHASE_LOOK[s.phase];
  const failing = s.gates.filter((g) => !g.ok);
  const onDone = (sw: SwitchDTO) => {
    setDone(sw);
    void qc.invalidateQueries();
  };
  return (
    <div className="flex flex-col gap-6">
      <PageHeader
        title="Cut-over"
        description="Moves the application to the new tables with no downtime: a bounded switch behind views that keep the legacy names working, and a way back that keeps every write made since."
        aside={<LiveStatus updatedAt={q.dataUpdatedAt} error={q.error} intervalMs={pollMs.cutover} isFetching={q.isFetching} />}
      />

      <div className={cn("rounded-xl border px-5 py-4", phase.className)} role="status" data-testid="phase" data-phase={s.phase}>
        <p className="text-sm font-semibold">Phase: {phase.label}</p>
        <p className="mt-1 text-sm">{phase.text}</p>
        {s.phase === "cut_over" && (
          <p className="tabular mt-2 text-sm" data-testid="reverse">
            Reverse capture {s.reverse.installed ? "on" : "OFF"}: {s.reverse.backlog.toLocaleString("en-US")} changes waiting for the archive
            {s.archive.mismatches &&
              (s.archive.mismatches.count === 0
                ? "; the archive matches the new tables."
                : `; ${s.archive.mismatches.count.toLocaleString("en-US")} prestamos differ between the archive and the new tables.`)}
          </p>
        )}
      </div>

      {done && (
        <Notice tone="ok" testId="switch-done">
          {{ cut_over: "Cut over", revert: "Reverted", finalize: "Finalized" }[done.kind]}: writes held {ms(done.writesHeldMs)}, lock wait {ms(done.lockWaitMs)}
          , drained {done.drainedEntries.toLocaleString("en-US")} entries in {done.attempts} attempt{done.attempts === 1 ? "" : "s"}.
        </Notice>
      )}

      {s.phase === "legacy" && (
        <>
          <div
            className={cn(
              "rounded-xl border px-5 py-3 text-sm font-semibold",
              failing.length ? "border-red-200 bg-red-50 text-red-900" : "border-emerald-200 bg-emerald-50 text-emerald-900",
            )}
            data-testid="gates-summary"
          >
            {failing.length
              ? `Cut-over refused while ${failing.length} gate${failing.length === 1 ? "" : "s"} fail${failing.length === 1 ? "s" : ""}: ${failing.map((g) => GATE_LABEL[g.id].toLowerCase()).join("; ")}.`
              : "Every gate passes."}
          </div>
          <Gates gates={s.gates} />
          {isAdmin && (
            <Card
              title="Cut over"
              description="One transaction: the legacy tables locked against writes (reads go on), the backlog drained and re-checked, the legacy tables renamed to the archive, views and reverse capture installed."
            >
              <TypedAction
                title="Cut over"
                phrase={CUTOVER_CONFIRMATION}
                path={paths.cutover}
                tone="primary"
                testId="cutover"
                onDone={onDone}
                explain={
                  failing.length
                    ? "The console refuses while a gate fails; the refusal lists them."
                    : "The application's writes wait for the moments of the switch, never longer than the lock timeout per attempt."
                }
              />
            </Card>
          )}
        </>
      )}

      {s.phase === "cut_over" && isAdmin && (
        <div className="grid gap-6 lg:grid-cols-2">
          <Card
            title="Revert"
            description="Back to the legacy tables: the reverse backlog drained with writes held, the views dropped, the archive renamed back, change capture on again."
          >
            <TypedAction
              title="Revert"
              phrase={REVERT_CONFIRMATION}
              path={paths.revert}
              tone="danger"
              testId="revert"
              onDone={onDone}
              explain="Every write made through either name since the cut-over is in the legacy tables afterwards."
            />
          </Card>
          <Card title="Finalize" description="Ends the way back: reverse capture stops. The archive tables are never dropped by the console.">
            <TypedAction
              title="Finalize"
              phrase={FINALIZE_CONFIRMATION}
              path={paths.finalize}
              tone="danger"
              testId="finalize"
              onDone={onDone}
              extra={{ key: "dropViews", label: "Also drop the compatibility views", hint: "only once no old application reads the legacy names" }}
              explain="After this there is no revert."
            />
          </Card>
        </div>
      )}

      {s.phase !== "legacy" && (
        <Card title="The archive" description="The legacy tables as they were, kept by the console; keep a copy before anyone drops them.">
          <p className="text-sm text-zinc-700">
            <code>{s.archive.prestamos}</code> and <code>{s.archive.pagos}</code> {s.archive.exists ? "exist" : "are missing"}.
          </p>
          <pre className="mt-2 overflow-x-auto rounded-lg bg-zinc-900 px-3 py-2 text-xs text-zinc-100" data-testid="dump-command">
            {s.archive.dumpCommand}
          </pre>
        </Card>
      )}

      {!isAdmin && <p className="text-sm text-zinc-500">You can see everything here; only an admin can switch.</p>}

      <Card title="Switches" description="Who, when, how long the application's writes were held and what each switch drained.">
        <Switches switches={s.switches} />
      </Card>
    </div>
  );
}
