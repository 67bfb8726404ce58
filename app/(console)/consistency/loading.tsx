import { LoadingPage, Skeleton, StatsSkeleton } from "@/components/ui/skeleton";

export default function Loading() {
  return (
    <LoadingPage label="Checking consistency" titleWidth="w-44" note="Comparing the migrated prestamos with the legacy rows…">
      <StatsSkeleton height="h-28" />
      <Skeleton className="h-64 w-full rounded-xl" />
    </LoadingPage>
  );
}
