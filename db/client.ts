import fs from "node:fs";
import path from "node:path";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import * as schema from "./schema";

/** Typed against the common PgDatabase, never one driver (CONVENTIONS, pattern 9). */
export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;
/** What reads and plain writes need: a handle or a transaction, never a new transaction of its own. */
export type Exec = Pick<Db, "execute">;
export type Driver = "pglite" | "postgres";

export interface DbHandle {
  db: Db;
  driver: Driver;
  /** Where it points, without credentials: "embedded:<folder>" or "postgres://host:port/db". */
  location: string;
  close(): Promise<void>;
}

export interface OpenDbOptions {
  /** postgres:// URL: real PostgreSQL through postgres.js. */
  url?: string;
  /** PGlite data folder; omitted with no url: an in-memory PGlite (tests). */
  dataDir?: string;
  /** postgres.js pool size. */
  max?: number;
  /** PGlite only: start from this dump (a migrated template, in tests). */
  loadDataDir?: Blob;
  /** Tag used in pg_stat_activity.application_name. */
  applicationName?: string;
  /** postgres.js only: the session limits, CONSOLE_SESSION_LIMITS unless given. */
  sessionLimits?: Partial<SessionLimits>;
}

export interface SessionLimits {
  idleInTransactionMs: number;
  lockTimeoutMs: number;
  statementTimeoutMs: number;
}

/**
 * Limits of the console's own sessions on a real PostgreSQL. A console process frozen inside a
 * transaction (paused VM, stopped container, debugger) would hold the writers' lock, its chunk
 * and its rows until someone killed it: the server ends such a session after 30 s idle in a
 * transaction (the console never idles that long inside one: its longest pause is the capture
 * DDL's retry, at most ~5 s). A process frozen between sending a statement and binding it
 * (postgres.js describes first) is "active", not idle, to the server: the statement limit
 * bounds that case, 5 min (the longest statement measured, the bench's one-statement floor at
 * 1,000,000 prestamos, takes 70 s). No lock wait of the console lasts more than 15 s (batches
 * and the capture DDL set shorter ones themselves).
 */
export const CONSOLE_SESSION_LIMITS: SessionLimits = { idleInTransactionMs: 30_000, lockTimeoutMs: 15_000, statementTimeoutMs: 5 * 60_000 };

export class DataDirLockedError extends Error {
  constructor(
    readonly lockFile: string,
    readonly holderPid: number,
  ) {
    super(
      `The embedded database folder is in use by process ${holderPid} (lock ${lockFile}). ` +
        `PGlite allows one process per folder: stop that process first, or use the console's Tokens page.`,
    );
    this.name = "DataDirLockedError";
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** A lock file beside the data folder holding our pid: PGlite has no lock of its own. */
export function acquireDataDirLock(dataDir: string): () => void {
  const lockFile = `${path.resolve(dataDir)}.lock`;
  fs.mkdirSync(path.dirname(lockFile), { recursive: true });
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = fs.openSync(lockFile, "wx");
      fs.writeSync(fd, String(process.pid));
      fs.closeSync(fd);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        try {
          if (fs.readFileSync(lockFile, "utf8").trim() === String(process.pid)) fs.unlinkSync(lockFile);
        } catch {
          /* already gone */
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const holder = Number.parseInt(fs.readFileSync(lockFile, "utf8").trim(), 10);
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && isAlive(holder)) {
        throw new DataDirLockedError(lockFile, holder);
      }
      // Stale lock of a dead process (killed with SIGKILL): take it over.
      fs.rmSync(lockFile, { force: true });
    }
  }
  throw new Error(`Could not take the lock ${lockFile}`);
}

function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `postgres://${u.hostname}:${u.port || "5432"}${u.pathname}`;
  } catch {
    return "postgres://(unparseable url)";
  }
}

export async function openDb(opts: OpenDbOptions = {}): Promise<DbHandle> {
  if (opts.url) {
    const { default: postgres } = await import("postgres");
    const { drizzle } = await import("drizzle-orm/postgres-js");
    const limits = { ...CONSOLE_SESSION_LIMITS, ...opts.sessionLimits };
    const client = postgres(opts.url, {
      max: opts.max ?? 10,
      onnotice: () => {},
      // JIT compiles the engine's large generated expressions for seconds per statement and never
      // pays back on batches of a few thousand rows: off for the console's own sessions.
      // The engine is written for READ COMMITTED (each statement sees what committed before it,
      // e.g. a sync after the writers' lock): set, not inherited from a server or role default.
      connection: {
        application_name: opts.applicationName ?? "prestamos-console",
        jit: "off",
        default_transaction_isolation: "read committed",
        idle_in_transaction_session_timeout: limits.idleInTransactionMs,
        lock_timeout: limits.lockTimeoutMs,
        statement_timeout: limits.statementTimeoutMs,
      },
      // int8 as a JS number, as PGlite returns it: ids, counts and cents stay far below 2^53.
      // Sums of cents are numeric and stay strings in both drivers.
      types: { int8: { to: 20, from: [20], serialize: (v: number) => String(v), parse: (v: string) => Number(v) } },
    });
    const db = drizzle(client, { schema }) as unknown as Db;
    return { db, driver: "postgres", location: describeUrl(opts.url), close: () => client.end({ timeout: 5 }) };
  }
  const { PGlite } = await import("@electric-sql/pglite");
  const { drizzle } = await import("drizzle-orm/pglite");
  const release = opts.dataDir ? acquireDataDirLock(opts.dataDir) : () => {};
  try {
    const client = new PGlite({ dataDir: opts.dataDir, loadDataDir: opts.loadDataDir });
    await client.waitReady;
    // One connection inside this process: no other session can hold a lock or freeze inside a
    // transaction, so the session limits have nothing to bound. The isolation level is set all the same.
    await client.exec("SET default_transaction_isolation = 'read committed'");
    const db = drizzle(client, { schema }) as unknown as Db;
    return {
      db,
      driver: "pglite",
      location: opts.dataDir ? `embedded:${opts.dataDir}` : "embedded:memory",
      close: async () => {
        try {
          if (!client.closed) await client.close();
        } finally {
          release();
        }
      },
    };
  } catch (err) {
    release();
    throw err;
  }
}

/** The embedded database's folder when no DATABASE_URL is set. */
export function defaultDataDir(): string {
  return process.env.PGLITE_DATA_DIR ?? path.join(process.cwd(), ".data", "pglite");
}

const globalForDb = globalThis as unknown as { __prestamosDb?: Promise<DbHandle> };

/**
 * The one database handle of this process, created lazily and kept on globalThis (routes and
 * instrumentation are bundled apart; HMR re-evaluates modules).
 */
export function getDbHandle(): Promise<DbHandle> {
  if (!globalForDb.__prestamosDb) {
    const url = process.env.DATABASE_URL;
    globalForDb.__prestamosDb = openDb(url ? { url, max: 10 } : { dataDir: defaultDataDir() }).catch((err) => {
      globalForDb.__prestamosDb = undefined;
      throw err;
    });
  }
  return globalForDb.__prestamosDb;
}

export async function getDb(): Promise<Db> {
  return (await getDbHandle()).db;
}

export async function closeDb(): Promise<void> {
  const pending = globalForDb.__prestamosDb;
  globalForDb.__prestamosDb = undefined;
  if (pending) await (await pending).close();
}

/**
 * Makes `handle` the process's database, as if getDbHandle() had opened it; undefined forgets it
 * (the next getDbHandle() opens one again). The one way in is lib/testing/app-db.ts's installAppDb.
 */
export function setDbHandle(handle: DbHandle | undefined): void {
  globalForDb.__prestamosDb = handle ? Promise.resolve(handle) : undefined;
}
