import type { Metadata } from "next";
import { connection } from "next/server";
import { getDb, getDbHandle } from "@/db/client";
import { requirePagePrincipal } from "@/lib/auth/session";
import { getProgress } from "@/lib/migration/progress";
import { runDefaultsFor } from "@/lib/migration/runs";
import { CutoverPhase } from "../cutover-phase";
import { MigrationClient } from "./client";

export const metadata: Metadata = { title: "Migration" };

/** `/migration`: the run and change capture at a glance; admins steer it. First paint from getProgress, then polled. */
export default async function MigrationPage() {
  await connection();
  const principal = await requirePagePrincipal({ callbackUrl: "/migration" });
  const progress = await getProgress(await getDb());
  return (
    <div className="flex flex-col gap-6">
      <CutoverPhase />
      <MigrationClient initialData={progress} isAdmin={principal.role === "admin"} defaults={runDefaultsFor((await getDbHandle()).driver)} />
    </div>
  );
}
