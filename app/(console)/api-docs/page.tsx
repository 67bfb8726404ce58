import type { Metadata } from "next";
import { PageHeader } from "@/components/console/page-header";
import { Badge, type BadgeTone } from "@/components/ui/badge";
import { Card } from "@/components/ui/card";
import { CopyButton } from "@/components/ui/copy-button";
import { API_OPERATIONS, API_TAGS, errorStatuses, errorText, openApiDocument, type ApiOperation } from "@/lib/api/openapi";
import { requirePagePrincipal } from "@/lib/auth/session";

export const metadata: Metadata = { title: "API reference" };

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const METHOD_TONE: Record<string, BadgeTone> = { get: "info", post: "success", patch: "warning", put: "warning", delete: "danger" };

interface Field {
  name: string;
  where: "path" | "query" | "body";
  type: string;
  required: boolean;
  notes: string;
}

function describeSchema(s: Json | undefined): { type: string; notes: string } {
  if (!s) return { type: "any", notes: "" };
  const notes: string[] = [];
  if (s.enum) notes.push(`one of ${s.enum.map((v: unknown) => JSON.stringify(v)).join(", ")}`);
  if (s.const !== undefined) notes.push(`exactly ${JSON.stringify(s.const)}`);
  if (s.pattern) notes.push(`pattern ${s.pattern}`);
  if (s.minimum !== undefined) notes.push(`≥ ${s.minimum}`);
  if (s.maximum !== undefined) notes.push(`≤ ${s.maximum}`);
  if (s.minLength !== undefined) notes.push(`min length ${s.minLength}`);
  if (s.maxLength !== undefined) notes.push(`max length ${s.maxLength}`);
  if (s.format) notes.push(s.format);
  if (s.type === "array" && s.items?.enum) notes.push(`items: ${s.items.enum.join(", ")}`);
  const type = Array.isArray(s.type) ? s.type.join(" | ") : (s.type ?? (s.anyOf ? "one of several" : "any"));
  return { type: type === "array" && s.items?.type ? `${s.items.type}[]` : type, notes: notes.join("; ") };
}

function fieldsOf(op: Json | undefined): Field[] {
  if (!op) return [];
  const out: Field[] = [];
  for (const p of op.parameters ?? []) {
    const d = describeSchema(p.schema);
    out.push({ name: p.name, where: p.in, type: d.type, required: Boolean(p.required), notes: d.notes });
  }
  const body = op.requestBody?.content?.["application/json"]?.schema as Json | undefined;
  for (const [name, schema] of Object.entries<Json>(body?.properties ?? {})) {
    const d = describeSchema(schema);
    out.push({ name, where: "body", type: d.type, required: (body?.required ?? []).includes(name), notes: d.notes });
  }
  return out;
}

/** The registry's texts mark code with backticks: shown as code, never as literal backticks. */
function Prose({ text }: { text: string }) {
  return (
    <>
      {text.split(/`([^`]+)`/).map((part, i) =>
        i % 2 === 1 ? (
          <code key={i} className="rounded bg-zinc-100 px-1 font-mono text-[0.9em] text-zinc-800">
            {part}
          </code>
        ) : (
          part
        ),
      )}
    </>
  );
}

const ALL_ERROR_STATUSES = [...new Set(API_OPERATIONS.flatMap(errorStatuses))].sort((a, b) => a - b);

const slug = (s: string) =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "");
const tagAnchor = (tag: string) => slug(tag);
const opAnchor = (o: ApiOperation) => `${o.method}-${slug(o.path)}`;

function curlFor(o: ApiOperation): string {
  const path = o.path.replace(/\{(\w+)\}/g, (_m, n: string) => (n === "id" ? "1" : `<${n}>`));
  const parts = [`curl -sS`];
  if (o.method !== "get") parts.push(`-X ${o.method.toUpperCase()}`);
  if (o.role !== "public")
    parts.push(o.path === "/api/metrics/prometheus" ? `-H "Authorization: Bearer $PROMETHEUS_SCRAPE_TOKEN"` : `-H "Authorization: Bearer $TOKEN"`);
  if (o.body && o.example !== undefined) parts.push(`-H 'content-type: application/json' -d '${JSON.stringify(o.example)}'`);
  parts.push(`"$BASE${path}"`);
  return parts.join(" \\\n  ");
}

/** `/api-docs`: the API reference, server-rendered from the same registry as /api/openapi.json (no CDN, no client code). */
export default async function ApiDocsPage() {
  await requirePagePrincipal({ callbackUrl: "/api-docs" });
  const doc = openApiDocument() as unknown as Json;
  return (
    <div className="space-y-6">
      <PageHeader
        title="API reference"
        description={
          <>
            Every endpoint of the console, generated from the zod schemas the routes validate with. Scripts send{" "}
            <code className="font-mono">Authorization: Bearer $TOKEN</code> (Tokens page or <code className="font-mono">npm run token</code>); reviewers may
            call GET, admins everything. Machine-readable:{" "}
            <a className="underline" href="/api/openapi.json">
              /api/openapi.json
            </a>{" "}
            (OpenAPI 3.1).
          </>
        }
      />
      <div className="grid grid-cols-1 gap-8 lg:grid-cols-[13rem_minmax(0,1fr)]">
        <nav aria-label="Contents" className="lg:sticky lg:top-6 lg:max-h-[calc(100vh-3rem)] lg:self-start lg:overflow-y-auto">
          <h2 className="mb-2 text-xs font-semibold uppercase tracking-wide text-zinc-500">Contents</h2>
          <ol className="space-y-3 text-sm">
            <li>
              <a href="#errors" className="font-medium text-zinc-900 hover:underline">
                Errors
              </a>
            </li>
            {API_TAGS.map((tag) => (
              <li key={tag}>
                <a href={`#${tagAnchor(tag)}`} className="font-medium text-zinc-900 hover:underline">
                  {tag}
                </a>
                <ol className="mt-1 space-y-0.5 border-l border-zinc-200 pl-2">
                  {API_OPERATIONS.filter((o) => o.tag === tag).map((o) => (
                    <li key={opAnchor(o)}>
                      <a
                        href={`#${opAnchor(o)}`}
                        className="flex gap-1.5 rounded px-1 py-0.5 text-[13px] leading-snug text-zinc-600 hover:bg-zinc-100 hover:text-zinc-900"
                      >
                        <span className="w-9 shrink-0 font-mono text-[10px] uppercase leading-5 text-zinc-400">{o.method}</span>
                        <span className="min-w-0">{o.summary.replaceAll("`", "")}</span>
                      </a>
                    </li>
                  ))}
                </ol>
              </li>
            ))}
          </ol>
        </nav>
        <div className="min-w-0 space-y-10">
          <Card
            id="errors"
            className="scroll-mt-6"
            title="Errors"
            description={
              <Prose text="Every error answers the same JSON envelope, `{error: {code, message, details?, requestId}}`, with an `x-request-id` header. Each endpoint lists the statuses it may answer." />
            }
          >
            <dl className="grid grid-cols-[4rem_1fr] gap-x-3 gap-y-1 text-sm">
              {ALL_ERROR_STATUSES.map((st) => (
                <div key={st} className="contents">
                  <dt className="font-mono text-zinc-500">{st}</dt>
                  <dd className="text-zinc-700">{errorText(st)}</dd>
                </div>
              ))}
            </dl>
          </Card>
          {API_TAGS.map((tag) => (
            <section key={tag} id={tagAnchor(tag)} className="scroll-mt-6 space-y-4">
              <h2 className="text-lg font-semibold text-zinc-900">{tag}</h2>
              {API_OPERATIONS.filter((o) => o.tag === tag).map((o) => {
                const op = doc.paths?.[o.path]?.[o.method] as Json | undefined;
                const fields = fieldsOf(op);
                const curl = curlFor(o);
                return (
                  <Card
                    id={opAnchor(o)}
                    className="scroll-mt-6"
                    key={`${o.method} ${o.path}`}
                    title={
                      <span className="flex flex-wrap items-center gap-2" data-testid="api-operation">
                        <Badge tone={METHOD_TONE[o.method]}>{o.method.toUpperCase()}</Badge>
                        <code className="font-mono text-sm">{o.path}</code>
                      </span>
                    }
                    description={<Prose text={o.summary} />}
                    actions={<Badge tone={o.role === "admin" ? "warning" : o.role === "public" ? "neutral" : "info"}>{o.role}</Badge>}
                  >
                    <div className="space-y-4 text-sm">
                      {o.description && (
                        <p className="text-zinc-600">
                          <Prose text={o.description} />
                        </p>
                      )}
                      {o.audit && (
                        <p className="text-zinc-500">
                          Audited as <code className="font-mono">{o.audit}</code> (allowed or refused).
                        </p>
                      )}
                      {fields.length > 0 && (
                        <table className="w-full text-left text-sm">
                          <thead className="text-xs uppercase tracking-wide text-zinc-500">
                            <tr>
                              <th className="py-1 pr-4">Field</th>
                              <th className="py-1 pr-4">In</th>
                              <th className="py-1 pr-4">Type</th>
                              <th className="py-1">Rules</th>
                            </tr>
                          </thead>
                          <tbody className="divide-y divide-zinc-100">
                            {fields.map((f) => (
                              <tr key={`${f.where}:${f.name}`}>
                                <td className="py-1 pr-4 font-mono">
                                  {f.name}
                                  {f.required ? "" : "?"}
                                </td>
                                <td className="py-1 pr-4 text-zinc-500">{f.where}</td>
                                <td className="py-1 pr-4 text-zinc-700">{f.type}</td>
                                <td className="py-1 text-zinc-500">{f.notes}</td>
                              </tr>
                            ))}
                          </tbody>
                        </table>
                      )}
                      <dl className="grid grid-cols-[4rem_1fr] gap-x-3 gap-y-1">
                        <dt className="font-mono font-semibold text-emerald-700">{o.status}</dt>
                        <dd className="text-zinc-700">
                          <Prose text={o.response} />
                        </dd>
                        <dt className="text-zinc-500">Errors</dt>
                        <dd className="flex flex-wrap gap-x-2 font-mono text-zinc-500">
                          {errorStatuses(o).map((st) => (
                            <a key={st} href="#errors" title={errorText(st)} className="underline decoration-dotted underline-offset-2 hover:text-zinc-900">
                              {st}
                            </a>
                          ))}
                        </dd>
                      </dl>
                      <div className="relative">
                        <pre className="overflow-x-auto rounded-lg bg-zinc-900 p-3 pr-20 font-mono text-xs text-zinc-100">{curl}</pre>
                        <CopyButton text={curl} label="Copy" className="absolute right-2 top-2" />
                      </div>
                    </div>
                  </Card>
                );
              })}
            </section>
          ))}
        </div>
      </div>
    </div>
  );
}
