import { cn } from "./cn";

/** A plain, legible table: wrap in <Table>, then THead/TBody with Tr, Th, Td. */
export function Table({ className, children, caption }: { className?: string; children: React.ReactNode; caption?: React.ReactNode }) {
  return (
    // relative: an absolutely placed child (a screen-reader-only header) scrolls with the table instead of widening the page.
    <div className={cn("relative overflow-x-auto rounded-xl border border-zinc-200 bg-white shadow-sm", className)}>
      <table className="min-w-full divide-y divide-zinc-200 text-sm">
        {caption && <caption className="sr-only">{caption}</caption>}
        {children}
      </table>
    </div>
  );
}

export function THead({ children }: { children: React.ReactNode }) {
  return <thead className="bg-zinc-50">{children}</thead>;
}

export function TBody({ children }: { children: React.ReactNode }) {
  return <tbody className="divide-y divide-zinc-100">{children}</tbody>;
}

export function Tr({ children, className }: { children: React.ReactNode; className?: string }) {
  return <tr className={cn("hover:bg-zinc-50/60", className)}>{children}</tr>;
}

export function Th({ children, className, align = "left" }: { children?: React.ReactNode; className?: string; align?: "left" | "right" }) {
  return (
    <th
      scope="col"
      className={cn("px-4 py-2.5 text-xs font-semibold uppercase tracking-wide text-zinc-500", align === "right" ? "text-right" : "text-left", className)}
    >
      {children}
    </th>
  );
}

export function Td({ children, className, align = "left" }: { children?: React.ReactNode; className?: string; align?: "left" | "right" }) {
  return <td className={cn("px-4 py-2.5 text-zinc-700", align === "right" ? "tabular text-right" : "text-left", className)}>{children}</td>;
}
