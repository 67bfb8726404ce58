import { LoadingPage, Skeleton } from "@/components/ui/skeleton";

export default function Loading() {
  return (
    <LoadingPage label="Evaluating the rules" titleWidth="w-48">
      <Skeleton className="h-96 rounded-xl" />
    </LoadingPage>
  );
}
