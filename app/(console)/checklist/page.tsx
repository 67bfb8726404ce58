import type { Metadata } from "next";
import { connection } from "next/server";
import { getDb } from "@/db/client";
import { requirePagePrincipal } from "@/lib/auth/session";
import { getChecklist } from "@/lib/migration/checklist";
import { CutoverPhase } from "../cutover-phase";
import { ChecklistClient } from "./client";

export const metadata: Metadata = { title: "Checklist & report" };

/** `/checklist`: the post-migration checklist, measured (one consistency walk), and the report download. */
export default async function ChecklistPage() {
  await connection();
  const principal = await requirePagePrincipal({ callbackUrl: "/checklist" });
  const checklist = await getChecklist(await getDb());
  return (
    <div className="flex flex-col gap-6">
      <CutoverPhase />
      <ChecklistClient initialData={checklist} isAdmin={principal.role === "admin"} />
    </div>
  );
}
