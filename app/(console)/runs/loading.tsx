import { LoadingPage, Skeleton } from "@/components/ui/skeleton";

export default function Loading() {
  return (
    <LoadingPage label="Loading the runs" titleWidth="w-24">
      <Skeleton className="h-96 rounded-xl" />
    </LoadingPage>
  );
}
