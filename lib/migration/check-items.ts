/**
 * An item of the pre-flight or the checklist: what is checked, its state, and the figure behind
 * it in words; the person-confirmed items of either page; the overall state of a list of items.
 */
import type { Confirmation } from "./confirmations";

/** `unmeasured`: nothing to measure yet (a consistency item before any prestamo is migrated): never a pass. */
export type ItemState = "pass" | "warn" | "fail" | "confirmed" | "unmeasured";

export interface CheckItem {
  id: string;
  group: string;
  label: string;
  state: ItemState;
  /** The figure behind the state, in words. */
  figure: string;
  /** Why it matters. */
  why: string;
  /** Where the evidence is in the console. */
  link?: string;
  /** Person-confirmed items: the standing confirmation (null when not confirmed). */
  confirmation?: Confirmation | null;
  data?: Record<string, unknown>;
}

const CONFIRM_TEXT: Record<string, { label: string; why: string }> = {
  backup_taken: {
    label: "A backup of the legacy tables exists",
    why: "The console never changes legacy rows, but its triggers sit on the application's tables during the whole migration; a backup is the way back from anything unforeseen.",
  },
  team_notified: {
    label: "The team was notified",
    why: "The application's owners and on-call should know that triggers are installed and a run loads the database.",
  },
  issues_documented: {
    label: "Issues are documented",
    why: "Failed prestamos and warnings need an owner and a decision (fix in legacy and retry, or accept) written down.",
  },
  final_backup_taken: {
    label: "A final backup was taken",
    why: "Before the legacy tables are retired, a backup of both the legacy and the new tables is the last way back.",
  },
};

export function confirmationItems(phase: "preflight" | "checklist", confirmations: Record<string, Confirmation | null>): CheckItem[] {
  return Object.entries(confirmations).map(([item, c]) => ({
    id: `confirm.${item}`,
    group: "Confirmed by a person",
    label: CONFIRM_TEXT[item]?.label ?? item,
    state: c ? "confirmed" : "warn",
    figure: c
      ? `confirmed by ${c.confirmedBy} at ${c.confirmedAt}${c.reference ? ` — ${c.reference}` : ""}`
      : `not confirmed: an admin confirms it on the ${phase === "preflight" ? "Pre-flight" : "Checklist"} page`,
    why: CONFIRM_TEXT[item]?.why ?? "",
    confirmation: c,
  }));
}

export function overallOf(items: CheckItem[]): "pass" | "warn" | "fail" {
  return items.some((i) => i.state === "fail") ? "fail" : items.some((i) => i.state === "warn" || i.state === "unmeasured") ? "warn" : "pass";
}

const int = new Intl.NumberFormat("en-US");
/** A count for a figure ("—" when unknown). */
export const count = (x: number | null | undefined) => (x === null || x === undefined ? "—" : int.format(x));
export function bytes(b: number): string {
  const units = ["B", "kB", "MB", "GB", "TB"];
  let v = b;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}
