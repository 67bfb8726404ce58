import { LoadingPage, Skeleton, StatsSkeleton } from "@/components/ui/skeleton";

export default function Loading() {
  return (
    <LoadingPage label="Loading the migration" titleWidth="w-40">
      <div className="grid grid-cols-2 gap-4">
        <Skeleton className="h-28 rounded-xl" />
        <Skeleton className="h-28 rounded-xl" />
      </div>
      <Skeleton className="h-40 w-full rounded-xl" />
      <StatsSkeleton />
    </LoadingPage>
  );
}
