import type { Metadata } from "next";
import { connection } from "next/server";
import { getDb } from "@/db/client";
import { requirePagePrincipal } from "@/lib/auth/session";
import { getPreflight } from "@/lib/migration/preflight";
import { preflightContext } from "@/lib/server/preflight-context";
import { PreflightClient } from "./client";

export const metadata: Metadata = { title: "Pre-flight" };

/** `/preflight`: what must hold before a run starts. First paint from getPreflight (the latest background dry run with its age), then polled. */
export default async function PreflightPage() {
  await connection();
  const principal = await requirePagePrincipal({ callbackUrl: "/preflight" });
  const report = await getPreflight(await getDb(), await preflightContext());
  return <PreflightClient initialData={report} isAdmin={principal.role === "admin"} />;
}
