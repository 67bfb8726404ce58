"use client";

import { useId, useState } from "react";
import { Button } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { cn } from "@/components/ui/cn";
import { ROLLBACK_ALL_CONFIRMATION } from "@/lib/migration/vocabulary";
import { useRollbackAll } from "@/lib/api/queries";
import { fmtInt } from "@/lib/format";
import { ActionResult, inputClass } from "./shared";

/** Roll back everything, behind the typed confirmation the route requires. */
export function RollbackAllCard() {
  const id = useId();
  const [confirmText, setConfirmText] = useState("");
  const rollback = useRollbackAll();
  const confirmed = confirmText === ROLLBACK_ALL_CONFIRMATION;
  return (
    <Card
      id="rollback-all"
      title="Roll back everything"
      description="Stops the active run, empties the new tables and marks every prestamo pending. The legacy tables are not touched."
      className="scroll-mt-6 border-red-200"
    >
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (confirmed) rollback.mutate({ confirm: ROLLBACK_ALL_CONFIRMATION }, { onSuccess: () => setConfirmText("") });
        }}
        className="flex flex-col gap-3"
      >
        <label className="flex flex-col gap-1 text-sm font-medium text-zinc-700" htmlFor={`${id}-rb`}>
          <span>
            Type <code className="rounded bg-zinc-100 px-1 font-mono text-[13px]">{ROLLBACK_ALL_CONFIRMATION}</code> to confirm
          </span>
          <input
            id={`${id}-rb`}
            className={cn(inputClass, "font-mono")}
            autoComplete="off"
            spellCheck={false}
            value={confirmText}
            onChange={(e) => setConfirmText(e.target.value)}
          />
        </label>
        <div>
          <Button type="submit" variant="danger" disabled={!confirmed || rollback.isPending}>
            {rollback.isPending ? "Rolling back…" : "Roll back all"}
          </Button>
        </div>
      </form>
      <ActionResult
        m={rollback}
        ok={
          rollback.data
            ? `Rolled back: ${fmtInt(rollback.data.prestamosRemoved)} prestamos and ${fmtInt(rollback.data.pagosRemoved)} pagos removed from the new tables.`
            : "Rolled back."
        }
      />
    </Card>
  );
}
