import type { Metadata } from "next";
import Link from "next/link";
import { connection } from "next/server";
import { buttonClass } from "@/components/ui/button";
import { EmptyState } from "@/components/ui/empty-state";
import { Stat } from "@/components/ui/stat";
import { getDb } from "@/db/client";
import { requirePagePrincipal } from "@/lib/auth/session";
import { getLegacyCounts } from "@/lib/migration/legacy-counts";
import { cachedDryRun, getPreflight } from "@/lib/migration/preflight";
import { getProgress } from "@/lib/migration/progress";
import { peekConsistencySummary } from "@/lib/metrics/consistency-cache";
import { preflightContext } from "@/lib/server/preflight-context";
import { MigrationMap, migrationSteps } from "./migration-map";

export const metadata: Metadata = { title: "Overview" };

const fmt = new Intl.NumberFormat("en-US");

function readAtLabel(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : `${d.toISOString().slice(0, 19).replace("T", " ")} UTC`;
}

/** `/`: the migration as a map of its steps, each with its live state and next action, and the legacy counts. */
export default async function OverviewPage() {
  await connection();
  const principal = await requirePagePrincipal();
  const db = await getDb();
  const counts = await getLegacyCounts(db);
  // The start's dry-run mode never scans: the map shows what the console already knows.
  const [preflight, progress] = await Promise.all([getPreflight(db, await preflightContext(), { dryRun: "start" }), getProgress(db)]);
  const steps = migrationSteps({ dryRun: cachedDryRun(db), preflight, progress, consistency: peekConsistencySummary() });
  const empty = counts.prestamos === 0 && counts.pagos === 0;

  return (
    <div className="flex flex-col gap-8">
      <header>
        <h1 className="text-2xl font-semibold tracking-tight text-zinc-900">Overview</h1>
        <p className="mt-1 text-sm text-zinc-500">
          Where the migration stands, step by step, and what the legacy tables <code className="font-mono text-[13px] text-zinc-700">prestamos</code> and{" "}
          <code className="font-mono text-[13px] text-zinc-700">pagos_prestamo</code> hold now. Read at{" "}
          <time dateTime={counts.readAt}>{readAtLabel(counts.readAt)}</time>.
        </p>
      </header>

      {empty ? (
        <EmptyState
          title="The legacy tables are empty"
          description="There is nothing to migrate yet: no prestamos and no pagos in this database. Counts appear here as soon as the loans application (or test data) writes rows."
          action={
            principal.role === "admin" ? (
              <Link href="/test-data" className={buttonClass("primary")}>
                Create test data
              </Link>
            ) : (
              <p className="text-sm text-zinc-500">An admin can create test data to try the migration.</p>
            )
          }
        />
      ) : (
        <>
          <MigrationMap steps={steps} />
          <dl className="grid grid-cols-1 gap-4 md:grid-cols-3" aria-label="Legacy counts">
            <Stat label="Prestamos" value={fmt.format(counts.prestamos)} hint="rows in prestamos" />
            <Stat label="Pagos" value={fmt.format(counts.pagos)} hint="rows in pagos_prestamo" />
            <Stat
              label="Orphan pagos"
              value={fmt.format(counts.orphanPagos)}
              tone={counts.orphanPagos > 0 ? "warning" : "neutral"}
              hint={
                counts.orphanPagos > 0
                  ? (
                      <>
                        <span className="block">{fmt.format(counts.orphanPagosNull)} with no prestamo_id</span>
                        <span className="block">{fmt.format(counts.orphanPagosDangling)} pointing to a missing prestamo</span>
                      </>
                    )
                  : "every pago names an existing prestamo"
              }
            />
          </dl>

        </>
      )}

    </div>
  );
}
