/**
 * What the engine announces, to whoever listens: the server wires webhooks and metrics here at
 * start-up (lib/server/engine-listeners.ts), so the engine knows neither. Listeners are kept on
 * globalThis: routes and instrumentation are bundled apart, and an event a route causes must
 * reach the listeners boot installed.
 */
import type { Exec } from "@/db/client";
import type { ConsistencySummary } from "./consistency";
import type { EngineEvent } from "./vocabulary";

export interface EngineListener {
  /**
   * An event, inside the transaction of the change that causes it (pass that transaction as `tx`):
   * what the listener writes commits or rolls back with the change. Awaited; a throw fails the change.
   */
  event?(tx: Exec, event: EngineEvent, data: Record<string, unknown>): Promise<unknown>;
  /** A consistency summary the engine just computed (after a run ended). */
  consistencyChecked?(summary: ConsistencySummary): void;
}

const g = globalThis as unknown as { __prestamosEngineListeners?: Map<string, EngineListener> };
const listeners = () => (g.__prestamosEngineListeners ??= new Map());

/** Installs `listener` under `name`, replacing the one installed under that name before (idempotent). */
export function listenToEngine(name: string, listener: EngineListener): void {
  listeners().set(name, listener);
}

export async function emitEvent(tx: Exec, event: EngineEvent, data: Record<string, unknown>): Promise<void> {
  for (const l of listeners().values()) await l.event?.(tx, event, data);
}

/** A run's lifecycle event; `run` is the run's DTO (JSON-safe) or at least its id. */
export function emitRunEvent(tx: Exec, event: Extract<EngineEvent, `run.${string}`>, run: { id: number }, extra: Record<string, unknown> = {}): Promise<void> {
  return emitEvent(tx, event, { run, ...extra });
}

export function announceConsistencySummary(summary: ConsistencySummary): void {
  for (const l of listeners().values()) l.consistencyChecked?.(summary);
}
