import type { Metadata } from "next";
import { connection } from "next/server";
import { getDb } from "@/db/client";
import { requirePagePrincipal } from "@/lib/auth/session";
import { listTestData } from "@/lib/migration/test-data";
import { TEST_DATA_DEFAULTS, TEST_DATA_MAX_COUNT } from "@/lib/migration/test-data-plan";
import { TestDataClient } from "./client";

export const metadata: Metadata = { title: "Test data" };

/** `/test-data`: the tracked legacy test sets; admins create and remove them, reviewers read. */
export default async function TestDataPage() {
  await connection();
  const principal = await requirePagePrincipal({ callbackUrl: "/test-data" });
  const data = await listTestData(await getDb());
  return <TestDataClient initialData={data} isAdmin={principal.role === "admin"} defaults={{ ...TEST_DATA_DEFAULTS }} maxCount={TEST_DATA_MAX_COUNT} />;
}
