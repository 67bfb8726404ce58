import { LoadingPage, Skeleton, TableSkeleton } from "@/components/ui/skeleton";

export default function Loading() {
  return (
    <LoadingPage label="Loading prestamos" titleWidth="w-36">
      <Skeleton className="h-20 w-full rounded-xl" />
      <TableSkeleton rows={14} />
    </LoadingPage>
  );
}
