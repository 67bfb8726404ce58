/**
 * The browser's typed fetch for the console's own API (CONVENTIONS, pattern 11): same-origin
 * session cookie, JSON in and out, and on non-2xx an ApiError carrying the envelope's message
 * (`{"error": {code, message, requestId}}`), so a refused action says why in the UI.
 */

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
    readonly requestId: string | null,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

export interface ApiFetchInit {
  method?: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  body?: unknown;
  signal?: AbortSignal;
}

export async function apiFetch<T>(path: string, init: ApiFetchInit = {}): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, {
      method: init.method ?? "GET",
      credentials: "same-origin",
      cache: "no-store",
      headers: init.body === undefined ? { accept: "application/json" } : { accept: "application/json", "content-type": "application/json" },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      signal: init.signal,
    });
  } catch (err) {
    if ((err as Error)?.name === "AbortError") throw err;
    throw new ApiError("The console did not answer (network error)", 0, "NETWORK", null);
  }
  const text = await res.text();
  let json: unknown = undefined;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (!res.ok) {
    const env = (json as { error?: { code?: string; message?: string; requestId?: string; details?: unknown } } | undefined)?.error;
    const requestId = env?.requestId ?? res.headers.get("x-request-id");
    throw new ApiError(env?.message ?? `Request failed with HTTP ${res.status}`, res.status, env?.code ?? `HTTP_${res.status}`, requestId, env?.details);
  }
  return json as T;
}

/** The message to show for a failed request or mutation. */
export function errorMessage(err: unknown): string {
  if (err instanceof ApiError) return err.status ? `${err.message} (${err.code}, HTTP ${err.status})` : err.message;
  return err instanceof Error ? err.message : String(err);
}
