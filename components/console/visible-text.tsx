import { Fragment } from "react";

const GLYPH: Record<string, { glyph: string; name: string }> = {
  " ": { glyph: "·", name: "space" },
  "\t": { glyph: "→", name: "tab" },
  "\n": { glyph: "↵", name: "newline" },
  "\r": { glyph: "\\r", name: "carriage return" },
  "\f": { glyph: "\\f", name: "form feed" },
  "\v": { glyph: "\\v", name: "vertical tab" },
  "\u00a0": { glyph: "°", name: "no-break space (not white space for the rules)" },
};

/** A stored value with its white space made visible (· space, → tab, ↵ newline…); NULL and "" said in words. */
export function VisibleText({ value, inline = false }: { value: string | number | boolean | null | undefined; inline?: boolean }) {
  if (value === null || value === undefined) return <span className="font-sans text-xs italic text-zinc-400">NULL</span>;
  const s = String(value);
  if (s === "") return <span className="font-sans text-xs italic text-zinc-400">(empty string)</span>;
  const parts: React.ReactNode[] = [];
  let buf = "";
  let k = 0;
  for (const ch of s) {
    const g = GLYPH[ch];
    if (!g) {
      buf += ch;
      continue;
    }
    if (buf) parts.push(<Fragment key={k++}>{buf}</Fragment>);
    buf = "";
    parts.push(
      <span key={k++} className="text-sky-600" title={g.name}>
        {g.glyph}
      </span>,
    );
    if (ch === "\n" && !inline) parts.push(<br key={k++} />);
  }
  if (buf) parts.push(<Fragment key={k++}>{buf}</Fragment>);
  return <span className={inline ? "whitespace-pre font-mono text-[13px]" : "whitespace-pre-wrap break-all font-mono text-[13px]"}>{parts}</span>;
}

export function WhitespaceLegend() {
  return (
    <p className="text-xs text-zinc-500" aria-label="Legend of visible white space">
      Legend:{" "}
      {[" ", "\t", "\n", "\r", "\u00a0"].map((ch) => (
        <span key={ch} className="mr-3 inline-flex items-center gap-1">
          <span className="font-mono text-sky-600">{GLYPH[ch].glyph}</span>
          {GLYPH[ch].name}
        </span>
      ))}
      <span className="mr-3 italic">NULL</span>no value
    </p>
  );
}
