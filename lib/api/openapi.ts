/**
 * The one registry of the API's operations and the OpenAPI 3.1 document generated from
 * it with @asteasolutions/zod-to-openapi. Params, query and body are the SAME zod schemas the
 * route handlers parse with, so the document cannot drift from what a route accepts; a test
 * (lib/api/openapi.test.ts) walks app/api and fails when a route and this registry disagree.
 */
import { OpenAPIRegistry, OpenApiGeneratorV31 } from "@asteasolutions/zod-to-openapi";
import { z } from "zod";
import { CutoverBody, FinalizeBody, RevertBody, RollbackAllBody, StartRunBody, TuneRunBody } from "./migration";
import { ThrottlePatchBody } from "./throttle";
import {
  ChecklistConfirmBody,
  ChecklistWithdrawBody,
  PreflightConfirmBody,
  PreflightQuery,
  PreflightSettingsBody,
  PreflightWithdrawBody,
  ReportQuery,
} from "./preflight";
import {
  AuditQuery,
  ConsistencyQuery,
  FreshQuery,
  CreateTestDataBody,
  CreateTokenBody,
  CreateUserBody,
  FailuresExportQuery,
  FailuresQuery,
  IdParams,
  MetricsQuery,
  PredictedFailuresQuery,
  PrestamosQuery,
  RunsQuery,
  StartPreviewQuery,
  UpdateUserBody,
} from "./schemas";
import { ENGINE_EVENTS } from "@/lib/migration/vocabulary";
import { CreateWebhookBody, DeliveriesQuery, UpdateWebhookBody } from "./webhooks";

export type ApiMethod = "get" | "post" | "put" | "patch" | "delete";
export type ApiRole = "public" | "reviewer" | "admin";

export interface ApiOperation {
  method: ApiMethod;
  /** OpenAPI path under the server root, with {param} segments: "/api/users/{id}". */
  path: string;
  tag: string;
  role: ApiRole;
  summary: string;
  description?: string;
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: z.ZodType;
  /** A body for the curl example (must parse with `body`). */
  example?: unknown;
  /** Success status. */
  status: number;
  /** What the success response holds. */
  response: string;
  /** Success media type (default JSON). */
  contentType?: "application/json" | "text/plain" | "text/csv";
  /** Error statuses beyond the ones implied (400 for input, 401/403 for roles, 404 for :id). */
  errors?: number[];
  /** The audit action the route writes, for mutations. */
  audit?: string;
  /** False for the one handler outside route() (/api/health answers without the database): no rate limit. */
  viaRoute?: false;
}

const ops: ApiOperation[] = [];
const op = (o: ApiOperation) => ops.push(o);

/* ── Migration ─────────────────────────────────────────────────────────────────── */
const M = "Migration";
op({
  method: "post",
  path: "/api/prestamos/migration/start",
  tag: M,
  role: "admin",
  summary: "Start a run",
  body: StartRunBody,
  example: { batchSize: 2000, errorThresholdPct: 1 },
  status: 202,
  response: "`{run}`: the new run (state running). Installs change capture on the first start.",
  errors: [409],
  audit: "migration.start",
});
op({
  method: "get",
  path: "/api/prestamos/migration/start/preview",
  tag: M,
  role: "reviewer",
  summary: "What a start would do",
  query: StartPreviewQuery,
  status: 200,
  response:
    "Prestamos it takes, the latest dry run's invalid share against the threshold (`predictedHalt`; null without a dry run of the last 15 minutes), whether change capture turns on. Never scans the legacy table.",
});
op({
  method: "get",
  path: "/api/prestamos/migration/runs",
  tag: M,
  role: "reviewer",
  summary: "Every run, newest first",
  query: RunsQuery,
  status: 200,
  response:
    "`{items, nextBefore, total}`: each run with who, when, duration, outcome, processed / failed, reason, settings; `before` = `nextBefore` for older runs.",
});
op({
  method: "get",
  path: "/api/prestamos/migration/runs/{id}",
  tag: M,
  role: "reviewer",
  summary: "One run",
  params: IdParams,
  status: 200,
  response: "`{run, settings, preflight, batchCount}`; its batches are in `GET /api/prestamos/migration/metrics?runId=`.",
});
op({
  method: "post",
  path: "/api/prestamos/migration/stop",
  tag: M,
  role: "admin",
  summary: "Stop the active run after its batch",
  status: 200,
  response: "`{run}`: the run, stop requested (stopped at once when no worker holds it).",
  errors: [409],
  audit: "migration.stop",
});
op({
  method: "post",
  path: "/api/prestamos/migration/pause",
  tag: M,
  role: "admin",
  summary: "Pause the active run after its batches in flight",
  status: 200,
  response: "`{run}`: the run, paused.",
  errors: [409],
  audit: "migration.pause",
});
op({
  method: "post",
  path: "/api/prestamos/migration/resume",
  tag: M,
  role: "admin",
  summary: "Resume a paused run",
  status: 200,
  response: "`{run}`: the run, running again.",
  errors: [409],
  audit: "migration.resume_run",
});
op({
  method: "patch",
  path: "/api/prestamos/migration/settings",
  tag: M,
  role: "admin",
  summary: "Tune the active run while it runs",
  body: TuneRunBody,
  example: { targetBatchMs: 500, workers: 2, pauseMs: 0 },
  status: 200,
  response: "`{run}` with its new target batch time, pause between batches, workers or batch size.",
  errors: [409],
  audit: "migration.tune",
});
op({
  method: "post",
  path: "/api/prestamos/migration/single/{id}",
  tag: M,
  role: "admin",
  summary: "Migrate (or re-sync) one legacy prestamo",
  params: IdParams,
  status: 200,
  response: "Its outcome (migrated or failed) and its failures.",
  audit: "migration.single",
});
op({
  method: "get",
  path: "/api/prestamos/migration/verify",
  tag: M,
  role: "reviewer",
  summary: "System state and dry run of the rules (a background job)",
  query: FreshQuery,
  status: 200,
  response:
    "`{report, freshness}`: the latest report (legacy counts, invalid prestamos by failure code, orphans, new-table counts, change capture and backlog, active run, database version) or null, its age and whether a fresher one runs; `?fresh=1` asks for one.",
});
op({
  method: "get",
  path: "/api/prestamos/migration/legacy-counts",
  tag: M,
  role: "reviewer",
  summary: "Rows of the legacy tables and their orphans",
  query: FreshQuery,
  status: 200,
  response:
    "`{prestamos, pagos, exact, orphans, freshness}`: kept row counts (or the planner's estimate, `exact: false`) and the orphans of the latest exact recount; `?fresh=1` asks for a recount.",
});
op({
  method: "post",
  path: "/api/prestamos/migration/rollback/{id}",
  tag: M,
  role: "admin",
  summary: "Roll one prestamo back",
  params: IdParams,
  status: 200,
  response: '`{legacyId, state: "rolled_back", pagosRemoved}`.',
  errors: [409],
  audit: "migration.rollback",
});
op({
  method: "post",
  path: "/api/prestamos/migration/rollback",
  tag: M,
  role: "admin",
  summary: "Roll everything back",
  body: RollbackAllBody,
  example: { confirm: "ROLLBACK ALL" },
  status: 200,
  response: "`{stoppedRunId, prestamosRemoved, pagosRemoved}`.",
  audit: "migration.rollback_all",
});
op({
  method: "post",
  path: "/api/prestamos/migration/cleanup",
  tag: M,
  role: "admin",
  summary: "End change capture (drop the triggers)",
  status: 200,
  response: "`{removed, drained}`.",
  errors: [409],
  audit: "migration.cleanup",
});
op({
  method: "get",
  path: "/api/prestamos/migration/cutover",
  tag: M,
  role: "reviewer",
  summary: "Cut-over: the phase, every gate with its figure, the switches",
  status: 200,
  response: "`{phase, gates: [{id, ok, figure, why}], lastSwitch, switches, reverse: {installed, backlog}, archive}`; gates are measured in phase legacy only.",
});
op({
  method: "post",
  path: "/api/prestamos/migration/cutover",
  tag: M,
  role: "admin",
  summary: "Cut over to the new tables (bounded switch)",
  body: CutoverBody,
  example: { confirm: "CUT OVER" },
  status: 200,
  response:
    '`{phase: "cut_over", switch}` with attempts, lockWaitMs, writesHeldMs, drainedEntries, drainedPrestamos, totalMs. 409 with `details.gates` while a gate fails, or with `details.mismatches` when a prestamo changed since the gates fails the rules; 503 when the tables stayed locked for the whole budget, or when the application changes rows faster than the switch drains them before it holds the writes (`details.lastPassEntries`, `details.lastPassMs`); nothing changed either way.',
  errors: [409, 503],
  audit: "migration.cutover",
});
op({
  method: "post",
  path: "/api/prestamos/migration/revert",
  tag: M,
  role: "admin",
  summary: "Revert to the legacy tables (the way back)",
  body: RevertBody,
  example: { confirm: "REVERT" },
  status: 200,
  response: '`{phase: "legacy", switch}`; 409 outside phase cut_over; 503 as for the cut-over.',
  errors: [409, 503],
  audit: "migration.revert",
});
op({
  method: "post",
  path: "/api/prestamos/migration/finalize",
  tag: M,
  role: "admin",
  summary: "Finalize: end the way back (the archive is kept)",
  body: FinalizeBody,
  example: { confirm: "FINALIZE", dropViews: false },
  status: 200,
  response: '`{phase: "finalized", switch, archive}`; 409 outside phase cut_over.',
  errors: [409, 503],
  audit: "migration.finalize",
});
op({
  method: "get",
  path: "/api/prestamos/migration/progress",
  tag: M,
  role: "reviewer",
  summary: "Progress of the migration",
  status: 200,
  response: "State, totals, rate over the last 30 s, ETA, change backlog, last error, stop reason.",
});
op({
  method: "get",
  path: "/api/prestamos/migration/consistency",
  tag: M,
  role: "reviewer",
  summary: "Consistency summary and a page of mismatches",
  query: ConsistencyQuery,
  status: 200,
  response:
    "`{summary, freshness, mismatches}`: the latest background check (field match, payment totals, status, relationships, and `comparedWith`: the legacy tables, or once cut over the archive `prestamos_legacy`/`pagos_prestamo_legacy`, with what the comparison proves in that phase) or null, its age and whether a fresher one runs (`?fresh=1` asks for one); one page of mismatches (`readAt`; readers of the same page while it is read share the walk, and a walk that took over 250 ms is served again until `reusedUntil`, twice as long as it took and at most 30 s). 503 with Retry-After beyond the cap on long reads.",
  errors: [503],
});
op({
  method: "post",
  path: "/api/prestamos/migration/consistency/refresh",
  tag: M,
  role: "admin",
  summary: "Ask for a fresh background consistency check",
  status: 202,
  response: "`{job, created}`: the queued job (joined when one already waits).",
  audit: "consistency.refresh",
});
op({
  method: "get",
  path: "/api/prestamos",
  tag: M,
  role: "reviewer",
  summary: "Legacy prestamos with their migration state",
  query: PrestamosQuery,
  status: 200,
  response:
    "`{items, total, totalIsLowerBound, nextAfter, prevBefore}`: prestamos in legacy id order with state (pending, migrated, failed, rolled back; `stale` when changed since migrated), pagos and failure codes; `q` finds a legacy id, or part of the cliente's name or documento; `total` counts every match (from the kept counts for all prestamos or one state; with `q`, `code` or `stale` counted up to 10,000, then `totalIsLowerBound`); `after` = `nextAfter` or `before` = `prevBefore` pages.",
});
op({
  method: "get",
  path: "/api/prestamos/migration/consistency/{id}",
  tag: M,
  role: "reviewer",
  summary: "Field-level diff of one prestamo",
  params: IdParams,
  status: 200,
  response: "One line per field (legacy, expected, new, agree), the same for each pago.",
});
op({
  method: "get",
  path: "/api/prestamos/migration/failures",
  tag: M,
  role: "reviewer",
  summary: "Failed prestamos with their rules",
  query: FailuresQuery,
  status: 200,
  response: "A page of failed prestamos with code, field, value (and pago id).",
});
op({
  method: "get",
  path: "/api/prestamos/migration/failures/export",
  tag: M,
  role: "reviewer",
  summary: "Failures as CSV",
  query: FailuresExportQuery,
  status: 200,
  contentType: "text/csv",
  response:
    "Every failing rule of the failed prestamos matching the filter (all pages), one line each: `legacy_id,run_id,failed_at,code,field,pago_id,value`; streamed.",
});
op({
  method: "get",
  path: "/api/prestamos/migration/failures/predicted",
  tag: M,
  role: "reviewer",
  summary: "Prestamos the rules refuse now (the dry run, listed)",
  query: PredictedFailuresQuery,
  status: 200,
  response:
    "`{items, next, scanned}`: failing prestamos with code, field, value (and pago id), in legacy id order; a page evaluates at most 2,000 legacy prestamos, `after` = `next` goes on.",
});
op({
  method: "get",
  path: "/api/prestamos/migration/failures/recheck",
  tag: M,
  role: "reviewer",
  summary: "Do the failed prestamos still fail?",
  status: 200,
  response:
    "`{failed, checked, stillFailing}`: the failed prestamos (at most 5,000, lowest ids first) against the rules as their legacy rows stand now; a retry fails those again.",
});
op({
  method: "get",
  path: "/api/prestamos/migration/metrics",
  tag: M,
  role: "reviewer",
  summary: "Batch time series and system figures",
  query: MetricsQuery,
  status: 200,
  response: "Per-batch series, throughput, error rate, process and database figures.",
});
// The throttle (MIGRATION-SPEC §8).
op({
  method: "get",
  path: "/api/prestamos/migration/throttle",
  tag: M,
  role: "reviewer",
  summary: "The throttle: signals, levels, state, episodes",
  status: 200,
  response:
    "`{active, since, reasons, signals: [{id, enabled, applicable, value, threshold, resume, critical, state}], episodes, history}`; a signal that cannot be read is `unknown` and throttles.",
});
op({
  method: "patch",
  path: "/api/prestamos/migration/throttle",
  tag: M,
  role: "admin",
  summary: "Change the throttle's levels, at once, also during a run",
  body: ThrottlePatchBody,
  example: { lock_waits: { threshold: 2 }, standby_lag_bytes: { enabled: true, threshold: 8388608 }, criticalAfterSeconds: 30 },
  status: 200,
  response:
    "The throttle as GET answers it, with the new levels (resume ≤ threshold ≤ critical, else 400). A signal halts the run once it has been critical for `criticalAfterSeconds` (default 30, 0 = at once).",
  audit: "throttle.settings",
});

/* ── Pre-flight, checklist and report ─────────────────────────────────── */
const P = "Pre-flight and checklist";
op({
  method: "get",
  path: "/api/prestamos/migration/preflight",
  tag: P,
  role: "reviewer",
  summary: "Pre-flight items",
  query: PreflightQuery,
  status: 200,
  response: "Each item (database, legacy tables, quiet period, dry run, confirmations) with its state and evidence; `?refresh=1` recomputes the dry run.",
});
op({
  method: "post",
  path: "/api/prestamos/migration/preflight/confirm",
  tag: P,
  role: "admin",
  summary: "Confirm a pre-flight item",
  body: PreflightConfirmBody,
  example: { item: "backup_taken", reference: "backup 2026-01-31 02:00" },
  status: 200,
  response: "`{confirmation}`.",
  audit: "preflight.confirm",
});
op({
  method: "post",
  path: "/api/prestamos/migration/preflight/withdraw",
  tag: P,
  role: "admin",
  summary: "Withdraw a pre-flight confirmation",
  body: PreflightWithdrawBody,
  example: { item: "backup_taken" },
  status: 200,
  response: "`{confirmation}`.",
  errors: [409],
  audit: "preflight.withdraw",
});
op({
  method: "get",
  path: "/api/prestamos/migration/preflight/settings",
  tag: P,
  role: "reviewer",
  summary: "Pre-flight settings",
  status: 200,
  response: "The quiet-period threshold (writes per second).",
});
op({
  method: "put",
  path: "/api/prestamos/migration/preflight/settings",
  tag: P,
  role: "admin",
  summary: "Set the quiet-period threshold",
  body: PreflightSettingsBody,
  example: { maxWritesPerSecond: 5 },
  status: 200,
  response: "The settings.",
  audit: "preflight.settings",
});
op({
  method: "get",
  path: "/api/prestamos/migration/checklist",
  tag: P,
  role: "reviewer",
  summary: "Post-migration checklist",
  status: 200,
  response: "Each item measured (one consistency walk), with evidence links and confirmations.",
});
op({
  method: "post",
  path: "/api/prestamos/migration/checklist/confirm",
  tag: P,
  role: "admin",
  summary: "Confirm a checklist item",
  body: ChecklistConfirmBody,
  example: { item: "final_backup_taken", reference: "ticket OPS-42" },
  status: 200,
  response: "`{confirmation}`.",
  audit: "checklist.confirm",
});
op({
  method: "post",
  path: "/api/prestamos/migration/checklist/withdraw",
  tag: P,
  role: "admin",
  summary: "Withdraw a checklist confirmation",
  body: ChecklistWithdrawBody,
  example: { item: "final_backup_taken" },
  status: 200,
  response: "`{confirmation}`.",
  errors: [409],
  audit: "checklist.withdraw",
});
op({
  method: "get",
  path: "/api/prestamos/migration/report",
  tag: P,
  role: "reviewer",
  summary: "The migration report",
  query: ReportQuery,
  status: 200,
  response: "The migration's archive as an attachment: JSON, or printable HTML with `?format=html`.",
});

/* ── Test data ─────────────────────────────────────────────────────────────────── */
const T = "Test data";
op({
  method: "post",
  path: "/api/prestamos/test/create-data",
  tag: T,
  role: "admin",
  summary: "Create tracked legacy test data",
  body: CreateTestDataBody,
  example: { count: 1000, dirtyPct: 10, seed: 42 },
  status: 201,
  response: "What it made: prestamos, pagos, broken ones by code, orphans.",
  audit: "testdata.create",
});
op({
  method: "get",
  path: "/api/prestamos/test/data",
  tag: T,
  role: "reviewer",
  summary: "Test data sets and their counts",
  status: 200,
  response: "The sets created and their current counts.",
});
op({
  method: "delete",
  path: "/api/prestamos/test/data",
  tag: T,
  role: "admin",
  summary: "Remove exactly the tracked test rows",
  status: 200,
  response: "What was removed, new rows and records included.",
  audit: "testdata.delete",
});

/* ── Records and access ────────────────────────────────────────────────────────── */
const A = "Audit";
op({
  method: "get",
  path: "/api/audit",
  tag: A,
  role: "reviewer",
  summary: "Audit log, newest first",
  query: AuditQuery,
  status: 200,
  response: "A page of audit rows (JSON), or the whole filtered log with `?format=csv`.",
});
const U = "Users and tokens";
op({ method: "get", path: "/api/users", tag: U, role: "reviewer", summary: "List users", status: 200, response: "`{users}` without password hashes." });
op({
  method: "post",
  path: "/api/users",
  tag: U,
  role: "admin",
  summary: "Create a user",
  body: CreateUserBody,
  example: { email: "ana@example.com", role: "reviewer", password: "a long pass phrase" },
  status: 201,
  response: "The user.",
  errors: [409],
  audit: "user.create",
});
op({ method: "get", path: "/api/users/{id}", tag: U, role: "reviewer", summary: "One user", params: IdParams, status: 200, response: "The user." });
op({
  method: "patch",
  path: "/api/users/{id}",
  tag: U,
  role: "admin",
  summary: "Update a user",
  params: IdParams,
  body: UpdateUserBody,
  example: { disabled: true },
  status: 200,
  response: "The user.",
  errors: [409],
  audit: "user.update",
});
op({
  method: "delete",
  path: "/api/users/{id}",
  tag: U,
  role: "admin",
  summary: "Delete a user",
  params: IdParams,
  status: 200,
  response: "What was deleted.",
  errors: [409],
  audit: "user.delete",
});
op({
  method: "get",
  path: "/api/tokens",
  tag: U,
  role: "admin",
  summary: "List API tokens",
  status: 200,
  response: "`{tokens}`: prefix, role, last use; never the token.",
});
op({
  method: "post",
  path: "/api/tokens",
  tag: U,
  role: "admin",
  summary: "Create an API token",
  body: CreateTokenBody,
  example: { name: "ci", role: "reviewer" },
  status: 201,
  response: "The token, shown in this response only.",
  audit: "token.create",
});
op({
  method: "delete",
  path: "/api/tokens/{id}",
  tag: U,
  role: "admin",
  summary: "Revoke an API token",
  params: IdParams,
  status: 200,
  response: "The revoked token.",
  errors: [409],
  audit: "token.revoke",
});

/* ── Operations ────────────────────────────────────────────────────────────────── */
const O = "Operations";
op({
  method: "get",
  path: "/api/health",
  tag: O,
  role: "public",
  summary: "Liveness and database reachability",
  status: 200,
  response: "Status and database reachability, nothing secret; 503 when the database does not answer.",
  errors: [503],
  viaRoute: false,
});
op({
  method: "get",
  path: "/api/openapi.json",
  tag: O,
  role: "public",
  summary: "This OpenAPI 3.1 document",
  status: 200,
  response: "The document, generated from the routes' zod schemas.",
});
op({
  method: "get",
  path: "/api/metrics/prometheus",
  tag: O,
  role: "reviewer",
  summary: "Prometheus metrics",
  description: "Text exposition format. Reachable with a reviewer token or session, or with `Authorization: Bearer $PROMETHEUS_SCRAPE_TOKEN`.",
  status: 200,
  contentType: "text/plain",
  response: "Run state, prestamos by state, batch durations, rows/s, failures by code, capture backlog and age, consistency %, HTTP requests, process figures.",
});
const W = "Webhooks";
op({
  method: "get",
  path: "/api/webhooks",
  tag: W,
  role: "reviewer",
  summary: "List webhooks",
  status: 200,
  response: "`{webhooks}`: url, events, enabled; never the secret.",
});
op({
  method: "post",
  path: "/api/webhooks",
  tag: W,
  role: "admin",
  summary: "Create a webhook",
  description: `Events: ${ENGINE_EVENTS.join(", ")} (none given = all). Deliveries are signed: X-Prestamos-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, t + "." + body)>.`,
  body: CreateWebhookBody,
  example: { url: "https://hooks.example.com/prestamos", events: ["run.halted", "run.finished"] },
  status: 201,
  response: "`{webhook, secret}`: the signing secret is shown in this response only.",
  audit: "webhook.create",
});
op({
  method: "patch",
  path: "/api/webhooks/{id}",
  tag: W,
  role: "admin",
  summary: "Enable, disable or change a webhook's events",
  params: IdParams,
  body: UpdateWebhookBody,
  example: { enabled: false },
  status: 200,
  response: "`{webhook}`.",
  audit: "webhook.update",
});
op({
  method: "delete",
  path: "/api/webhooks/{id}",
  tag: W,
  role: "admin",
  summary: "Delete a webhook and its deliveries",
  params: IdParams,
  status: 200,
  response: "`{deleted}`.",
  audit: "webhook.delete",
});
op({
  method: "get",
  path: "/api/webhooks/{id}/deliveries",
  tag: W,
  role: "reviewer",
  summary: "A webhook's deliveries",
  params: IdParams,
  query: DeliveriesQuery,
  status: 200,
  response: "Newest first: event, status, attempts, next attempt, last status code, response excerpt, last error.",
});

export const API_OPERATIONS: readonly ApiOperation[] = ops;
export const API_TAGS = [M, P, T, A, U, O, W] as const;
const TAG_DESCRIPTIONS: Record<(typeof API_TAGS)[number], string> = {
  [M]: "Runs over the legacy tables (start, stop, pause, resume, tune), one prestamo at a time, rollback, change capture, and what the run shows: progress, consistency, failures, metrics.",
  [P]: "What must hold before a run starts (pre-flight) and after it ends (checklist), with confirmations, and the migration report.",
  [T]: "Tracked legacy test data: created by the generator, removed exactly.",
  [A]: "Every mutation, allowed or refused, with its actor, target and outcome.",
  [U]: "The console's users and the API tokens scripts use.",
  [O]: "Liveness, this document and the Prometheus exposition.",
  [W]: "Signed deliveries of run events to your endpoints.",
};

const ERROR_TEXT: Record<number, string> = {
  400: "VALIDATION_ERROR: a param, query or body field is wrong (details list the issues)",
  401: "UNAUTHENTICATED: no or bad credentials",
  403: "FORBIDDEN: the role does not allow this",
  404: "NOT_FOUND",
  409: "CONFLICT: the state does not allow this now",
  413: "PAYLOAD_TOO_LARGE: body over 1 MB",
  429: "RATE_LIMITED",
  500: "INTERNAL: with a request id",
  503: "UNAVAILABLE: the database does not answer",
};

/** The error statuses an operation can answer, in order. */
export function errorStatuses(o: ApiOperation): number[] {
  const s = new Set<number>(o.errors ?? []);
  if (o.params || o.query || o.body || o.method !== "get") s.add(400);
  if (o.body) s.add(413);
  if (o.role !== "public") s.add(401);
  if (o.role === "admin") s.add(403);
  if (o.params) s.add(404);
  // Every route() call counts against the caller's rate limit (lib/http/rate-limit.ts).
  if (o.viaRoute !== false) s.add(429);
  s.add(500);
  return [...s].sort((a, b) => a - b);
}

export const errorText = (status: number) => ERROR_TEXT[status] ?? "Error";

function buildDocument() {
  const registry = new OpenAPIRegistry();
  const bearer = registry.registerComponent("securitySchemes", "bearerToken", {
    type: "http",
    scheme: "bearer",
    description: "An API token (Tokens page, or `npm run token -- --role admin|reviewer --name NAME`).",
  });
  const session = registry.registerComponent("securitySchemes", "session", {
    type: "apiKey",
    in: "cookie",
    name: "next-auth.session-token",
    description: "The console's signed-in browser session.",
  });
  // Named through zod's own .meta({id}) (no prototype patching): it lands in components/schemas.
  const ErrorEnvelope = z
    .object({
      error: z.object({
        code: z.string().meta({ example: "VALIDATION_ERROR" }),
        message: z.string(),
        details: z.unknown().optional(),
        requestId: z.string(),
      }),
    })
    .meta({ id: "ErrorEnvelope" });
  for (const o of ops) {
    const responses: Record<string, { description: string; content?: Record<string, { schema: z.ZodType | object }> }> = {
      [o.status]: {
        description: o.response,
        content: {
          [o.contentType ?? "application/json"]: { schema: o.contentType && o.contentType !== "application/json" ? { type: "string" } : { type: "object" } },
        },
      },
    };
    for (const s of errorStatuses(o)) responses[s] = { description: errorText(s), content: { "application/json": { schema: ErrorEnvelope } } };
    registry.registerPath({
      method: o.method,
      path: o.path,
      operationId: `${o.method}${o.path
        .replace(/^\/api/, "")
        .replace(/[{}]/g, "")
        .replace(/[^a-zA-Z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ""))}`,
      tags: [o.tag],
      summary: o.summary,
      description: [o.description, `Role: ${o.role}.`, o.audit ? `Audited as \`${o.audit}\`.` : null].filter(Boolean).join(" "),
      security: o.role === "public" ? [] : [{ [bearer.name]: [] }, { [session.name]: [] }],
      "x-role": o.role,
      ...(o.audit ? { "x-audit-action": o.audit } : {}),
      request: {
        ...(o.params ? { params: o.params } : {}),
        ...(o.query ? { query: o.query } : {}),
        ...(o.body
          ? { body: { required: false, content: { "application/json": { schema: o.body, ...(o.example !== undefined ? { example: o.example } : {}) } } } }
          : {}),
      },
      responses,
    });
  }
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: "3.1.0",
    info: {
      title: "prestamos-console API",
      version: "1.0.0",
      description:
        "Migrates the legacy prestamos tables to the new schema through shadow tables. JSON in and out; errors are `{error: {code, message, details?, requestId}}`. Roles: admin may do everything, reviewer may read (GET).",
      // The lender's own, unpublished tool (package.json: private, no licence file); LicenseRef- is SPDX's form for a licence it does not list.
      license: { name: "Proprietary: all rights reserved", identifier: "LicenseRef-Proprietary" },
    },
    servers: [{ url: "/", description: "This console" }],
    tags: API_TAGS.map((name) => ({ name, description: TAG_DESCRIPTIONS[name] })),
  });
}

let cached: ReturnType<typeof buildDocument> | undefined;

/** The OpenAPI 3.1 document (built once per process). */
export function openApiDocument() {
  cached ??= buildDocument();
  return cached;
}
