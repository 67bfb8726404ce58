import { Skeleton } from "@/components/ui/skeleton";

export default function Loading() {
  return (
    <div className="flex flex-col gap-6" role="status" aria-label="Loading failures">
      <div>
        <Skeleton className="h-7 w-32" />
        <Skeleton className="mt-2 h-4 w-[28rem]" />
      </div>
      <Skeleton className="h-10 w-full rounded-xl" />
      <div className="rounded-xl border border-zinc-200 bg-white p-4 shadow-sm">
        {Array.from({ length: 10 }, (_, i) => (
          <Skeleton key={i} className="mb-3 h-6 w-full" />
        ))}
      </div>
      <span className="sr-only">Loading…</span>
    </div>
  );
}
