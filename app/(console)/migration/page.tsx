import type { Metadata } from "next";
import { connection } from "next/server";
import { getDb, getDbHandle } from "@/db/client";
import { requirePagePrincipal } from "@/lib/auth/session";
import { getProgress } from "@/lib/migration/progress";
import { runDefaultsFor } from "@/lib/migration/runs";
import { MigrationClient } from "./client";

export const metadata: Metadata = { title: "Migration" };

/** `/migration`: the run and change capture at a glance; admins steer it. First paint from getProgress, then polled. */
export default async function MigrationPage() {
  await connection();
  const principal = await requirePagePrincipal({ callbackUrl: "/migration" });
  const progress = await getProgress(await getDb());
  return <MigrationClient initialData={progress} isAdmin={principal.role === "admin"} defaults={runDefaultsFor((await getDbHandle()).driver)} />;
}
