"use client";

import Link from "next/link";
import type { ProgressDTO } from "@/lib/migration/progress";
import { EndCaptureCard } from "./end-capture";
import { RollbackAllCard } from "./rollback-all";
import { RunSteering } from "./run-steering";
import type { StartDefaults, StartForm } from "./start-form";
import { StartRunCard } from "./start-run";
import { StopRunCard } from "./stop-run";

/** What an admin does to the run: start, steer, stop, roll back everything, end change capture. */
export function AdminControls({ p, defaults, form, setForm }: { p: ProgressDTO; defaults: StartDefaults; form: StartForm; setForm: (f: StartForm) => void }) {
  const active = p.run?.active ?? false;
  return (
    <section aria-labelledby="controls" className="flex flex-col gap-4">
      <h2 id="controls" className="text-sm font-semibold uppercase tracking-wide text-zinc-500">
        Controls
      </h2>
      <div className="grid grid-cols-1 gap-4 lg:grid-cols-2">
        <StartRunCard p={p} defaults={defaults} form={form} setForm={setForm} />
        {active && p.run && <RunSteering run={p.run} />}
        <StopRunCard active={active} />
        <RollbackAllCard />
        <EndCaptureCard enabled={p.capture.enabled} backlog={p.capture.backlog} />
      </div>
      <p className="text-sm text-zinc-500">
        Every action is recorded in the{" "}
        <Link href="/audit" className="font-medium text-zinc-700 underline underline-offset-2 hover:text-zinc-900">
          audit log
        </Link>
        .
      </p>
    </section>
  );
}
