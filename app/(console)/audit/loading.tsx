import { LoadingPage, Skeleton, TableSkeleton } from "@/components/ui/skeleton";

export default function Loading() {
  return (
    <LoadingPage label="Loading the audit log" titleWidth="w-28">
      <Skeleton className="h-24 w-full rounded-xl" />
      <TableSkeleton rows={12} />
    </LoadingPage>
  );
}
