"use client";

import Link from "next/link";
import { useId, useState } from "react";
import { Badge, type BadgeTone } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { errorMessage } from "@/lib/api/client";
import type { ConfirmPhase } from "@/lib/migration/vocabulary";
import { useConfirmation } from "@/lib/api/queries";
import type { CheckItem, ItemState } from "@/lib/migration/check-items";

/** The items of the pre-flight and of the checklist: state, figure, why it matters, evidence, and the confirm controls. */

export const STATE_LOOK: Record<ItemState, { label: string; tone: BadgeTone; icon: string }> = {
  pass: { label: "Pass", tone: "success", icon: "✓" },
  confirmed: { label: "Confirmed", tone: "info", icon: "✓" },
  warn: { label: "Warning", tone: "warning", icon: "!" },
  fail: { label: "Fail", tone: "danger", icon: "✕" },
  unmeasured: { label: "Not measurable yet", tone: "neutral", icon: "–" },
};

const PAGE_NAMES: Record<string, string> = {
  "/verify": "Verify",
  "/failures": "Failures",
  "/consistency": "Consistency",
  "/migration": "Migration",
  "/test-data": "Test data",
  "/preflight": "Pre-flight",
  "/runs": "Runs",
};
/** An evidence link by the name of the page it opens, not its path. */
const evidenceName = (link: string) => `See it on ${PAGE_NAMES[link.split("?")[0]] ?? "its page"}`;

export function StateBadge({ state }: { state: ItemState }) {
  const look = STATE_LOOK[state];
  return (
    <Badge tone={look.tone} className="min-w-[6.5rem] justify-center px-2 py-1">
      <span aria-hidden="true" className="mr-1">
        {look.icon}
      </span>
      {look.label}
    </Badge>
  );
}

export function Summary({ items }: { items: CheckItem[] }) {
  const count = (s: ItemState) => items.filter((i) => i.state === s).length;
  return (
    <ul className="flex flex-wrap gap-2 text-sm" aria-label="Items by state">
      {(["fail", "unmeasured", "warn", "pass", "confirmed"] as const)
        .filter((s) => s !== "unmeasured" || count(s) > 0)
        .map((s) => (
          <li key={s} className="flex items-center gap-1.5 rounded-lg bg-white px-3 py-1.5 shadow-sm ring-1 ring-zinc-200">
            <span className="tabular font-semibold text-zinc-900" data-testid={`count-${s}`}>
              {count(s)}
            </span>
            <span className="text-zinc-600">{STATE_LOOK[s].label.toLowerCase()}</span>
          </li>
        ))}
    </ul>
  );
}

export function CheckItems({
  items,
  phase,
  isAdmin,
  onChanged,
}: {
  items: CheckItem[];
  phase: "preflight" | "checklist";
  isAdmin: boolean;
  onChanged: () => void;
}) {
  const groups = [...new Set(items.map((i) => i.group))];
  return (
    <div className="flex flex-col gap-5">
      {groups.map((g) => (
        <section key={g} aria-labelledby={`grp-${g}`}>
          <h2 id={`grp-${g}`} className="mb-2 text-xs font-semibold uppercase tracking-wide text-zinc-500">
            {g}
          </h2>
          <ul className="divide-y divide-zinc-100 overflow-hidden rounded-xl border border-zinc-200 bg-white shadow-sm">
            {items
              .filter((i) => i.group === g)
              .map((i) => (
                <li key={i.id} className="grid grid-cols-[7.5rem_1fr] gap-4 px-5 py-3.5" data-testid={`item-${i.id}`} data-state={i.state}>
                  <div className="pt-0.5">
                    <StateBadge state={i.state} />
                  </div>
                  <div className="min-w-0">
                    <div className="flex flex-wrap items-baseline justify-between gap-x-4 gap-y-1">
                      <h3 className="text-sm font-semibold text-zinc-900">{i.label}</h3>
                      {i.link && (
                        <Link href={i.link} className="text-xs font-medium text-sky-700 underline-offset-2 hover:underline">
                          {evidenceName(i.link)} →
                        </Link>
                      )}
                    </div>
                    <p className="tabular mt-1 break-words text-sm text-zinc-800">{i.figure}</p>
                    <p className="mt-1 text-xs text-zinc-500">{i.why}</p>
                    {i.id.startsWith("confirm.") && isAdmin && (
                      <ConfirmControl phase={phase} item={i.id.slice("confirm.".length)} confirmed={i.state === "confirmed"} onChanged={onChanged} />
                    )}
                  </div>
                </li>
              ))}
          </ul>
        </section>
      ))}
    </div>
  );
}

const PLACEHOLDER: Record<string, string> = {
  backup_taken: "Reference, e.g. the backup file's name (optional)",
  team_notified: "Reference, e.g. a ticket or message link (optional)",
  issues_documented: "Reference, e.g. the ticket or document (optional)",
  final_backup_taken: "Reference, e.g. the backup file's name (optional)",
};

const inputClass =
  "h-8 w-80 max-w-full rounded-lg border-0 bg-white px-3 text-sm text-zinc-900 shadow-sm ring-1 ring-inset ring-zinc-300 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-zinc-900";

function ConfirmControl({ phase, item, confirmed, onChanged }: { phase: ConfirmPhase; item: string; confirmed: boolean; onChanged: () => void }) {
  const id = useId();
  const [reference, setReference] = useState("");
  const m = useConfirmation(phase, { onSuccess: () => setReference(""), onSettled: onChanged });
  return (
    <div className="mt-2.5">
      {confirmed ? (
        <Button size="sm" variant="secondary" onClick={() => m.mutate({ action: "withdraw", item })} disabled={m.isPending}>
          {m.isPending ? "Withdrawing…" : "Withdraw confirmation"}
        </Button>
      ) : (
        <form
          className="flex flex-wrap items-center gap-2"
          onSubmit={(e) => {
            e.preventDefault();
            m.mutate({ action: "confirm", item, reference: reference || undefined });
          }}
        >
          <label htmlFor={`${id}-ref`} className="sr-only">
            Reference (optional)
          </label>
          <input
            id={`${id}-ref`}
            className={inputClass}
            placeholder={PLACEHOLDER[item] ?? "Reference (optional)"}
            maxLength={500}
            value={reference}
            onChange={(e) => setReference(e.target.value)}
          />
          <Button size="sm" type="submit" disabled={m.isPending}>
            {m.isPending ? "Confirming…" : "Confirm"}
          </Button>
        </form>
      )}
      {m.isError && (
        <p role="alert" className="mt-2 text-sm text-red-700">
          Refused: {errorMessage(m.error)}
        </p>
      )}
    </div>
  );
}
