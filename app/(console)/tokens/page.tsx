import type { Metadata } from "next";
import Link from "next/link";
import { connection } from "next/server";
import { PageHeader } from "@/components/console/page-header";
import { EmptyState } from "@/components/ui/empty-state";
import { getDb } from "@/db/client";
import { requirePagePrincipal } from "@/lib/auth/session";
import { listTokens } from "@/lib/auth/tokens";
import { TokensClient } from "./client";

export const metadata: Metadata = { title: "Tokens" };

/** `/tokens`: API tokens for scripts (admin only: they are credentials); a reviewer gets an explanation, never the list. */
export default async function TokensPage() {
  await connection();
  const principal = await requirePagePrincipal({ callbackUrl: "/tokens" });
  if (principal.role !== "admin") {
    return (
      <div className="flex flex-col gap-6">
        <PageHeader title="Tokens" description="API tokens let scripts call the console's API with Authorization: Bearer." />
        <EmptyState
          title="Admins only"
          description="API tokens are credentials, so only an admin can see, create or revoke them. Ask an admin for a reviewer token if a script of yours needs to read the API."
          action={
            <Link href="/api-docs" className="text-sm font-medium text-zinc-700 underline underline-offset-2 hover:text-zinc-900">
              API reference
            </Link>
          }
        />
      </div>
    );
  }
  const tokens = await listTokens(await getDb());
  return <TokensClient initialTokens={tokens} />;
}
