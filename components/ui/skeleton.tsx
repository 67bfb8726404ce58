import { cn } from "./cn";

/** A grey block that pulses where content is coming. Screen readers hear the surrounding status text instead. */
export function Skeleton({ className }: { className?: string }) {
  return <div aria-hidden="true" className={cn("animate-pulse rounded-md bg-zinc-200/70", className)} />;
}
