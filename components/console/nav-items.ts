import type { Role } from "@/db/schema";

export interface NavItem {
  href: string;
  label: string;
  /** The least role that sees the link (admin satisfies reviewer). The pages and API still check. */
  role: Role;
}

export interface NavSection {
  label: string;
  items: NavItem[];
}

export const NAV: NavSection[] = [
  {
    label: "Migration",
    items: [
      { href: "/", label: "Overview", role: "reviewer" },
      { href: "/preflight", label: "Pre-flight", role: "reviewer" },
      { href: "/migration", label: "Migration run", role: "reviewer" },
      { href: "/runs", label: "Runs", role: "reviewer" },
      { href: "/verify", label: "Verify", role: "reviewer" },
      { href: "/prestamos", label: "Prestamos", role: "reviewer" },
      { href: "/consistency", label: "Consistency", role: "reviewer" },
      { href: "/failures", label: "Failures", role: "reviewer" },
      { href: "/metrics", label: "Metrics", role: "reviewer" },
      { href: "/checklist", label: "Checklist & report", role: "reviewer" },
      { href: "/cutover", label: "Cut-over", role: "reviewer" },
    ],
  },
  { label: "Records", items: [{ href: "/audit", label: "Audit", role: "reviewer" }] },
  {
    label: "Integrations",
    items: [
      { href: "/webhooks", label: "Webhooks", role: "reviewer" },
      { href: "/api-docs", label: "API reference", role: "reviewer" },
    ],
  },
  {
    label: "Administration",
    items: [
      { href: "/users", label: "Users", role: "admin" },
      { href: "/tokens", label: "Tokens", role: "admin" },
      { href: "/test-data", label: "Test data", role: "admin" },
    ],
  },
];

/** The sections a role sees, empty sections dropped. Decided on the server: a reviewer's HTML holds no admin links. */
export function navFor(role: Role): NavSection[] {
  return NAV.map((s) => ({ ...s, items: s.items.filter((i) => i.role === "reviewer" || role === "admin") })).filter((s) => s.items.length > 0);
}
