import type { Metadata } from "next";
import { connection } from "next/server";
import { getDb } from "@/db/client";
import { requirePagePrincipal } from "@/lib/auth/session";
import { listWebhooks, recentDeliveries, viewerOf } from "@/lib/webhooks/webhooks";
import { WebhooksClient } from "./client";

export const metadata: Metadata = { title: "Webhooks" };

/** `/webhooks`: run-event webhooks and their recent deliveries; admins manage them, reviewers read. */
export default async function WebhooksPage() {
  await connection();
  const principal = await requirePagePrincipal({ callbackUrl: "/webhooks" });
  const db = await getDb();
  const [webhooks, deliveries] = await Promise.all([listWebhooks(db, viewerOf(principal)), recentDeliveries(db, 50, viewerOf(principal))]);
  return <WebhooksClient initialWebhooks={webhooks} initialDeliveries={deliveries} isAdmin={principal.role === "admin"} />;
}
