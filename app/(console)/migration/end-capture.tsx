"use client";

import { useState } from "react";
import { Button } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { useEndCapture } from "@/lib/api/queries";
import { fmtInt } from "@/lib/format";
import { ActionResult } from "./shared";

/** End change capture: drops the triggers, after a second click that says what stops. */
export function EndCaptureCard({ enabled, backlog }: { enabled: boolean; backlog: number }) {
  const [confirming, setConfirming] = useState(false);
  const cleanup = useEndCapture();
  return (
    <Card
      title="End change capture"
      description="Drops the triggers on the legacy tables once the new schema has taken over. Not possible while a run is active."
    >
      {!confirming ? (
        <Button variant="secondary" onClick={() => setConfirming(true)} disabled={!enabled || cleanup.isPending}>
          End change capture…
        </Button>
      ) : (
        <div className="flex flex-col gap-3 rounded-lg bg-amber-50 px-3 py-3 ring-1 ring-inset ring-amber-200">
          <p className="text-sm text-amber-900">
            After this, changes to the legacy tables are no longer synced to the new ones. Pending changes ({fmtInt(backlog)}) are drained first.
          </p>
          <div className="flex gap-2">
            <Button variant="danger" disabled={cleanup.isPending} onClick={() => cleanup.mutate(undefined, { onSettled: () => setConfirming(false) })}>
              {cleanup.isPending ? "Ending capture…" : "Yes, end change capture"}
            </Button>
            <Button variant="ghost" onClick={() => setConfirming(false)}>
              Cancel
            </Button>
          </div>
        </div>
      )}
      {!enabled && !confirming && <span className="ml-3 text-sm text-zinc-500">Capture is off.</span>}
      <ActionResult m={cleanup} ok={cleanup.data ? `Change capture ended (${fmtInt(cleanup.data.drained)} pending changes synced first).` : "Ended."} />
    </Card>
  );
}
