import { cn } from "./cn";

/** The console's text input look (the Migration page's, shared). */
export const inputClass =
  "tabular h-9 w-full rounded-lg border-0 bg-white px-3 text-sm text-zinc-900 shadow-sm ring-1 ring-inset ring-zinc-300 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-zinc-900 disabled:bg-zinc-50 disabled:text-zinc-500";

/** A labelled control with an optional hint underneath. */
export function Field({ label, hint, children, className }: { label: React.ReactNode; hint?: React.ReactNode; children: React.ReactNode; className?: string }) {
  return (
    <label className={cn("flex flex-col gap-1 text-sm font-medium text-zinc-700", className)}>
      {label}
      {children}
      {hint && <span className="text-xs font-normal text-zinc-500">{hint}</span>}
    </label>
  );
}

/** An action's outcome shown where it was taken: refused (red, role=alert) or done (green, role=status). */
export function Notice({
  tone,
  children,
  className,
  testId,
}: {
  tone: "ok" | "error" | "warning";
  children: React.ReactNode;
  className?: string;
  testId?: string;
}) {
  const look = {
    ok: "bg-emerald-50 text-emerald-800 ring-emerald-200",
    error: "bg-red-50 text-red-800 ring-red-200",
    warning: "bg-amber-50 text-amber-900 ring-amber-200",
  }[tone];
  return (
    <div role={tone === "error" ? "alert" : "status"} data-testid={testId} className={cn("rounded-lg px-3 py-2 text-sm ring-1 ring-inset", look, className)}>
      <span aria-hidden="true">{tone === "ok" ? "✓ " : tone === "error" ? "✕ " : "⚠ "}</span>
      {children}
    </div>
  );
}
