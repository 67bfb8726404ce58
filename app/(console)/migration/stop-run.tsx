"use client";

import { Button } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { useStopRun } from "@/lib/api/queries";
import { fmtId } from "@/lib/format";
import { ActionResult } from "./shared";

/** Stop: ends the active run after its batch. */
export function StopRunCard({ active }: { active: boolean }) {
  const stop = useStopRun();
  return (
    <Card title="Stop the run" description="Ends the active run after its current batch; starting again goes on where the data stands.">
      <Button variant="secondary" onClick={() => stop.mutate(undefined)} disabled={stop.isPending || !active}>
        {stop.isPending ? "Stopping…" : "Stop run"}
      </Button>
      {!active && <span className="ml-3 text-sm text-zinc-500">No run is active.</span>}
      <ActionResult m={stop} ok={stop.data ? `Stop requested for run #${fmtId(stop.data.run.id)}.` : "Stop requested."} />
    </Card>
  );
}
