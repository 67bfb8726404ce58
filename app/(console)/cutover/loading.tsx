import { LoadingPage, StatsSkeleton, TableSkeleton } from "@/components/ui/skeleton";

export default function Loading() {
  return (
    <LoadingPage label="Loading the cut-over gates" titleWidth="w-40" note="Measuring the gates (the way-back check reads every new row).">
      <StatsSkeleton count={3} />
      <TableSkeleton rows={7} rowHeight="h-10" />
    </LoadingPage>
  );
}
