"use client";

import Link from "next/link";
import { useId, useState } from "react";
import { Button } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { cn } from "@/components/ui/cn";
import { fmtId, fmtInt } from "@/lib/format";
import type { ProgressDTO } from "@/lib/migration/progress";
import type { RunDTO } from "@/lib/migration/runs";
import { RunSteering } from "./run-steering";
import { ActionResult, inputClass, useAction } from "./shared";
import { StartRunCard } from "./start-run";
import type { StartDefaults, StartForm } from "./start-form";

const ROLLBACK_ALL = "ROLLBACK ALL";

/** What an admin does to the run: start, steer, stop, roll back everything, end change capture. */
export function AdminControls({ p, defaults, form, setForm }: { p: ProgressDTO; defaults: StartDefaults; form: StartForm; setForm: (f: StartForm) => void }) {
  const active = p.run?.active ?? false;
  const ids = useId();
  const [confirmText, setConfirmText] = useState("");
  const [confirmCleanup, setConfirmCleanup] = useState(false);
  const stop = useAction<undefined, { run: RunDTO }>("/api/prestamos/migration/stop");
  const rollback = useAction<{ confirm: string }, { stoppedRunId: number | null; prestamosRemoved: number; pagosRemoved: number }>("/api/prestamos/migration/rollback");
  const cleanup = useAction<undefined, { removed: boolean; drained: number }>("/api/prestamos/migration/cleanup");

  return (
    <section aria-labelledby="controls" className="flex flex-col gap-4">
      <h2 id="controls" className="text-sm font-semibold uppercase tracking-wide text-zinc-500">
        Controls
      </h2>
      <div className="grid grid-cols-1 gap-4 lg:grid-cols-2">
        <StartRunCard p={p} defaults={defaults} form={form} setForm={setForm} />

        {active && p.run && <RunSteering run={p.run} />}

        <Card title="Stop the run" description="Ends the active run after its current batch; starting again goes on where the data stands.">
          <Button variant="secondary" onClick={() => stop.mutate(undefined)} disabled={stop.isPending || !active}>
            {stop.isPending ? "Stopping…" : "Stop run"}
          </Button>
          {!active && <span className="ml-3 text-sm text-zinc-500">No run is active.</span>}
          <ActionResult m={stop} ok={stop.data ? `Stop requested for run #${fmtId(stop.data.run.id)}.` : "Stop requested."} />
        </Card>

        <Card id="rollback-all" title="Roll back everything" description="Stops the active run, empties the new tables and marks every prestamo pending. The legacy tables are not touched." className="scroll-mt-6 border-red-200">
          <form
            onSubmit={(e) => {
              e.preventDefault();
              if (confirmText !== ROLLBACK_ALL) return;
              rollback.mutate({ confirm: confirmText }, { onSuccess: () => setConfirmText("") });
            }}
            className="flex flex-col gap-3"
          >
            <label className="flex flex-col gap-1 text-sm font-medium text-zinc-700" htmlFor={`${ids}-rb`}>
              <span>
                Type <code className="rounded bg-zinc-100 px-1 font-mono text-[13px]">{ROLLBACK_ALL}</code> to confirm
              </span>
              <input id={`${ids}-rb`} className={cn(inputClass, "font-mono")} autoComplete="off" spellCheck={false} value={confirmText} onChange={(e) => setConfirmText(e.target.value)} />
            </label>
            <div>
              <Button type="submit" variant="danger" disabled={confirmText !== ROLLBACK_ALL || rollback.isPending}>
                {rollback.isPending ? "Rolling back…" : "Roll back all"}
              </Button>
            </div>
          </form>
          <ActionResult
            m={rollback}
            ok={rollback.data ? `Rolled back: ${fmtInt(rollback.data.prestamosRemoved)} prestamos and ${fmtInt(rollback.data.pagosRemoved)} pagos removed from the new tables.` : "Rolled back."}
          />
        </Card>

        <Card title="End change capture" description="Drops the triggers on the legacy tables once the new schema has taken over. Not possible while a run is active.">
          {!confirmCleanup ? (
            <Button variant="secondary" onClick={() => setConfirmCleanup(true)} disabled={!p.capture.enabled || cleanup.isPending}>
              End change capture…
            </Button>
          ) : (
            <div className="flex flex-col gap-3 rounded-lg bg-amber-50 px-3 py-3 ring-1 ring-inset ring-amber-200">
              <p className="text-sm text-amber-900">
                After this, changes to the legacy tables are no longer synced to the new ones. Pending changes ({fmtInt(p.capture.backlog)}) are drained first.
              </p>
              <div className="flex gap-2">
                <Button
                  variant="danger"
                  disabled={cleanup.isPending}
                  onClick={() => cleanup.mutate(undefined, { onSettled: () => setConfirmCleanup(false) })}
                >
                  {cleanup.isPending ? "Ending capture…" : "Yes, end change capture"}
                </Button>
                <Button variant="ghost" onClick={() => setConfirmCleanup(false)}>
                  Cancel
                </Button>
              </div>
            </div>
          )}
          {!p.capture.enabled && !confirmCleanup && <span className="ml-3 text-sm text-zinc-500">Capture is off.</span>}
          <ActionResult m={cleanup} ok={cleanup.data ? `Change capture ended (${fmtInt(cleanup.data.drained)} pending changes synced first).` : "Ended."} />
        </Card>
      </div>
      <p className="text-sm text-zinc-500">
        Every action is recorded in the <Link href="/audit" className="font-medium text-zinc-700 underline underline-offset-2 hover:text-zinc-900">
          audit log
        </Link>
        .
      </p>
    </section>
  );
}
