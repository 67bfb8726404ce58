"use client";

import { useState } from "react";
import { Badge } from "@/components/ui/badge";
import { buttonClass } from "@/components/ui/button";
import { apiFetch } from "@/lib/api/client";
import { fmtDuration, fmtInt, fmtTime } from "@/lib/format";
import type { Freshness } from "@/lib/migration/jobs";

/** How old the result of a background job is, whether a fresher one is on its way, and the button that asks for one (GET `askPath`). */
export function JobFreshness({ f, askPath, onAsked, what }: { f: Freshness; askPath: string; onAsked: () => Promise<unknown>; what: string }) {
  const [asking, setAsking] = useState(false);
  const onAsk = async () => {
    setAsking(true);
    try {
      await apiFetch(askPath);
      await onAsked();
    } finally {
      setAsking(false);
    }
  };
  const job = f.running ?? f.queued;
  const progress = f.running?.progress;
  return (
    <div className="-mt-2 flex flex-wrap items-center gap-x-3 gap-y-1 text-sm text-zinc-600" aria-label={`Freshness of the ${what}`}>
      <span>
        {f.checkedAt && f.ageSeconds !== null ? (
          <>
            Finished {fmtDuration(f.ageSeconds)} ago (<time dateTime={f.checkedAt}>{fmtTime(f.checkedAt)}</time>)
          </>
        ) : (
          `No ${what} has finished yet`
        )}
      </span>
      {job && (
        <Badge tone="info">
          {f.running
            ? `running${progress?.total ? ` ${fmtInt(progress.done)} of ${fmtInt(progress.total)}` : "…"}`
            : f.queuedNotBefore
              ? `a ${what} starts at ${fmtTime(f.queuedNotBefore)} (the console rests between long reads)`
              : `a ${what} waits its turn`}
        </Badge>
      )}
      {f.lastFailure && (
        <span className="text-red-700">
          The last {what} failed: {f.lastFailure.error}
        </span>
      )}
      <button type="button" onClick={onAsk} disabled={asking || Boolean(f.queued)} className={buttonClass("secondary", "sm")}>
        {asking ? "Asking…" : "Check again"}
      </button>
    </div>
  );
}
