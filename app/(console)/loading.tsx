import { Skeleton } from "@/components/ui/skeleton";

/** Shown while a console page reads the database: the overview's shape, in grey. */
export default function Loading() {
  return (
    <div className="flex flex-col gap-8" role="status" aria-label="Loading">
      <div>
        <Skeleton className="h-7 w-40" />
        <Skeleton className="mt-2 h-4 w-96" />
      </div>
      <div className="grid grid-cols-1 gap-4 md:grid-cols-3">
        {[0, 1, 2].map((i) => (
          <div key={i} className="rounded-xl border border-zinc-200 bg-white px-5 py-4 shadow-sm">
            <Skeleton className="h-4 w-24" />
            <Skeleton className="mt-3 h-8 w-20" />
            <Skeleton className="mt-2 h-4 w-32" />
          </div>
        ))}
      </div>
      <Skeleton className="h-48 w-full rounded-xl" />
      <span className="sr-only">Loading…</span>
    </div>
  );
}
