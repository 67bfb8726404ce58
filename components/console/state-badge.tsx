import { Badge, type BadgeTone } from "@/components/ui/badge";

export type PrestamoStateName = "pending" | "migrated" | "failed" | "rolled_back";

const STATE: Record<PrestamoStateName, { label: string; tone: BadgeTone; icon: string }> = {
  pending: { label: "Pending", tone: "neutral", icon: "○" },
  migrated: { label: "Migrated", tone: "success", icon: "✓" },
  failed: { label: "Failed", tone: "danger", icon: "✕" },
  rolled_back: { label: "Rolled back", tone: "warning", icon: "↶" },
};

/** A prestamo's migration state in words and a glyph (never colour alone); `stale` adds its own badge. */
export function StateBadge({ state, stale }: { state: PrestamoStateName; stale?: boolean }) {
  const s = STATE[state];
  return (
    <span className="inline-flex items-center gap-1.5">
      <Badge tone={s.tone}>
        <span aria-hidden="true" className="mr-1">
          {s.icon}
        </span>
        {s.label}
      </Badge>
      {stale && (
        <Badge tone="info">
          <span aria-hidden="true" className="mr-1">
            ↻
          </span>
          Stale
        </Badge>
      )}
    </span>
  );
}
