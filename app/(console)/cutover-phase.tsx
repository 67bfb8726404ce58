import Link from "next/link";
import { cn } from "@/components/ui/cn";
import { getDb } from "@/db/client";
import { getPhaseView, phaseSentence, switchWords, type PhaseShown } from "@/lib/migration/cutover-phase";

const TONE: Record<PhaseShown, string> = {
  not_cut_over: "border-zinc-200 bg-zinc-50 text-zinc-700",
  cut_over: "border-sky-200 bg-sky-50 text-sky-900",
  reverted: "border-amber-200 bg-amber-50 text-amber-900",
  finalized: "border-emerald-200 bg-emerald-50 text-emerald-900",
};

/** Where the system stands in the cut-over (MIGRATION-SPEC §9) and each switch that led there; read on the server at each page load. */
export async function CutoverPhase() {
  const view = await getPhaseView(await getDb());
  return (
    <section aria-label="Cut-over phase" data-phase={view.shown} className={cn("rounded-lg border px-4 py-3 text-sm", TONE[view.shown])}>
      <p>
        <span className="font-semibold">Phase:</span> {phaseSentence(view)}{" "}
        <Link href="/cutover" className="underline underline-offset-2">
          Cut-over page
        </Link>
      </p>
      {view.switches.length > 0 && (
        <ol className="mt-1 list-inside list-disc text-xs opacity-80">
          {view.switches.map((s) => (
            <li key={s.id}>{switchWords(s)}</li>
          ))}
        </ol>
      )}
    </section>
  );
}
