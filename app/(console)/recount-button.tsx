"use client";

import { useRouter } from "next/navigation";
import { useState } from "react";
import { apiFetch } from "@/lib/api/client";
import { paths } from "@/lib/api/queries";

/** Asks for an exact recount of the legacy tables (a background job) and repaints when it has finished. */
export function RecountButton() {
  const router = useRouter();
  const [state, setState] = useState<"idle" | "asking" | "error">("idle");
  const ask = async () => {
    setState("asking");
    try {
      await apiFetch(paths.legacyCounts(true));
      // Poll until no recount is running or waiting, then repaint the server's figures.
      for (let i = 0; i < 600; i++) {
        const r = await apiFetch<{ freshness: { refreshing: boolean } }>(paths.legacyCounts());
        if (!r.freshness.refreshing) break;
        await new Promise((res) => setTimeout(res, 1000));
      }
      setState("idle");
      router.refresh();
    } catch {
      setState("error");
    }
  };
  return (
    <button type="button" onClick={ask} disabled={state === "asking"} className="underline disabled:no-underline disabled:opacity-60">
      {state === "asking" ? "recounting…" : state === "error" ? "recount failed, retry" : "recount"}
    </button>
  );
}
