import { cn } from "./cn";

export function EmptyState({
  title,
  description,
  action,
  className,
}: {
  title: React.ReactNode;
  description?: React.ReactNode;
  action?: React.ReactNode;
  className?: string;
}) {
  return (
    <div className={cn("flex flex-col items-center rounded-xl border border-dashed border-zinc-300 bg-white px-6 py-12 text-center", className)}>
      <svg aria-hidden="true" viewBox="0 0 24 24" className="h-10 w-10 text-zinc-300" fill="none" stroke="currentColor" strokeWidth="1.5">
        <path d="M3.75 7.5 12 3l8.25 4.5M3.75 7.5 12 12m-8.25-4.5v9L12 21m0-9 8.25-4.5M12 12v9m8.25-13.5v9L12 21" strokeLinejoin="round" />
      </svg>
      <h2 className="mt-4 text-base font-semibold text-zinc-900">{title}</h2>
      {description && <p className="mt-1 max-w-md text-sm text-zinc-500">{description}</p>}
      {action && <div className="mt-6 flex items-center gap-3">{action}</div>}
    </div>
  );
}
