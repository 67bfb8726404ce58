"use client";

/**
 * The throttle on the Migration page (MIGRATION-SPEC §8): whether the run is held and why, in
 * words; every signal on a small chart with its threshold line; the levels, editable by admins;
 * the recent episodes. Polls GET …/throttle, the route scripts use.
 */
import { useState } from "react";
import { Line, LineChart, ReferenceLine, ResponsiveContainer, YAxis } from "recharts";
import { Badge, type BadgeTone } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { cn } from "@/components/ui/cn";
import { inputClass, Notice } from "@/components/ui/form";
import { Skeleton } from "@/components/ui/skeleton";
import { errorMessage } from "@/lib/api/client";
import { usePatchThrottle, useThrottle, type ThrottlePatchInput } from "@/lib/api/queries";
import { describeReason, formatSignalValue, type SignalId, type SignalState } from "@/lib/migration/vocabulary";
import { fmtDuration, fmtTime } from "@/lib/format";
import type { ThrottleDTO } from "@/lib/migration/throttle";

type Signal = ThrottleDTO["signals"][number];

const STATE_LOOK: Record<SignalState, { tone: BadgeTone; label: string }> = {
  ok: { tone: "success", label: "ok" },
  elevated: { tone: "info", label: "above resume" },
  over: { tone: "warning", label: "over" },
  critical: { tone: "danger", label: "critical" },
  unknown: { tone: "danger", label: "unknown" },
  disabled: { tone: "neutral", label: "off" },
  not_applicable: { tone: "neutral", label: "not applicable" },
};

const UNIT_HINT: Record<Signal["unit"], string> = {
  ms: "ms",
  bytes: "bytes",
  ratio: "× baseline",
  count: "sessions",
  "bytes/s": "bytes/s",
  segments: "segments",
};

export function ThrottlePanel({ isAdmin }: { isAdmin: boolean }) {
  const q = useThrottle();
  if (q.isPending) {
    return (
      <Card title="Throttle" description="Reading the signals…">
        <div className="grid grid-cols-1 gap-3 sm:grid-cols-2 xl:grid-cols-4" data-testid="throttle-loading">
          {Array.from({ length: 4 }, (_, i) => (
            <Skeleton key={i} className="h-28" />
          ))}
        </div>
      </Card>
    );
  }
  if (q.isError && !q.data) {
    return (
      <Card title="Throttle">
        <Notice tone="error" testId="throttle-error">
          The throttle could not be read: {errorMessage(q.error)}. Until it answers, treat the run as throttled.
        </Notice>
      </Card>
    );
  }
  const t = q.data!;
  return (
    <Card
      title="Throttle"
      description={`The run takes no new batch while a signal is over its threshold, and goes on once every signal is under its resume level. A signal at its critical level for ${fmtDuration(t.criticalAfterSeconds)} halts the run.`}
      actions={<ThrottleBadge t={t} />}
    >
      <div className="flex flex-col gap-4">
        <ThrottleSummaryLine t={t} stale={q.isError} />
        {t.applicable && (
          <div className="grid grid-cols-1 gap-3 sm:grid-cols-2 xl:grid-cols-4">
            {t.signals.map((s) => (
              <SignalTile key={s.id} s={s} history={t.history} />
            ))}
          </div>
        )}
        {t.applicable && <LevelsEditor t={t} isAdmin={isAdmin} />}
        {t.episodes.length > 0 && <Episodes t={t} />}
      </div>
    </Card>
  );
}

function ThrottleBadge({ t }: { t: ThrottleDTO }) {
  if (!t.applicable) return <Badge>Not applicable</Badge>;
  if (!t.active) return <Badge tone="success">● Not throttled</Badge>;
  return (
    <Badge tone={t.long ? "danger" : "warning"} className="px-2.5 py-1 text-sm">
      <span data-testid="throttle-state">⏸ Throttled</span>
    </Badge>
  );
}

function ThrottleSummaryLine({ t, stale }: { t: ThrottleDTO; stale: boolean }) {
  if (!t.applicable) {
    return (
      <p className="text-sm text-zinc-600" data-testid="throttle-summary">
        Not applicable on the embedded database: it has no standbys, no other sessions and no WAL archive to watch, so the run is never throttled here.
      </p>
    );
  }
  const unknown = t.signals.filter((s) => s.state === "unknown");
  const critical = t.signals.filter((s) => s.state === "critical");
  return (
    <div className="flex flex-col gap-2">
      {t.active ? (
        <p className="text-sm font-medium text-amber-900" data-testid="throttle-summary">
          Throttled: {t.reasons.map(describeReason).join("; ") || "a signal is over its threshold"}
          <span className="font-normal text-zinc-600"> — since {fmtTime(t.since)}</span>
        </p>
      ) : (
        <p className="text-sm text-zinc-700" data-testid="throttle-summary">
          Not throttled: every enabled signal is under its threshold{t.readAt ? `, read ${fmtTime(t.readAt)}` : ""}.
        </p>
      )}
      {t.active && critical.length > 0 && (
        <Notice tone="error" testId="throttle-critical">
          At the critical level: {critical.map((s) => s.label).join(", ")}. The run halts once a signal has stayed there for{" "}
          {fmtDuration(t.criticalAfterSeconds)}; until then it is throttled.
        </Notice>
      )}
      {t.long && (
        <Notice tone="warning" testId="throttle-long">
          Throttled for longer than {fmtDuration(t.alertAfterSeconds)}: the alert went out (webhook, Prometheus). The run stays throttled until the signals
          recover, or an admin changes the levels.
        </Notice>
      )}
      {!t.active && unknown.length > 0 && (
        <Notice tone="warning">
          {unknown.length === 1 ? "A signal is" : `${unknown.length} signals are`} unknown (
          {unknown.map((s) => `${s.label}: ${s.why ?? "not read"}`).join("; ")}): a run would be throttled.
        </Notice>
      )}
      {stale && <Notice tone="warning">The last refresh failed; the figures below may be old.</Notice>}
    </div>
  );
}

function SignalTile({ s, history }: { s: Signal; history: ThrottleDTO["history"] }) {
  const look = STATE_LOOK[s.state];
  const shown = s.applicable && s.enabled;
  const data = history.map((h) => ({ v: h.values[s.id] ?? null }));
  const max = Math.max(s.threshold * 1.25, ...data.map((d) => d.v ?? 0));
  return (
    <div
      className={cn(
        "rounded-lg border px-3 py-2",
        s.state === "over" || s.state === "critical" || s.state === "unknown" ? "border-amber-300 bg-amber-50/50" : "border-zinc-200 bg-white",
      )}
      data-testid={`signal-${s.id}`}
    >
      <div className="flex items-start justify-between gap-2">
        <div className="min-w-0">
          <p className="truncate text-xs font-medium text-zinc-500" title={s.id}>
            {s.label} <span className="text-zinc-400">({UNIT_HINT[s.unit]})</span>
          </p>
          <p className="tabular text-lg font-semibold text-zinc-900">{shown ? formatSignalValue(s.id, s.value) : "—"}</p>
        </div>
        <Badge tone={look.tone}>{look.label}</Badge>
      </div>
      {shown ? (
        <>
          <div className="h-14" role="img" aria-label={`${s.label} over the last minutes, threshold ${formatSignalValue(s.id, s.threshold)}`}>
            <ResponsiveContainer width="100%" height="100%">
              <LineChart data={data} margin={{ top: 4, right: 2, bottom: 2, left: 2 }}>
                <YAxis hide domain={[0, max]} />
                <ReferenceLine y={s.threshold} stroke="#d97706" strokeDasharray="4 2" />
                <ReferenceLine y={s.resume} stroke="#a1a1aa" strokeDasharray="2 3" />
                <Line type="linear" dataKey="v" stroke="#0f766e" strokeWidth={1.5} dot={false} isAnimationActive={false} connectNulls={false} />
              </LineChart>
            </ResponsiveContainer>
          </div>
          <p className="tabular text-[11px] text-zinc-500">
            threshold {formatSignalValue(s.id, s.threshold)} · resume {formatSignalValue(s.id, s.resume)} · critical {formatSignalValue(s.id, s.critical)}
          </p>
        </>
      ) : (
        <p className="mt-2 text-xs text-zinc-500">{s.enabled ? (s.why ?? "Not applicable here.") : "Off: not watched."}</p>
      )}
      {shown && s.state === "unknown" && <p className="mt-1 text-xs text-red-700">unknown: {s.why}</p>}
      {shown && s.state === "ok" && s.calm && <p className="mt-1 text-xs text-zinc-500">{s.calm}</p>}
    </div>
  );
}

type Draft = Record<SignalId, { enabled: boolean; threshold: string; resume: string; critical: string }>;
const draftOf = (t: ThrottleDTO): Draft =>
  Object.fromEntries(
    t.signals.map((s) => [s.id, { enabled: s.enabled, threshold: String(s.threshold), resume: String(s.resume), critical: String(s.critical) }]),
  ) as Draft;

function LevelsEditor({ t, isAdmin }: { t: ThrottleDTO; isAdmin: boolean }) {
  const [draft, setDraft] = useState<Draft | null>(null);
  const save = usePatchThrottle(() => setDraft(null));
  const current = draft ?? draftOf(t);
  const patch: Record<string, Record<string, unknown>> = {};
  let invalid = false;
  for (const s of t.signals) {
    const d = current[s.id];
    const p: Record<string, unknown> = {};
    if (d.enabled !== s.enabled) p.enabled = d.enabled;
    for (const k of ["threshold", "resume", "critical"] as const) {
      const n = Number(d[k]);
      if (d[k].trim() === "" || !Number.isFinite(n) || n < 0) invalid = true;
      else if (n !== s[k]) p[k] = n;
    }
    if (Object.keys(p).length > 0) patch[s.id] = p;
  }
  const dirty = Object.keys(patch).length > 0;
  return (
    <details className="rounded-lg border border-zinc-200" open={draft !== null}>
      <summary className="cursor-pointer px-3 py-2 text-sm font-medium text-zinc-700">
        Levels {isAdmin ? "(edit)" : "(read-only: an admin changes them)"}
        {t.settingsUpdatedBy && (
          <span className="font-normal text-zinc-500">
            {" "}
            — last changed by {t.settingsUpdatedBy}, {fmtTime(t.settingsUpdatedAt)}
          </span>
        )}
      </summary>
      <form
        className="overflow-x-auto px-3 pb-3"
        onSubmit={(e) => {
          e.preventDefault();
          if (dirty && !invalid) save.mutate(patch as ThrottlePatchInput);
        }}
      >
        <table className="w-full text-sm">
          <thead>
            <tr className="text-left text-xs text-zinc-500">
              <th className="py-1 pr-2 font-medium">Signal</th>
              <th className="py-1 pr-2 font-medium">On</th>
              <th className="py-1 pr-2 font-medium">Threshold</th>
              <th className="py-1 pr-2 font-medium">Resume under</th>
              <th className="py-1 pr-2 font-medium">Critical (halts)</th>
            </tr>
          </thead>
          <tbody>
            {t.signals.map((s) => {
              const d = current[s.id];
              const set = (k: keyof Draft[SignalId], v: string | boolean) => setDraft({ ...current, [s.id]: { ...d, [k]: v } });
              return (
                <tr key={s.id} className="border-t border-zinc-100">
                  <td className="py-1 pr-2">
                    <span className="text-zinc-900">{s.label}</span> <code className="text-xs text-zinc-500">{s.id}</code>
                    <span className="block text-xs text-zinc-500">{UNIT_HINT[s.unit]}</span>
                  </td>
                  <td className="py-1 pr-2">
                    <input
                      type="checkbox"
                      aria-label={`${s.id} enabled`}
                      checked={d.enabled}
                      disabled={!isAdmin}
                      onChange={(e) => set("enabled", e.target.checked)}
                    />
                  </td>
                  {(["threshold", "resume", "critical"] as const).map((k) => (
                    <td key={k} className="py-1 pr-2">
                      <input
                        className={cn(inputClass, "h-8 min-w-24")}
                        inputMode="decimal"
                        aria-label={`${s.id} ${k}`}
                        value={d[k]}
                        readOnly={!isAdmin}
                        disabled={!isAdmin}
                        onChange={(e) => set(k, e.target.value)}
                      />
                    </td>
                  ))}
                </tr>
              );
            })}
          </tbody>
        </table>
        {isAdmin && (
          <div className="mt-3 flex items-center gap-3">
            <Button type="submit" disabled={!dirty || invalid || save.isPending}>
              {save.isPending ? "Saving…" : "Save levels"}
            </Button>
            {draft && (
              <Button type="button" variant="secondary" onClick={() => setDraft(null)}>
                Discard
              </Button>
            )}
            {invalid && <span className="text-sm text-red-700">Every level is a number ≥ 0.</span>}
            {save.isError && <Notice tone="error">{errorMessage(save.error)}</Notice>}
            {save.isSuccess && !draft && <Notice tone="ok">Saved: applies at the next read (within a second), audited.</Notice>}
          </div>
        )}
      </form>
    </details>
  );
}

function Episodes({ t }: { t: ThrottleDTO }) {
  return (
    <div>
      <h3 className="mb-1 text-sm font-medium text-zinc-700">Episodes</h3>
      <div className="overflow-x-auto">
        <table className="w-full text-sm" data-testid="throttle-episodes">
          <thead>
            <tr className="text-left text-xs text-zinc-500">
              <th className="py-1 pr-3 font-medium">Run</th>
              <th className="py-1 pr-3 font-medium">Started</th>
              <th className="py-1 pr-3 font-medium">Lasted</th>
              <th className="py-1 pr-3 font-medium">Outcome</th>
              <th className="py-1 pr-3 font-medium">Why, and the worst seen</th>
            </tr>
          </thead>
          <tbody>
            {t.episodes.slice(0, 8).map((e) => (
              <tr key={e.id} className="border-t border-zinc-100 align-top">
                <td className="tabular py-1 pr-3">{e.runId === null ? "—" : `#${e.runId}`}</td>
                <td className="tabular py-1 pr-3">{fmtTime(e.startedAt)}</td>
                <td className="tabular py-1 pr-3">{fmtDuration(e.seconds)}</td>
                <td className="py-1 pr-3">
                  <Badge tone={e.outcome === "open" ? "warning" : e.outcome === "halted" ? "danger" : "neutral"}>{e.outcome}</Badge>
                </td>
                <td className="py-1 pr-3 text-zinc-700">
                  {e.reasons.map(describeReason).join("; ")}
                  {Object.keys(e.worst).length > 0 && (
                    <span className="block text-xs text-zinc-500">
                      worst:{" "}
                      {Object.entries(e.worst)
                        .map(([id, v]) => `${id} ${formatSignalValue(id as SignalId, v ?? null)}`)
                        .join(", ")}
                    </span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
