import type { Metadata } from "next";
import Link from "next/link";
import { connection } from "next/server";
import { PageHeader } from "@/components/console/page-header";
import { buttonClass } from "@/components/ui/button";
import { EmptyState } from "@/components/ui/empty-state";
import { getDb } from "@/db/client";
import { PositiveIntString } from "@/lib/api/schemas";
import { queryAudit } from "@/lib/audit-query";
import { requirePagePrincipal } from "@/lib/auth/session";
import { AppError } from "@/lib/errors";
import { getPrestamoDiff, type PrestamoDiff } from "@/lib/migration/prestamo-diff";
import { PrestamoClient } from "./client";

export async function generateMetadata({ params }: { params: Promise<{ id: string }> }): Promise<Metadata> {
  const { id } = await params;
  return { title: `Prestamo ${id}` };
}

/** `/prestamos/:id`: the field-level diff of one prestamo, its failures and audit history; admins migrate or roll it back. */
export default async function PrestamoPage({ params }: { params: Promise<{ id: string }> }) {
  await connection();
  const { id: raw } = await params;
  const principal = await requirePagePrincipal({ callbackUrl: `/prestamos/${encodeURIComponent(raw)}` });
  const parsed = PositiveIntString.safeParse(raw);
  if (!parsed.success) return <NotFound id={raw} reason="This is not a prestamo id: ids are whole numbers from 1 to 2,147,483,647." />;
  const id = parsed.data;
  const db = await getDb();
  let diff: PrestamoDiff;
  try {
    diff = await getPrestamoDiff(db, id);
  } catch (err) {
    if (err instanceof AppError && err.code === "NOT_FOUND")
      return <NotFound id={raw} reason="No prestamo has this id in the legacy table, and the new tables hold no row for it." />;
    throw err;
  }
  const audit = await queryAudit(db, { target: `prestamo:${id}`, page: 1, limit: 20 });
  return <PrestamoClient id={id} initialDiff={diff} initialAudit={audit} isAdmin={principal.role === "admin"} />;
}

function NotFound({ id, reason }: { id: string; reason: string }) {
  return (
    <div className="flex flex-col gap-6">
      <PageHeader title={`Prestamo ${id}`} />
      <EmptyState
        title="Prestamo not found"
        description={reason}
        action={
          <Link href="/prestamos" className={buttonClass("secondary")}>
            Back to the prestamos
          </Link>
        }
      />
    </div>
  );
}
