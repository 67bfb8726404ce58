import type { Metadata } from "next";
import { connection } from "next/server";
import { getDb, getDbHandle } from "@/db/client";
import { requirePagePrincipal } from "@/lib/auth/session";
import { getVerifyReport } from "@/lib/migration/verify";
import { VerifyClient } from "./client";

export const metadata: Metadata = { title: "Verify" };

/** `/verify`: the system state and the dry run of the rules over every legacy prestamo. */
export default async function VerifyPage() {
  await connection();
  await requirePagePrincipal({ callbackUrl: "/verify" });
  const report = await getVerifyReport(await getDb(), { driver: (await getDbHandle()).driver });
  return <VerifyClient initialData={report} />;
}
