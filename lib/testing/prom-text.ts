/**
 * A parser of the Prometheus text exposition format (version 0.0.4) for tests, written from the
 * format's rules: `# HELP name text`, `# TYPE name type`, and samples `name{label="value",…} value
 * [timestamp]`, label values escaped with \\, \" and \n. (No maintained parser package that fits
 * is installed here; prom-client only writes the format.)
 */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Exposition {
  types: Record<string, string>;
  help: Record<string, string>;
  samples: Sample[];
}

function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  const re = /\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*,?/gy;
  let m: RegExpExecArray | null;
  let consumed = 0;
  while ((m = re.exec(text))) {
    labels[m[1]] = m[2].replace(/\\(.)/g, (_s, c: string) => (c === "n" ? "\n" : c));
    consumed = re.lastIndex;
  }
  if (text.slice(consumed).trim() !== "") throw new Error(`bad label set: {${text}}`);
  return labels;
}

function parseValue(v: string): number {
  // Prometheus reads values with Go's ParseFloat: NaN and Inf in any case (prom-client writes "Nan").
  if (/^\+?inf$/i.test(v)) return Infinity;
  if (/^-inf$/i.test(v)) return -Infinity;
  if (/^nan$/i.test(v)) return NaN;
  const n = Number(v);
  if (Number.isNaN(n)) throw new Error(`bad sample value: ${v}`);
  return n;
}

export function parseExposition(text: string): Exposition {
  const out: Exposition = { types: {}, help: {}, samples: [] };
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "") continue;
    if (line.startsWith("#")) {
      const m = /^#\s+(HELP|TYPE)\s+([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(.*)$/.exec(line);
      if (!m) continue; // a plain comment
      if (m[1] === "TYPE") {
        if (!["counter", "gauge", "histogram", "summary", "untyped"].includes(m[3])) throw new Error(`bad TYPE: ${line}`);
        out.types[m[2]] = m[3];
      } else out.help[m[2]] = m[3];
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+(-?\d+))?$/.exec(line);
    if (!m) throw new Error(`bad sample line: ${line}`);
    out.samples.push({ name: m[1], labels: m[2] ? parseLabels(m[2]) : {}, value: parseValue(m[3]) });
  }
  return out;
}

/** The value of the one sample `name` whose labels include `labels`. */
export function valueOf(e: Exposition, name: string, labels: Record<string, string> = {}): number | undefined {
  const found = e.samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (found.length > 1) throw new Error(`${found.length} samples of ${name} ${JSON.stringify(labels)}`);
  return found[0]?.value;
}
