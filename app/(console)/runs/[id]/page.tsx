import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { connection } from "next/server";
import { getDb } from "@/db/client";
import { IdParams } from "@/lib/api/schemas";
import { requirePagePrincipal } from "@/lib/auth/session";
import { AppError } from "@/lib/errors";
import { getMetrics } from "@/lib/migration/metrics";
import { getRunDetail, listRuns } from "@/lib/migration/run-history";
import { RunDetailClient } from "./client";

export const metadata: Metadata = { title: "Run" };

const CHART_LIMIT = 200;

/** `/runs/[id]`: one run, its outcome and settings, its batches as charts, and a picker of the other runs. */
export default async function RunPage({ params }: { params: Promise<{ id: string }> }) {
  await connection();
  const raw = await params;
  await requirePagePrincipal({ callbackUrl: `/runs/${encodeURIComponent(raw.id)}` });
  const parsed = IdParams.safeParse(raw);
  if (!parsed.success) notFound();
  const db = await getDb();
  const found = await Promise.all([
    getRunDetail(db, parsed.data.id),
    getMetrics(db, { runId: parsed.data.id, limit: CHART_LIMIT }),
    listRuns(db, { limit: 50 }),
  ]).catch((err: unknown) => {
    if (err instanceof AppError && err.code === "NOT_FOUND") return null;
    throw err;
  });
  if (!found) notFound();
  const [detail, metrics, recent] = found;
  return (
    <RunDetailClient
      initialDetail={detail}
      initialMetrics={metrics}
      recent={recent.items.map((r) => ({ id: r.id, status: r.status, startedAt: r.startedAt }))}
      limit={CHART_LIMIT}
    />
  );
}
