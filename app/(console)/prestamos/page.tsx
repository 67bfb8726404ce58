import type { Metadata } from "next";
import { connection } from "next/server";
import { getDb } from "@/db/client";
import { PrestamosQuery } from "@/lib/api/schemas";
import { requirePagePrincipal } from "@/lib/auth/session";
import { listPrestamos } from "@/lib/migration/prestamo-list";
import { PrestamosClient } from "./client";

export const metadata: Metadata = { title: "Prestamos" };

type Search = Record<string, string | string[] | undefined>;
const URL_KEYS = ["state", "code", "q", "after", "before", "limit"] as const;

/**
 * The URL state parsed with the API's own query schema; a bad value is dropped (the page says so)
 * rather than failing the page, and the rest still applies.
 */
function parseQuery(sp: Search): { query: PrestamosQuery; dropped: string[] } {
  const raw: Record<string, string | undefined> = {};
  for (const k of URL_KEYS) {
    const v = Array.isArray(sp[k]) ? sp[k][0] : sp[k];
    if (v !== undefined && v !== "") raw[k] = v;
  }
  const first = PrestamosQuery.safeParse(raw);
  if (first.success) return { query: first.data, dropped: [] };
  const dropped = [...new Set(first.error.issues.map((i) => String(i.path[0])))];
  for (const k of dropped) delete raw[k];
  return { query: PrestamosQuery.parse(raw), dropped };
}

/** `/prestamos`: legacy prestamos with their migration state; first paint from the engine, then the client polls GET /api/prestamos. */
export default async function PrestamosPage({ searchParams }: { searchParams: Promise<Search> }) {
  await connection();
  const sp = await searchParams;
  await requirePagePrincipal({ callbackUrl: "/prestamos" });
  const { query, dropped } = parseQuery(sp);
  const initialData = await listPrestamos(await getDb(), query);
  return <PrestamosClient key={JSON.stringify(query)} query={query} initialData={initialData} dropped={dropped} />;
}
