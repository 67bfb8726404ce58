/** Every route module under app/api, found by walking the folder (the sweep and access tests use it). */
import fs from "node:fs";
import path from "node:path";
import { autoImplementMethods } from "next/dist/server/route-modules/app-route/helpers/auto-implement-methods";

export type Handler = ((req: Request, ctx: { params: Promise<Record<string, string | string[]>> }) => Promise<Response>) & {
  routeMeta?: { role: "admin" | "reviewer" | "public"; action?: string };
};

export interface RouteFile {
  /** URL path pattern, e.g. /api/users/[id]. */
  pattern: string;
  /** The dynamic segments in order: name and whether it is a catch-all. */
  dynamic: { name: string; catchAll: boolean }[];
  /** What Next serves for each of METHODS: the module's export, else Next's own answer (HEAD from GET, an automatic OPTIONS, an empty 405). */
  handlers: Record<string, Handler>;
  /** The methods the module itself exports. */
  exported: Set<string>;
}

export const METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;
export const MUTATING = new Set(["POST", "PUT", "PATCH", "DELETE"]);
const API_DIR = path.join(process.cwd(), "app", "api");

function walk(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return walk(full);
    return e.name === "route.ts" ? [full] : [];
  });
}

/** Imports every route.ts under app/api and gives, for every method, the handler Next would call. */
export async function loadRoutes(): Promise<RouteFile[]> {
  const out: RouteFile[] = [];
  for (const file of walk(API_DIR).sort()) {
    const rel = path.relative(API_DIR, path.dirname(file)).split(path.sep).filter(Boolean);
    const dynamic = rel.flatMap((seg) => {
      const m = /^\[(\.\.\.)?([^\]]+)\]$/.exec(seg);
      return m ? [{ name: m[2], catchAll: Boolean(m[1]) }] : [];
    });
    const mod = (await import(/* @vite-ignore */ file)) as Record<string, unknown>;
    const exports: Record<string, Handler> = {};
    for (const m of METHODS) if (typeof mod[m] === "function") exports[m] = mod[m] as Handler;
    // Next's own filling-in of the methods a module does not export, so the sweeps see what a client gets.
    const served = autoImplementMethods(exports as unknown as Parameters<typeof autoImplementMethods>[0]) as unknown as Record<string, Handler>;
    const handlers = Object.fromEntries(METHODS.map((m) => [m, served[m]]));
    out.push({ pattern: `/api/${rel.join("/")}`.replace(/\/$/, ""), dynamic, handlers, exported: new Set(Object.keys(exports)) });
  }
  return out;
}
