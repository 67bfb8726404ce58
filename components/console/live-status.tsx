"use client";

import { useEffect, useState } from "react";
import { cn } from "@/components/ui/cn";
import { errorMessage } from "@/lib/api/client";
import { fmtTime } from "@/lib/format";

/**
 * "Live · updated 10:04:05" or "Stale · last update …" when polling fails or falls behind:
 * the figures on screen may be old, and the text (not only the dot's colour) says so.
 */
export function LiveStatus({
  updatedAt,
  error,
  intervalMs,
  isFetching,
}: {
  updatedAt: number;
  error: unknown;
  intervalMs: number | false;
  isFetching?: boolean;
}) {
  // 0 until mounted: the server's render and the first client render must be the same text.
  const [now, setNow] = useState(0);
  useEffect(() => {
    const tick = () => setNow(Date.now());
    const first = setTimeout(tick, 0);
    const t = setInterval(tick, 1000);
    return () => {
      clearTimeout(first);
      clearInterval(t);
    };
  }, []);
  const mounted = now > 0;
  const late = mounted && intervalMs !== false && updatedAt > 0 && now - updatedAt > Math.max(3 * intervalMs, 10_000);
  const stale = (mounted && Boolean(error)) || late;
  const at = mounted && updatedAt ? fmtTime(new Date(updatedAt).toISOString()) : "—";
  return (
    <div
      role="status"
      aria-live="polite"
      data-testid="live-status"
      data-stale={stale ? "true" : "false"}
      className={cn(
        "inline-flex max-w-full items-center gap-2 rounded-lg px-2.5 py-1 text-xs font-medium ring-1 ring-inset",
        stale ? "bg-amber-50 text-amber-900 ring-amber-300" : "bg-white text-zinc-600 ring-zinc-200",
      )}
      title={stale && error ? errorMessage(error) : undefined}
    >
      <span
        aria-hidden="true"
        className={cn("h-2 w-2 shrink-0 rounded-full", stale ? "bg-amber-500" : mounted && isFetching ? "bg-sky-500" : "bg-emerald-500")}
      />
      {stale ? (
        <span className="truncate">
          <strong>Stale</strong> · last update {at}
          {error ? ` · ${errorMessage(error)}` : " · polling is behind"}
        </span>
      ) : (
        <span className="tabular">
          {intervalMs === false ? "Updated" : "Live · updated"} {at}
        </span>
      )}
    </div>
  );
}
