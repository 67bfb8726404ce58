import Link from "next/link";
import type { ReactNode } from "react";
import { buttonClass } from "./button";
import { cn } from "./cn";

function PageLink({ href, rel, children }: { href: string | null; rel: "prev" | "next"; children: ReactNode }) {
  return href !== null ? (
    <Link href={href} className={buttonClass("secondary", "sm")} rel={rel}>
      {children}
    </Link>
  ) : (
    <span className={buttonClass("secondary", "sm", "pointer-events-none opacity-40")} aria-disabled="true">
      {children}
    </span>
  );
}

/** Previous / next links under a paged table (greyed out at either end); `summary` says where the reader is. */
export function Pager({ summary, prevHref, nextHref, first }: { summary: ReactNode; prevHref: string | null; nextHref: string | null; first?: ReactNode }) {
  return (
    <nav aria-label="Pages" className="flex items-center justify-between">
      <p className="tabular text-sm text-zinc-500">{summary}</p>
      <div className="flex gap-2">
        {first}
        <PageLink href={prevHref} rel="prev">
          ‹ Previous
        </PageLink>
        <PageLink href={nextHref} rel="next">
          Next ›
        </PageLink>
      </div>
    </nav>
  );
}

/** A filter as a link chip; the active one is filled and marked as the current page. */
export function FilterChip({ href, active, children }: { href: string; active: boolean; children: ReactNode }) {
  return (
    <Link
      href={href}
      aria-current={active ? "page" : undefined}
      className={cn(
        "inline-flex items-center gap-1.5 rounded-full px-3 py-1 text-xs font-medium ring-1 ring-inset focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-zinc-900",
        active ? "bg-zinc-900 text-white ring-zinc-900" : "bg-white text-zinc-700 ring-zinc-300 hover:bg-zinc-50",
      )}
    >
      {children}
    </Link>
  );
}
