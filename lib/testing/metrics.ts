/**
 * Forget this process's metrics and its cached consistency summary, so a test reads what it has
 * just done. Both are globals that lib/metrics keeps (shared across bundles, hence global):
 * nothing in production clears them.
 */
const g = globalThis as unknown as { __prestamosProm?: unknown; __prestamosConsistencyCache?: unknown };

export function resetPrometheus(): void {
  g.__prestamosProm = undefined;
}

export function resetConsistencyCache(): void {
  g.__prestamosConsistencyCache = undefined;
}
