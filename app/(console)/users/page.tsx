import type { Metadata } from "next";
import { connection } from "next/server";
import { PageHeader } from "@/components/console/page-header";
import { EmptyState } from "@/components/ui/empty-state";
import { getDb } from "@/db/client";
import { requirePagePrincipal } from "@/lib/auth/session";
import { listUsers } from "@/lib/auth/users";
import { UsersClient } from "./client";

export const metadata: Metadata = { title: "Users" };

/** `/users`: who may sign in; admins only (the list names every admin's e-mail, a target for guessing); a reviewer gets an explanation. */
export default async function UsersPage() {
  await connection();
  const principal = await requirePagePrincipal({ callbackUrl: "/users" });
  if (principal.role !== "admin") {
    return (
      <div className="flex flex-col gap-6">
        <PageHeader title="Users" description="Who may sign in to the console, and with which role." />
        <EmptyState
          title="Admins only"
          description="The user list names every admin's e-mail, so only admins can see it. Ask an admin if you need a user added or a role changed."
        />
      </div>
    );
  }
  const users = await listUsers(await getDb());
  return <UsersClient initialUsers={users} isAdmin me={principal.name} />;
}
