import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { StartRunBody } from "./migration";
import { API_OPERATIONS, openApiDocument } from "./openapi";

const ROOT = path.resolve(__dirname, "../..");
const API_DIR = path.join(ROOT, "app/api");
const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;
/** Fallbacks that are not operations: the JSON 404 catch-all and next-auth's own routes. */
const EXCLUDED_DIRS = ["[...path]", "auth/[...nextauth]"];

function routeFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...routeFiles(full));
    else if (entry.name === "route.ts") out.push(full);
  }
  return out;
}

/**
 * The methods a route file serves: `export const GET = …` and `export (async) function GET`, but
 * not the names destructured from methodNotAllowed(…) (JSON 405 stubs) or notFoundHandlers.
 * A destructured export from anything else counts as served (fail towards "undocumented").
 */
export function servedMethods(source: string): string[] {
  const served = new Set<string>();
  for (const m of source.matchAll(/export\s+(?:const|let|async\s+function|function)\s+(GET|POST|PUT|PATCH|DELETE)\b/g)) served.add(m[1]);
  for (const m of source.matchAll(/export\s+const\s*\{([^}]*)\}\s*=\s*([A-Za-z_$][\w$]*)/g)) {
    if (m[2] === "methodNotAllowed" || m[2] === "notFoundHandlers") continue;
    for (const name of m[1].split(",").map((s) => s.trim().split(":")[0].trim())) if ((METHODS as readonly string[]).includes(name)) served.add(name);
  }
  return [...served].sort();
}

/** app/api/users/[id]/route.ts → /api/users/{id} */
function apiPath(file: string): string {
  const rel = path.relative(path.join(ROOT, "app"), path.dirname(file)).split(path.sep);
  return "/" + rel.map((s) => s.replace(/^\[(.+)\]$/, "{$1}")).join("/");
}

function routesOnDisk(): string[] {
  const keys: string[] = [];
  for (const file of routeFiles(API_DIR)) {
    const rel = path.relative(API_DIR, path.dirname(file)).split(path.sep).join("/");
    if (EXCLUDED_DIRS.includes(rel)) continue;
    for (const m of servedMethods(fs.readFileSync(file, "utf8"))) keys.push(`${m} ${apiPath(file)}`);
  }
  return keys.sort();
}

describe("OpenAPI document", () => {
  it("documents exactly the operations the route files serve (both directions)", () => {
    const onDisk = routesOnDisk();
    const doc = openApiDocument();
    const documented: string[] = [];
    for (const [p, item] of Object.entries(doc.paths ?? {})) {
      for (const m of METHODS) if ((item as Record<string, unknown>)[m.toLowerCase()]) documented.push(`${m} ${p}`);
    }
    documented.sort();
    const missingFromDoc = onDisk.filter((k) => !documented.includes(k));
    const missingOnDisk = documented.filter((k) => !onDisk.includes(k));
    expect({ missingFromDoc, missingOnDisk }).toEqual({ missingFromDoc: [], missingOnDisk: [] });
    expect(onDisk.length).toBeGreaterThan(20);
    // The registry and the document agree one to one.
    expect(API_OPERATIONS.map((o) => `${o.method.toUpperCase()} ${o.path}`).sort()).toEqual(documented);
  });

  it("the scanner tells served methods from 405 stubs", () => {
    const src = `export const GET = route({});\nexport async function POST() {}\nexport const { PUT, PATCH, DELETE } = methodNotAllowed("GET", "POST");`;
    expect(servedMethods(src)).toEqual(["GET", "POST"]);
    expect(servedMethods(`export const { GET, HEAD, POST } = notFoundHandlers;`)).toEqual([]);
    expect(servedMethods(`export const { GET, POST } = handlers;`)).toEqual(["GET", "POST"]);
  });

  it("is structurally valid OpenAPI 3.1", () => {
    const doc = openApiDocument() as unknown as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(typeof doc.info.title).toBe("string");
    expect(typeof doc.info.version).toBe("string");
    const ids = new Set<string>();
    const json = JSON.stringify(doc);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    for (const [p, item] of Object.entries<Record<string, any>>(doc.paths)) {
      expect(p.startsWith("/api/")).toBe(true);
      const ops = Object.entries(item).filter(([k]) => ["get", "put", "post", "delete", "options", "head", "patch", "trace"].includes(k));
      expect(ops.length, p).toBeGreaterThan(0);
      const templated = [...p.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
      for (const [method, o] of ops) {
        expect(Object.keys(o.responses ?? {}).length, `${method} ${p}`).toBeGreaterThan(0);
        for (const [status, r] of Object.entries<Record<string, unknown>>(o.responses)) {
          expect(status).toMatch(/^([1-5]\d\d|default)$/);
          expect(typeof r.description).toBe("string");
        }
        expect(ids.has(o.operationId), `duplicate operationId ${o.operationId}`).toBe(false);
        ids.add(o.operationId);
        const pathParams = (o.parameters ?? []).filter((x: { in: string }) => x.in === "path");
        expect(pathParams.map((x: { name: string }) => x.name).sort(), `${method} ${p}`).toEqual([...templated].sort());
        for (const x of pathParams) expect(x.required).toBe(true);
        for (const x of o.parameters ?? []) expect(["query", "header", "path", "cookie"]).toContain(x.in);
        for (const s of o.security ?? []) for (const name of Object.keys(s)) expect(doc.components.securitySchemes[name], name).toBeDefined();
      }
    }
    // Every $ref resolves inside the document.
    for (const m of json.matchAll(/"\$ref":"#\/components\/([^/"]+)\/([^"]+)"/g)) expect(doc.components?.[m[1]]?.[m[2]], m[0]).toBeDefined();
  });

  it("uses the routes' own schemas: a strict body lists its fields and refuses others", () => {
    const doc = openApiDocument() as unknown as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    const start = doc.paths["/api/prestamos/migration/start"].post;
    const schema = start.requestBody.content["application/json"].schema;
    // Whatever fields StartRunBody has today, the document has the same ones.
    expect(Object.keys(schema.properties).sort()).toEqual(Object.keys(StartRunBody.shape).sort());
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(["batchSize", "errorThresholdPct", "retry"]));
    expect(schema.additionalProperties).toBe(false);
    expect(Object.keys(start.responses)).toContain("202");
    const hook = doc.paths["/api/webhooks"].post.requestBody.content["application/json"].schema;
    expect(Object.keys(hook.properties).sort()).toEqual(["events", "url"]);
  });

  it("every curl example body parses with its operation's schema", () => {
    for (const o of API_OPERATIONS) if (o.body && o.example !== undefined) expect(o.body.safeParse(o.example).success, `${o.method} ${o.path}`).toBe(true);
  });
});
