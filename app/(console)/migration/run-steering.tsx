"use client";

import { useState } from "react";
import { Button } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { usePauseRun, useResumeRun, useTuneRun } from "@/lib/api/queries";
import { fmtInt } from "@/lib/format";
import type { RunDTO } from "@/lib/migration/runs";
import { ActionResult, inputClass } from "./shared";
import { optionalInt } from "./start-form";

/** While a run is active: pause/resume and the tunables (PATCH …/settings), effective from its next batch. */
export function RunSteering({ run }: { run: RunDTO }) {
  const paused = run.status === "paused";
  const pause = usePauseRun();
  const resume = useResumeRun();
  const [targetMs, setTargetMs] = useState(String(run.targetBatchMs));
  const [workers, setWorkers] = useState(String(run.workers));
  const [pauseMs, setPauseMs] = useState(String(run.pauseMs));
  const tune = useTuneRun();
  const t = optionalInt(targetMs, 0, 60_000);
  const w = optionalInt(workers, 1, 8);
  const pm = optionalInt(pauseMs, 0, 60_000);
  const bad = typeof t !== "number" || typeof w !== "number" || typeof pm !== "number";
  const toggle = paused ? resume : pause;
  const lastToggle = [pause, resume].filter((m) => m.submittedAt > 0).sort((a, b) => b.submittedAt - a.submittedAt)[0];

  return (
    <Card
      title={`Steer run #${run.id}`}
      description="Pause holds the run after the batches in flight; resume goes on from the checkpoint. Tuning applies from the next batch, no restart."
    >
      <div className="flex flex-wrap items-center gap-3">
        <Button variant="secondary" onClick={() => toggle.mutate(undefined)} disabled={toggle.isPending}>
          {paused ? (resume.isPending ? "Resuming…" : "Resume run") : pause.isPending ? "Pausing…" : "Pause run"}
        </Button>
        <span className="text-sm text-zinc-500">
          Now: target {run.targetBatchMs > 0 ? `${fmtInt(run.targetBatchMs)} ms` : "off"}, {fmtInt(run.workers)} {run.workers === 1 ? "worker" : "workers"},
          pause {fmtInt(run.pauseMs)} ms, batch {fmtInt(run.batchSize)}.
        </span>
      </div>
      {lastToggle && <ActionResult m={lastToggle} ok={lastToggle === pause ? "Pause requested." : "Resumed."} />}
      <form
        className="mt-4 flex flex-col gap-3 border-t border-zinc-100 pt-4"
        aria-label="Tune the run"
        onSubmit={(e) => {
          e.preventDefault();
          if (!bad) tune.mutate({ targetBatchMs: t, workers: w, pauseMs: pm });
        }}
      >
        <div className="grid grid-cols-3 gap-3">
          <label className="flex flex-col gap-1 text-sm font-medium text-zinc-700">
            Target batch (ms)
            <input className={inputClass} inputMode="numeric" value={targetMs} onChange={(e) => setTargetMs(e.target.value)} aria-describedby="tune-hint" />
          </label>
          <label className="flex flex-col gap-1 text-sm font-medium text-zinc-700">
            Workers
            <input className={inputClass} inputMode="numeric" value={workers} onChange={(e) => setWorkers(e.target.value)} aria-describedby="tune-hint" />
          </label>
          <label className="flex flex-col gap-1 text-sm font-medium text-zinc-700">
            Pause (ms)
            <input className={inputClass} inputMode="numeric" value={pauseMs} onChange={(e) => setPauseMs(e.target.value)} aria-describedby="tune-hint" />
          </label>
        </div>
        <p id="tune-hint" className="text-xs text-zinc-500">
          Target 0–60,000 ms (0 = fixed batch size), workers 1–8, pause 0–60,000 ms.
        </p>
        {bad && <p className="text-sm text-red-700">Every field needs a whole number in its range.</p>}
        <div>
          <Button type="submit" disabled={bad || tune.isPending}>
            {tune.isPending ? "Applying…" : "Apply settings"}
          </Button>
        </div>
      </form>
      <ActionResult
        m={tune}
        ok={
          tune.data
            ? `Run #${tune.data.run.id}: target ${fmtInt(tune.data.run.targetBatchMs)} ms, ${fmtInt(tune.data.run.workers)} ${tune.data.run.workers === 1 ? "worker" : "workers"}, pause ${fmtInt(tune.data.run.pauseMs)} ms.`
            : "Applied."
        }
      />
    </Card>
  );
}
