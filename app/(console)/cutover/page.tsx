import type { Metadata } from "next";
import { connection } from "next/server";
import { getDb } from "@/db/client";
import { requirePagePrincipal } from "@/lib/auth/session";
import { getCutoverStatus } from "@/lib/migration/cutover";
import { cutoverGateInputs } from "@/lib/server/cutover-inputs";
import { CutoverClient } from "./client";

export const metadata: Metadata = { title: "Cut-over" };

/** `/cutover`: the phase, the gates live, the switches with their timings, and the typed confirmations. */
export default async function CutoverPage() {
  await connection();
  const principal = await requirePagePrincipal({ callbackUrl: "/cutover" });
  const db = await getDb();
  const status = await getCutoverStatus(db, await cutoverGateInputs(db));
  return <CutoverClient initialData={status} isAdmin={principal.role === "admin"} />;
}
