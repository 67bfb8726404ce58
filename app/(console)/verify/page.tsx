import type { Metadata } from "next";
import { connection } from "next/server";
import { getDb } from "@/db/client";
import { requirePagePrincipal } from "@/lib/auth/session";
import { readVerify } from "@/lib/http/reads";
import { VerifyClient } from "./client";

export const metadata: Metadata = { title: "Verify" };

/** `/verify`: the latest background verify report (system state, dry run of the rules) with its age. */
export default async function VerifyPage() {
  await connection();
  await requirePagePrincipal({ callbackUrl: "/verify" });
  return <VerifyClient initialData={await readVerify(await getDb(), null)} />;
}
