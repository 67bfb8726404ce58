import { cn } from "./cn";

type Tone = "neutral" | "success" | "warning" | "danger";

const toneClass: Record<Tone, string> = {
  neutral: "text-zinc-900",
  success: "text-emerald-700",
  warning: "text-amber-700",
  danger: "text-red-700",
};

/** One figure with its label; `hint` explains it in a line. */
export function Stat({
  label,
  value,
  hint,
  tone = "neutral",
  className,
}: {
  label: React.ReactNode;
  value: React.ReactNode;
  hint?: React.ReactNode;
  tone?: Tone;
  className?: string;
}) {
  return (
    <div className={cn("rounded-xl border border-zinc-200 bg-white px-5 py-4 shadow-sm", className)}>
      <dt className="text-sm font-medium text-zinc-500">{label}</dt>
      <dd className={cn("tabular mt-1 text-3xl font-semibold tracking-tight", toneClass[tone])}>{value}</dd>
      {hint && <dd className="mt-1 text-sm text-zinc-500">{hint}</dd>}
    </div>
  );
}
