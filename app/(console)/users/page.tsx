import type { Metadata } from "next";
import { connection } from "next/server";
import { getDb } from "@/db/client";
import { requirePagePrincipal } from "@/lib/auth/session";
import { listUsers } from "@/lib/auth/users";
import { UsersClient } from "./client";

export const metadata: Metadata = { title: "Users" };

/** `/users`: who may sign in; admins create users, change roles, disable and reset passwords, reviewers read. */
export default async function UsersPage() {
  await connection();
  const principal = await requirePagePrincipal({ callbackUrl: "/users" });
  const users = await listUsers(await getDb());
  return <UsersClient initialUsers={users} isAdmin={principal.role === "admin"} me={principal.name} />;
}
