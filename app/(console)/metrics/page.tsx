import type { Metadata } from "next";
import { connection } from "next/server";
import { getDb } from "@/db/client";
import { requirePagePrincipal } from "@/lib/auth/session";
import { getMetrics } from "@/lib/migration/metrics";
import { MetricsClient } from "./client";

export const metadata: Metadata = { title: "Metrics" };

const LIMIT = 200;

/** `/metrics`: per-batch time series of the current (or latest) run and the process's figures; live while a run is active. */
export default async function MetricsPage() {
  await connection();
  await requirePagePrincipal({ callbackUrl: "/metrics" });
  const metrics = await getMetrics(await getDb(), { limit: LIMIT });
  return <MetricsClient initialData={metrics} limit={LIMIT} />;
}
