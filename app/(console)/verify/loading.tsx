import { LoadingPage, Skeleton, StatsSkeleton } from "@/components/ui/skeleton";

export default function Loading() {
  return (
    <LoadingPage label="Running the dry run" titleWidth="w-32" note="Running the rules over every legacy prestamo…">
      <StatsSkeleton />
      <Skeleton className="h-72 w-full rounded-xl" />
    </LoadingPage>
  );
}
