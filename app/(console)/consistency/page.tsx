import type { Metadata } from "next";
import { connection } from "next/server";
import { getDb } from "@/db/client";
import { ConsistencyQuery } from "@/lib/api/schemas";
import { requirePagePrincipal } from "@/lib/auth/session";
import { readConsistency } from "@/lib/http/reads";
import { ConsistencyClient, type ConsistencyResponse } from "./client";

export const metadata: Metadata = { title: "Consistency" };

type Search = Record<string, string | string[] | undefined>;
const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

/** `/consistency`: the latest background §5 summary with its age and the paged mismatch list (`?category=&page=&from=`, parsed with the API's schema). */
export default async function ConsistencyPage({ searchParams }: { searchParams: Promise<Search> }) {
  await connection();
  const sp = await searchParams;
  await requirePagePrincipal({ callbackUrl: "/consistency" });
  const parsed = ConsistencyQuery.safeParse({
    category: one(sp.category) || undefined,
    page: one(sp.page) || undefined,
    limit: one(sp.limit) || undefined,
    from: one(sp.from) || undefined,
  });
  const query = parsed.success ? parsed.data : ConsistencyQuery.parse({});
  const db = await getDb();
  // The same read as the API (the background check's latest result, the page under the cap).
  const initial: ConsistencyResponse = await readConsistency(db, {
    category: query.category,
    page: query.page,
    limit: query.limit,
    from: query.from,
    fresh: null,
  });
  return (
    <ConsistencyClient
      initialData={initial}
      query={{ category: query.category ?? null, page: query.page, limit: query.limit, from: query.from ?? null }}
      badQuery={!parsed.success}
    />
  );
}
