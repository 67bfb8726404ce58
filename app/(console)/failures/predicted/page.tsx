import type { Metadata } from "next";
import { connection } from "next/server";
import { getDb } from "@/db/client";
import { PredictedFailuresQuery } from "@/lib/api/schemas";
import { requirePagePrincipal } from "@/lib/auth/session";
import { listPredictedFailures } from "@/lib/migration/predicted-failures";
import { PredictedFailuresClient } from "./client";

export const metadata: Metadata = { title: "Predicted failures" };

type Search = Record<string, string | string[] | undefined>;
const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

/** `/failures/predicted`: what the rules refuse now, before any run (`?code=&after=`, the API's schema). */
export default async function PredictedFailuresPage({ searchParams }: { searchParams: Promise<Search> }) {
  await connection();
  const sp = await searchParams;
  await requirePagePrincipal({ callbackUrl: "/failures/predicted" });
  const parsed = PredictedFailuresQuery.safeParse({ code: one(sp.code) || undefined, after: one(sp.after) || undefined, limit: one(sp.limit) || undefined });
  const query = parsed.success ? parsed.data : PredictedFailuresQuery.parse({});
  const data = await listPredictedFailures(await getDb(), query);
  return <PredictedFailuresClient data={data} badQuery={!parsed.success} />;
}
