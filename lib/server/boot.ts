import { closeDb, DataDirLockedError, getDbHandle, type DbHandle } from "@/db/client";
import { migrationStatus } from "@/db/migrate";
import { disableDemoUsers, ensureAdminFromEnv, seedDemoUsers } from "@/lib/auth/bootstrap";
import { prepareDatabase } from "@/lib/migration/prepare";
import { seedDemoData } from "@/lib/migration/test-data";
import { startBackgroundWorkers, stopBackgroundWorkers } from "@/lib/migration/worker";
import { logger, logWorkerEvent } from "@/lib/log";
import { startRateLimitPruning, stopRateLimitPruning } from "@/lib/http/rate-limit";
import { startWebhookDeliverer, stopWebhookDeliverer } from "@/lib/webhooks/deliver";
import { installEngineListeners } from "./engine-listeners";
import { EnvError, serverEnv, type ServerEnv } from "./env";

/**
 * Start-up (CONVENTIONS, pattern 10): called from instrumentation.ts register(), Node runtime
 * only, idempotent. Migrations and rule functions, the first admin or the demo users, demo data,
 * then the background workers. Nothing here runs at module top level (`next build` imports it).
 */
export interface BootSummary {
  driver: DbHandle["driver"];
  /** Without credentials: "embedded:<folder>" or "postgres://host:port/db". */
  location: string;
  migrationsApplied: number;
  createdLegacyTables: boolean;
  admin: "from-env" | "none";
  /** Demo users created by this start (empty when they already existed or are not wanted). */
  demoUsers: string[];
  /** Demo legacy data created by this start (false when rows already existed or it is off). */
  demoData: boolean;
  tookMs: number;
}

const log = (msg: string) => console.log(`[prestamos] ${msg}`);

/**
 * Everything start-up does to the database. Idempotent: safe on every start and in tests. The
 * background worker is started by boot(), not here, so tests can call this on their database.
 */
export async function bootDatabase(handle: DbHandle, env: ServerEnv): Promise<BootSummary> {
  const started = performance.now();
  const { createdLegacyTables } = await prepareDatabase(handle);
  const db = handle.db;

  // MIGRATION-SPEC §7: ADMIN_EMAIL/ADMIN_PASSWORD create or update the first admin; with the
  // embedded database and no admin configured, demo users (admin + reviewer) are seeded.
  let admin: BootSummary["admin"] = "none";
  let demoUsers: string[] = [];
  if (env.admin) {
    await ensureAdminFromEnv(db, env.admin.email, env.admin.password);
    admin = "from-env";
    // The demo's published passwords must not stay a way in once a real admin is configured.
    if (env.mode === "embedded") await disableDemoUsers(db);
  } else if (env.mode === "embedded") {
    demoUsers = await seedDemoUsers(db);
  }

  // Demo legacy data: only in embedded mode with no admin configured (DEMO_DATA=off disables it).
  // It never runs against a real PostgreSQL, whose legacy tables belong to the loans application;
  // seedDemoData itself does nothing once any legacy row exists.
  let demoData = false;
  if (env.demoData && env.mode === "embedded" && !env.admin) {
    demoData = (await seedDemoData(db)) !== null;
  }

  const { applied } = await migrationStatus(handle);
  return {
    driver: handle.driver,
    location: handle.location,
    migrationsApplied: applied,
    createdLegacyTables,
    admin,
    demoUsers,
    demoData,
    tookMs: Math.round(performance.now() - started),
  };
}

const globalForBoot = globalThis as unknown as {
  __prestamosBoot?: Promise<BootSummary>;
  __prestamosSignals?: boolean;
};

/** Idempotent start-up of this process: the first call does the work, later calls share it. */
export function boot(): Promise<BootSummary> {
  globalForBoot.__prestamosBoot ??= (async () => {
    const env = serverEnv();
    installShutdownHandlers(env);
    // Before anything can make the engine announce an event (demo data, the worker, a route).
    installEngineListeners();
    const handle = await getDbHandle();
    const summary = await bootDatabase(handle, env);
    // The engine's worker: drives the active run (resuming one whose lease expired) and drains
    // the change-capture queue. Started once per process; stopped before the database closes.
    // PGlite has one connection: several batch loops would only take turns on it.
    startBackgroundWorkers(handle.db, {
      log: logWorkerEvent,
      maxSlots: handle.driver === "pglite" ? 1 : undefined,
      throttle: { driver: handle.driver },
      driver: handle.driver,
    });
    // sends queued webhook deliveries (claimed with SKIP LOCKED: safe with several instances).
    startWebhookDeliverer(handle.db);
    startRateLimitPruning(handle.db, (err) => logger().warn({ err: String((err as Error)?.message ?? err) }, "rate-limit pruning failed"));
    log(
      `ready: ${summary.location} (${summary.driver}), ${summary.migrationsApplied} migrations` +
        (summary.createdLegacyTables ? ", legacy tables created (trial database)" : "") +
        `, admin ${summary.admin}${summary.demoUsers.length ? `, demo users created (${summary.demoUsers.join(", ")})` : ""}${summary.demoData ? ", demo data" : ""}` +
        `, worker started, in ${summary.tookMs} ms`,
    );
    return summary;
  })().catch((err) => {
    globalForBoot.__prestamosBoot = undefined;
    throw err;
  });
  return globalForBoot.__prestamosBoot;
}

/**
 * What instrumentation calls: boot, or say clearly why not and exit 1 fast. A locked embedded
 * folder (another process has it) and a bad environment are one-line messages, not stacks.
 */
export async function bootOrExit(): Promise<void> {
  try {
    await boot();
  } catch (err) {
    if (err instanceof DataDirLockedError || err instanceof EnvError) {
      console.error(`[prestamos] cannot start: ${err.message}`);
    } else {
      console.error(`[prestamos] start-up failed: ${String((err as Error)?.stack ?? err)}`);
    }
    await closeDb().catch(() => {});
    process.exit(1);
  }
}

/**
 * SIGTERM/SIGINT: stop the workers, close the database (PGlite must close before exit, or its
 * folder is left dirty), then exit 0. Next's own handlers are off (NEXT_MANUAL_SIG_HANDLE=1 in the
 * npm scripts), otherwise they would exit before the close.
 */
export function installShutdownHandlers(env: Pick<ServerEnv, "mode">): void {
  if (globalForBoot.__prestamosSignals) return;
  globalForBoot.__prestamosSignals = true;
  if (env.mode === "embedded" && !process.env.NEXT_MANUAL_SIG_HANDLE && process.env.NODE_ENV === "production") {
    log("warning: NEXT_MANUAL_SIG_HANDLE is not set: Next may exit before the embedded database closes (use npm start)");
  }
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: closing the database`);
    const force = setTimeout(() => {
      console.error("[prestamos] shutdown took longer than 10 s: exiting anyway");
      process.exit(1);
    }, 10_000);
    force.unref();
    void (async () => {
      try {
        await stopBackgroundWorkers();
        await stopWebhookDeliverer();
        stopRateLimitPruning();
        await closeDb();
      } catch (err) {
        console.error(`[prestamos] error while closing: ${String(err)}`);
      }
      process.exit(0);
    })();
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
}
