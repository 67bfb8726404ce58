import { cn } from "./cn";

/** Something failed: what, what to do, and a reference to quote (never a stack). */
export function ErrorState({
  title,
  description,
  reference,
  action,
  className,
}: {
  title: React.ReactNode;
  description?: React.ReactNode;
  /** A request id or error digest the server log can be searched for. */
  reference?: string;
  action?: React.ReactNode;
  className?: string;
}) {
  return (
    <div role="status" className={cn("rounded-xl border border-red-200 bg-red-50/60 px-6 py-8", className)}>
      <div className="flex items-start gap-3">
        <svg aria-hidden="true" viewBox="0 0 24 24" className="mt-0.5 h-5 w-5 shrink-0 text-red-600" fill="none" stroke="currentColor" strokeWidth="1.8">
          <path
            d="M12 9v4m0 3.5h.01M10.3 3.9 2.6 17.3A2 2 0 0 0 4.3 20.3h15.4a2 2 0 0 0 1.7-3l-7.7-13.4a2 2 0 0 0-3.4 0Z"
            strokeLinecap="round"
            strokeLinejoin="round"
          />
        </svg>
        <div className="min-w-0">
          <h2 className="text-base font-semibold text-red-900">{title}</h2>
          {description && <p className="mt-1 text-sm text-red-800">{description}</p>}
          {reference && (
            <p className="mt-2 text-xs text-red-700">
              Reference <code className="font-mono">{reference}</code>
            </p>
          )}
          {action && <div className="mt-4 flex items-center gap-3">{action}</div>}
        </div>
      </div>
    </div>
  );
}
