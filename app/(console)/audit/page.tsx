import type { Metadata } from "next";
import { connection } from "next/server";
import { getDb } from "@/db/client";
import { AuditQuery } from "@/lib/api/schemas";
import { queryAudit } from "@/lib/audit-query";
import { requirePagePrincipal } from "@/lib/auth/session";
import { AuditClient, type AuditUrlState } from "./client";

export const metadata: Metadata = { title: "Audit" };

type Search = Record<string, string | string[] | undefined>;
const one = (v: string | string[] | undefined) => {
  const s = Array.isArray(v) ? v[0] : v;
  return s === undefined || s.trim() === "" ? undefined : s;
};

/** `/audit`: the audit log newest first; filters and page in the URL, parsed with the API's own schema. */
export default async function AuditPage({ searchParams }: { searchParams: Promise<Search> }) {
  await connection();
  const sp = await searchParams;
  await requirePagePrincipal({ callbackUrl: "/audit" });
  const raw = {
    page: one(sp.page),
    actor: one(sp.actor),
    action: one(sp.action),
    outcome: one(sp.outcome),
    target: one(sp.target),
    from: one(sp.from),
    to: one(sp.to),
  };
  const parsed = AuditQuery.safeParse(raw);
  // Drop only the invalid fields and keep the rest applied.
  const bad = new Set(parsed.success ? [] : parsed.error.issues.map((i) => String(i.path[0] ?? "")));
  const kept = Object.fromEntries(Object.entries(raw).filter(([k]) => !bad.has(k)));
  const retry = parsed.success ? parsed : AuditQuery.safeParse(kept);
  const q = retry.success ? retry.data : AuditQuery.parse({});
  const state: AuditUrlState = { page: q.page, actor: q.actor, action: q.action, outcome: q.outcome, target: q.target, from: q.from, to: q.to };
  const data = await queryAudit(await getDb(), { ...state, limit: q.limit });
  return (
    <AuditClient
      initialData={data}
      state={state}
      raw={raw}
      problem={parsed.success ? null : `${parsed.error.issues.map((i) => `${i.path.join(".") || "query"}: ${i.message}`).join("; ")} (ignored)`}
    />
  );
}
