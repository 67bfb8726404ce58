import { Fragment } from "react";

/** `over`: the glyph is drawn over the character's own width; the others have none to draw over. */
const GLYPH: Record<string, { glyph: string; name: string; over: boolean }> = {
  " ": { glyph: "·", name: "space", over: true },
  "\t": { glyph: "→", name: "tab", over: true },
  "\n": { glyph: "↵", name: "newline", over: false },
  "\r": { glyph: "\\r", name: "carriage return", over: false },
  "\f": { glyph: "\\f", name: "form feed", over: false },
  "\v": { glyph: "\\v", name: "vertical tab", over: false },
  "\u00a0": { glyph: "°", name: "no-break space (not white space for the rules)", over: true },
};

const NULL_OR_EMPTY = (value: unknown) =>
  value === null || value === undefined ? (
    <span className="font-sans text-xs italic text-zinc-400">NULL</span>
  ) : String(value) === "" ? (
    <span className="font-sans text-xs italic text-zinc-400">(empty string)</span>
  ) : null;

/**
 * A stored value with its white space made visible (· space, → tab, ↵ newline…); NULL and "" said
 * in words. The glyphs are drawn by CSS (`.ws` in app/globals.css) over the real characters, so
 * copying the value gives the string as stored and a screen reader does not say "middle dot".
 * For values where white space is the point: the legacy value as stored, the value a rule failed on.
 */
export function VisibleText({ value, inline = false }: { value: string | number | boolean | null | undefined; inline?: boolean }) {
  const missing = NULL_OR_EMPTY(value);
  if (missing) return missing;
  const parts: React.ReactNode[] = [];
  let buf = "";
  let k = 0;
  for (const ch of String(value)) {
    const g = GLYPH[ch];
    if (!g) {
      buf += ch;
      continue;
    }
    if (buf) parts.push(<Fragment key={k++}>{buf}</Fragment>);
    buf = "";
    parts.push(
      <span key={k++} className={`ws ${g.over ? "ws-over" : "ws-before"}${inline && ch === "\n" ? " ws-one-line" : ""}`} data-glyph={g.glyph} title={g.name}>
        {ch}
      </span>,
    );
  }
  if (buf) parts.push(<Fragment key={k++}>{buf}</Fragment>);
  return (
    <span data-testid="visible-text" className={inline ? "whitespace-pre font-mono text-[13px]" : "whitespace-pre-wrap break-all font-mono text-[13px]"}>
      {parts}
    </span>
  );
}

/** A value the rules produced (expected, in the new table): plain text, NULL and "" said in words. */
export function PlainValue({ value }: { value: string | number | boolean | null | undefined }) {
  return NULL_OR_EMPTY(value) ?? <span className="whitespace-pre-wrap break-all font-mono text-[13px]">{String(value)}</span>;
}

export function WhitespaceLegend() {
  return (
    <p className="text-xs text-zinc-500" aria-label="Legend of visible white space">
      Legend (legacy values as stored):{" "}
      {[" ", "\t", "\n", "\r", "\u00a0"].map((ch) => (
        <span key={ch} className="mr-3 inline-flex items-center gap-1">
          <span className="font-mono text-sky-600" aria-hidden>
            {GLYPH[ch].glyph}
          </span>
          {GLYPH[ch].name}
        </span>
      ))}
      <span className="mr-3 italic">NULL</span>no value
    </p>
  );
}
