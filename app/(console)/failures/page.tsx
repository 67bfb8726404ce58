import type { Metadata } from "next";
import { connection } from "next/server";
import { getDb } from "@/db/client";
import { FailuresQuery } from "@/lib/api/schemas";
import { requirePagePrincipal } from "@/lib/auth/session";
import { listFailures } from "@/lib/migration/failures";
import { FailuresClient } from "./client";

export const metadata: Metadata = { title: "Failures" };

type Search = Record<string, string | string[] | undefined>;
const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

/** `/failures`: failed prestamos with their rules, by code (`?code=&page=`, parsed with the API's schema). */
export default async function FailuresPage({ searchParams }: { searchParams: Promise<Search> }) {
  await connection();
  const sp = await searchParams;
  const principal = await requirePagePrincipal({ callbackUrl: "/failures" });
  const parsed = FailuresQuery.safeParse({ code: one(sp.code) || undefined, page: one(sp.page) || undefined, limit: one(sp.limit) || undefined });
  const query = parsed.success ? parsed.data : FailuresQuery.parse({});
  const data = await listFailures(await getDb(), query);
  return (
    <FailuresClient
      initialData={data}
      query={{ code: query.code ?? null, page: query.page, limit: query.limit }}
      badQuery={!parsed.success}
      isAdmin={principal.role === "admin"}
    />
  );
}
