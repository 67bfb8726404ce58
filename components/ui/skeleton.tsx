import type { ReactNode } from "react";
import { cn } from "./cn";

/** A grey block that pulses where content is coming. Screen readers hear the surrounding status text instead. */
export function Skeleton({ className }: { className?: string }) {
  return <div aria-hidden="true" className={cn("animate-pulse rounded-md bg-zinc-200/70", className)} />;
}

/**
 * A page's loading state: a status region named `label`, the title and description as
 * skeletons, then the page's own blocks (`children`); `note` says in words what is happening.
 */
export function LoadingPage({ label, titleWidth, children, note }: { label: string; titleWidth: string; children: ReactNode; note?: string }) {
  return (
    <div className="flex flex-col gap-6" role="status" aria-label={label}>
      <div>
        <Skeleton className={cn("h-7", titleWidth)} />
        <Skeleton className="mt-2 h-4 w-[28rem] max-w-full" />
      </div>
      {children}
      {note ? <p className="text-sm text-zinc-500">{note}</p> : <span className="sr-only">Loading…</span>}
    </div>
  );
}

/** Rows of a table that is loading. */
export function TableSkeleton({ rows, rowHeight = "h-5" }: { rows: number; rowHeight?: string }) {
  return (
    <div className="rounded-xl border border-zinc-200 bg-white p-4 shadow-sm">
      {Array.from({ length: rows }, (_, i) => (
        <Skeleton key={i} className={cn("mb-3 w-full", rowHeight)} />
      ))}
    </div>
  );
}

/** A row of `count` stat cards that are loading. */
export function StatsSkeleton({ count = 4, height = "h-24" }: { count?: number; height?: string }) {
  return (
    <div className="grid grid-cols-4 gap-4">
      {Array.from({ length: count }, (_, i) => (
        <Skeleton key={i} className={cn("rounded-xl", height)} />
      ))}
    </div>
  );
}
