"use client";

import { errorMessage } from "@/lib/api/client";

export const inputClass =
  "tabular h-9 w-full rounded-lg border-0 bg-white px-3 text-sm text-zinc-900 shadow-sm ring-1 ring-inset ring-zinc-300 placeholder:text-zinc-400 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-zinc-900 disabled:bg-zinc-50 disabled:text-zinc-500";

export function ActionResult({ m, ok }: { m: { isError: boolean; isSuccess: boolean; error: unknown }; ok: string | null }) {
  if (m.isError)
    return (
      <p role="alert" className="mt-3 rounded-lg bg-red-50 px-3 py-2 text-sm text-red-800 ring-1 ring-inset ring-red-200">
        <span aria-hidden="true">✕ </span>Refused: {errorMessage(m.error)}
      </p>
    );
  if (m.isSuccess && ok)
    return (
      <p role="status" className="mt-3 rounded-lg bg-emerald-50 px-3 py-2 text-sm text-emerald-800 ring-1 ring-inset ring-emerald-200">
        <span aria-hidden="true">✓ </span>
        {ok}
      </p>
    );
  return null;
}

export function Figure({ label, value, hint, title }: { label: string; value: string; hint: string; title?: string }) {
  return (
    <div title={title}>
      <dt className="text-xs font-medium text-zinc-500">{label}</dt>
      <dd className="tabular mt-0.5 min-w-[6ch] text-xl font-semibold text-zinc-900">{value}</dd>
      <dd className="text-xs text-zinc-500">{hint}</dd>
    </div>
  );
}
