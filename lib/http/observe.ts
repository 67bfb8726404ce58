/**
 * What the route wrapper records for every API request: one structured log line and
 * the Prometheus HTTP counter/histogram. Labelled by the route PATTERN, never the raw path, so an
 * id in the URL does not make a new time series per prestamo.
 */
import { logger } from "@/lib/log";
import { observeHttp } from "@/lib/metrics/prometheus";

/**
 * "/api/users/7" with params {id: "7"} → "/api/users/{id}". Next's params are exactly the dynamic
 * segments, so replacing the segments equal to a param value (last first) recovers the pattern.
 */
export function routePattern(pathname: string, params: Record<string, string>): string {
  const segments = pathname.split("/");
  for (const [name, value] of Object.entries(params)) {
    const parts = value.split("/");
    // A catch-all param spans several segments; match it as a run from the end.
    for (let i = segments.length - parts.length; i >= 0; i--) {
      if (parts.every((p, j) => safeDecode(segments[i + j]) === p)) {
        segments.splice(i, parts.length, `{${name}}`);
        break;
      }
    }
  }
  return segments.join("/") || "/";
}

function safeDecode(s: string | undefined): string | undefined {
  if (s === undefined) return undefined;
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

export interface RequestRecord {
  requestId: string;
  method: string;
  route: string;
  status: number;
  durationMs: number;
  actor: string;
  actorKind: string;
  error?: string;
}

export function observeRequest(r: RequestRecord): void {
  try {
    observeHttp(r.method, r.route, r.status, r.durationMs / 1000);
    const fields = {
      requestId: r.requestId,
      actor: r.actor,
      actorKind: r.actorKind,
      method: r.method,
      route: r.route,
      status: r.status,
      durationMs: Math.round(r.durationMs * 10) / 10,
    };
    const log = logger();
    if (r.status >= 500) log.error({ ...fields, err: r.error }, "request failed");
    else log.info(fields, "request");
  } catch {
    /* observing never breaks a response */
  }
}
