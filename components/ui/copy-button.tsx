"use client";

import { useState } from "react";
import { cn } from "./cn";

/** Copies `text` to the clipboard and says so; where the browser refuses, it says how to copy by hand. */
export function CopyButton({ text, label = "Copy", className }: { text: string; label?: string; className?: string }) {
  const [state, setState] = useState<"idle" | "copied" | "refused">("idle");
  return (
    <button
      type="button"
      onClick={() =>
        navigator.clipboard
          .writeText(text)
          .then(() => setState("copied"))
          .catch(() => setState("refused"))
          .finally(() => setTimeout(() => setState("idle"), 2000))
      }
      className={cn(
        "rounded-md px-2 py-1 text-xs font-medium ring-1 ring-inset focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-zinc-100",
        state === "copied" ? "bg-emerald-600 text-white ring-emerald-500" : "bg-zinc-800 text-zinc-100 ring-zinc-600 hover:bg-zinc-700",
        className,
      )}
    >
      <span aria-live="polite">{state === "copied" ? "Copied" : state === "refused" ? "Select and press Ctrl+C" : label}</span>
    </button>
  );
}
