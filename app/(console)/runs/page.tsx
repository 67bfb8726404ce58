import type { Metadata } from "next";
import { connection } from "next/server";
import { getDb } from "@/db/client";
import { RunsQuery } from "@/lib/api/schemas";
import { requirePagePrincipal } from "@/lib/auth/session";
import { listRuns } from "@/lib/migration/run-history";
import { RunsClient } from "./client";

export const metadata: Metadata = { title: "Runs" };

type Search = Record<string, string | string[] | undefined>;
const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

/** `/runs`: every run, newest first (`?before=` pages to older ones, parsed with the API's schema). */
export default async function RunsPage({ searchParams }: { searchParams: Promise<Search> }) {
  await connection();
  const sp = await searchParams;
  await requirePagePrincipal({ callbackUrl: "/runs" });
  const parsed = RunsQuery.safeParse({ before: one(sp.before) || undefined, limit: one(sp.limit) || undefined });
  const query = parsed.success ? parsed.data : RunsQuery.parse({});
  const data = await listRuns(await getDb(), query);
  return <RunsClient initialData={data} query={{ before: query.before ?? null, limit: query.limit }} badQuery={!parsed.success} />;
}
