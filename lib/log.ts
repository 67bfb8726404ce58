/**
 * Structured logs: one pino logger per process, kept on globalThis (routes and
 * instrumentation are bundled apart). JSON lines in production and CI; a compact readable line in
 * development (no pino-pretty: it runs in a worker thread, which Next's bundling does not like).
 *
 * Secrets never reach a log line: every key that names a credential (authorization, cookie,
 * password, token, secret, api key), at any depth, is replaced by "[redacted]" before pino
 * serializes the object. Values are not inspected: never put a credential in `msg`.
 */
import pino, { type DestinationStream, type Logger } from "pino";

export type { Logger };

export const REDACTED = "[redacted]";
/** Key names whose values are credentials. Matched anywhere in the key, case-insensitively. */
const SECRET_KEY = /authorization|cookie|password|passwd|secret|token|api[-_]?key|signature/i;
/** Keys that contain "token" but hold no credential (a token's name or prefix is what the audit shows). */
const SAFE_KEYS = new Set(["tokenName", "tokenPrefix", "tokenId"]);

/** A copy of `value` with every credential-named key redacted, at any depth (arrays included). */
export function redactSecrets(value: unknown, depth = 0): unknown {
  if (depth > 8 || value === null || typeof value !== "object") return value;
  if (value instanceof Error) return { type: value.name, message: value.message, stack: value.stack };
  if (Array.isArray(value)) return value.map((v) => redactSecrets(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    out[k] = SECRET_KEY.test(k) && !SAFE_KEYS.has(k) ? REDACTED : redactSecrets(v, depth + 1);
  }
  return out;
}

const LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;

function levelFromEnv(env: Record<string, string | undefined>): string {
  const wanted = env.LOG_LEVEL?.trim().toLowerCase();
  if (wanted && (LEVELS as readonly string[]).includes(wanted)) return wanted;
  return env.NODE_ENV === "test" ? "warn" : "info";
}

/** Human-readable in development: NODE_ENV is not production and this is not CI. */
export function wantsPrettyLogs(env: Record<string, string | undefined> = process.env): boolean {
  const ci = env.CI !== undefined && env.CI !== "" && env.CI !== "false" && env.CI !== "0";
  return env.NODE_ENV !== "production" && !ci && env.LOG_FORMAT !== "json";
}

const LEVEL_NAMES: Record<number, string> = { 10: "TRACE", 20: "DEBUG", 30: "INFO", 40: "WARN", 50: "ERROR", 60: "FATAL" };

/** One JSON line → "12:00:01 INFO  GET /api/x 200 3ms key=value". */
export function formatPretty(line: string): string {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const { level, time, msg, pid: _pid, hostname: _host, ...rest } = o;
  const t = typeof time === "number" ? new Date(time).toISOString().slice(11, 19) : "";
  const lvl = (LEVEL_NAMES[Number(level)] ?? String(level)).padEnd(5);
  const fields = Object.entries(rest)
    .map(([k, v]) => `${k}=${typeof v === "string" ? (/\s/.test(v) ? JSON.stringify(v) : v) : JSON.stringify(v)}`)
    .join(" ");
  return `${t} ${lvl} ${msg ?? ""}${fields ? ` ${fields}` : ""}\n`;
}

const prettyStdout: DestinationStream = {
  write(chunk: string) {
    process.stdout.write(formatPretty(chunk.trimEnd()));
  },
};

export function createLogger(opts: { destination?: DestinationStream; level?: string; env?: Record<string, string | undefined> } = {}): Logger {
  const env = opts.env ?? process.env;
  const destination = opts.destination ?? (wantsPrettyLogs(env) ? prettyStdout : pino.destination({ dest: 1, sync: true }));
  return pino(
    {
      level: opts.level ?? levelFromEnv(env),
      base: { service: "prestamos-console" },
      timestamp: pino.stdTimeFunctions.epochTime,
      formatters: { log: (obj) => redactSecrets(obj) as Record<string, unknown> },
      // A second net for the usual places, should a caller bypass the formatter (child bindings).
      redact: {
        paths: ["authorization", "cookie", "password", "token", "secret", "headers.authorization", "headers.cookie", "*.password", "*.token", "*.secret"],
        censor: REDACTED,
      },
    },
    destination,
  );
}

const g = globalThis as unknown as { __prestamosLogger?: Logger };

/** The process's logger. */
export function logger(): Logger {
  g.__prestamosLogger ??= createLogger();
  return g.__prestamosLogger;
}

/** Test seam: route every log line to `l` until the returned function is called. */
export function useLogger(l: Logger): () => void {
  const previous = g.__prestamosLogger;
  g.__prestamosLogger = l;
  return () => {
    g.__prestamosLogger = previous;
  };
}

/** The background worker's events ({msg, ...}) at a level that fits them: errors as errors. */
export function logWorkerEvent(event: Record<string, unknown>): void {
  const { msg, ...rest } = event;
  const text = typeof msg === "string" ? msg : "worker event";
  const log = logger().child({ component: "worker" });
  if (/error|fail/i.test(text)) log.error(rest, text);
  else log.info(rest, text);
}
