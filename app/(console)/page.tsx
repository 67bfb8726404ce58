import type { Metadata } from "next";
import Link from "next/link";
import { connection } from "next/server";
import { buttonClass } from "@/components/ui/button";
import { EmptyState } from "@/components/ui/empty-state";
import { Stat } from "@/components/ui/stat";
import { getDb } from "@/db/client";
import { requirePagePrincipal } from "@/lib/auth/session";
import { getPreflight, readDryRun } from "@/lib/migration/preflight";
import { getProgress } from "@/lib/migration/progress";
import { peekConsistencySummary } from "@/lib/metrics/consistency-cache";
import { preflightContext } from "@/lib/server/preflight-context";
import { MigrationMap, migrationSteps } from "./migration-map";
import { fmtDuration } from "@/lib/format";
import { readLegacyOverview } from "@/lib/http/reads";
import { CutoverPhase } from "./cutover-phase";
import { RecountButton } from "./recount-button";

export const metadata: Metadata = { title: "Overview" };

const fmt = new Intl.NumberFormat("en-US");

function readAtLabel(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : `${d.toISOString().slice(0, 19).replace("T", " ")} UTC`;
}

/**
 * `/`: the migration as a map of its steps, each with its live state and next action; what the legacy tables hold, for the first paint: row counts kept by triggers (a sum over a
 * few rows), orphans from the latest exact recount with its age — a page load never counts a table.
 */
export default async function OverviewPage() {
  await connection();
  const principal = await requirePagePrincipal();
  const db = await getDb();
  const counts = await readLegacyOverview(db, null);
  // The start's dry-run mode never scans: the map shows what the console already knows.
  const [preflight, progress, dry] = await Promise.all([
    getPreflight(db, await preflightContext(), { dryRun: "start" }),
    getProgress(db),
    readDryRun(db, "start"),
  ]);
  const dryRun = dry.report ? { report: dry.report, ageSeconds: dry.ageSeconds ?? 0 } : null;
  const steps = migrationSteps({ dryRun, preflight, progress, consistency: peekConsistencySummary() });
  const empty = counts.prestamos === 0 && counts.pagos === 0;
  const orphans = counts.orphans;
  const f = counts.freshness;
  const orphanAge =
    orphans && f.ageSeconds !== null
      ? `counted ${fmtDuration(f.ageSeconds)} ago${f.refreshing ? "; a recount is running" : ""}`
      : f.refreshing
        ? "a recount is running"
        : "not counted yet";

  return (
    <div className="flex flex-col gap-8">
      <header>
        <h1 className="text-2xl font-semibold tracking-tight text-zinc-900">Overview</h1>
        <p className="mt-1 text-sm text-zinc-500">
          Where the migration stands, step by step, and what the legacy tables <code className="font-mono text-[13px] text-zinc-700">prestamos</code> and{" "}
          <code className="font-mono text-[13px] text-zinc-700">pagos_prestamo</code> hold now
          {counts.exact ? " (row counts kept as the application writes)" : " (row counts are the planner's estimate: the counting triggers are missing)"}. Read
          at <time dateTime={counts.readAt}>{readAtLabel(counts.readAt)}</time>.
        </p>
      </header>
      <CutoverPhase />

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
            <Stat label="Prestamos" value={`${counts.exact ? "" : "≈ "}${fmt.format(counts.prestamos)}`} hint="rows in prestamos" />
            <Stat label="Pagos" value={`${counts.exact ? "" : "≈ "}${fmt.format(counts.pagos)}`} hint="rows in pagos_prestamo" />
            <Stat
              label="Orphan pagos"
              value={orphans ? fmt.format(orphans.orphanPagos) : "—"}
              tone={!orphans || orphans.orphanPagos > 0 ? "warning" : "neutral"}
              hint={
                <>
                  {orphans && orphans.orphanPagos > 0 ? (
                    <>
                      <span className="block">{fmt.format(orphans.orphanPagosNull)} with no prestamo_id</span>
                      <span className="block">{fmt.format(orphans.orphanPagosDangling)} pointing to a missing prestamo</span>
                    </>
                  ) : orphans ? (
                    <span className="block">every pago named an existing prestamo</span>
                  ) : null}
                  <span className="block">
                    {orphanAge} · <RecountButton />
                  </span>
                </>
              }
            />
          </dl>
        </>
      )}
    </div>
  );
}
