import type { Metadata } from "next";
import { connection } from "next/server";
import { getDb } from "@/db/client";
import { ConsistencyQuery } from "@/lib/api/schemas";
import { requirePagePrincipal } from "@/lib/auth/session";
import { getConsistencySummary, listMismatches } from "@/lib/migration/consistency";
import { ConsistencyClient, type ConsistencyResponse } from "./client";

export const metadata: Metadata = { title: "Consistency" };

type Search = Record<string, string | string[] | undefined>;
const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

/** `/consistency`: §5 summary and the paged mismatch list (`?category=&page=`, parsed with the API's schema). */
export default async function ConsistencyPage({ searchParams }: { searchParams: Promise<Search> }) {
  await connection();
  const sp = await searchParams;
  await requirePagePrincipal({ callbackUrl: "/consistency" });
  const parsed = ConsistencyQuery.safeParse({ category: one(sp.category) || undefined, page: one(sp.page) || undefined, limit: one(sp.limit) || undefined });
  const query = parsed.success ? parsed.data : ConsistencyQuery.parse({});
  const db = await getDb();
  const summary = await getConsistencySummary(db);
  const mismatches = await listMismatches(db, { category: query.category, page: query.page, limit: query.limit });
  const initial: ConsistencyResponse = { summary, mismatches };
  return <ConsistencyClient initialData={initial} query={{ category: query.category ?? null, page: query.page, limit: query.limit }} badQuery={!parsed.success} />;
}
