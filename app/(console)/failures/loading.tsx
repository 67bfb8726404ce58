import { LoadingPage, Skeleton, TableSkeleton } from "@/components/ui/skeleton";

export default function Loading() {
  return (
    <LoadingPage label="Loading failures" titleWidth="w-32">
      <Skeleton className="h-10 w-full rounded-xl" />
      <TableSkeleton rows={10} rowHeight="h-6" />
    </LoadingPage>
  );
}
