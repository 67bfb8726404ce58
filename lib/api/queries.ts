/**
 * The browser's one vocabulary of the console's own API: where each resource lives (`paths`),
 * the react-query key it is cached under (`keys`), how often a page polls it (`pollMs`) and one
 * hook per resource. Client files call these hooks instead of spelling paths and keys inline, so a
 * mutation invalidates exactly what a page reads. Bodies are typed from the zod schemas the routes
 * parse with (`z.input`); responses from the engine's DTOs (type-only imports: no drizzle in the
 * browser bundle).
 */
import { useMutation, useQuery, useQueryClient, type QueryKey, type UseMutationOptions } from "@tanstack/react-query";
import type { z } from "zod";
import type { AuditPage } from "@/lib/audit-query";
import type { CreatedToken, TokenDto } from "@/lib/auth/tokens";
import type { UserDto } from "@/lib/auth/users";
import type { ConsistencyResponse, readVerify } from "@/lib/http/reads";
import type { Checklist } from "@/lib/migration/checklist";
import type { PrestamoDiff } from "@/lib/migration/prestamo-diff";
import type { CutoverStatus, SwitchDTO } from "@/lib/migration/cutover";
import type { FailuresPage } from "@/lib/migration/failures";
import type { Metrics } from "@/lib/migration/metrics";
import type { FailedRecheck } from "@/lib/migration/predicted-failures";
import type { PreflightReport } from "@/lib/migration/preflight";
import type { SingleOutcome } from "@/lib/migration/prestamo-actions";
import type { PrestamoListPage } from "@/lib/migration/prestamo-list";
import type { ProgressDTO } from "@/lib/migration/progress";
import type { RunDetail, RunsPage } from "@/lib/migration/run-history";
import type { RunDTO } from "@/lib/migration/runs";
import type { StartPreview } from "@/lib/migration/start-preview";
import type { CreatedTestData, DeletedTestData, TestDataList } from "@/lib/migration/test-data";
import type { ThrottleDTO } from "@/lib/migration/throttle";
import type { DeliveryDTO, WebhookDTO } from "@/lib/webhooks/webhooks";
import { apiFetch, type ApiFetchInit } from "./client";
import type { CutoverBody, FinalizeBody, RevertBody, RollbackAllBody, StartRunBody, TuneRunBody } from "./migration";
import type { ConfirmPhase } from "@/lib/migration/vocabulary";
import type { PreflightSettingsBody } from "./preflight";
import type { AuditQuery, CreateTestDataBody, CreateTokenBody, CreateUserBody, PrestamosQuery, UpdateUserBody } from "./schemas";
import type { ThrottlePatchBody } from "./throttle";
import type { CreateWebhookBody, UpdateWebhookBody } from "./webhooks";

export type StartRunInput = z.input<typeof StartRunBody>;
export type TuneRunInput = z.input<typeof TuneRunBody>;
export type RollbackAllInput = z.input<typeof RollbackAllBody>;
/** The typed confirmations of the cut-over, the revert and finalize share one shape. */
export type SwitchInput = z.input<typeof CutoverBody> | z.input<typeof RevertBody> | z.input<typeof FinalizeBody>;
export type ThrottlePatchInput = z.input<typeof ThrottlePatchBody>;
export type CreateUserInput = z.input<typeof CreateUserBody>;
export type UpdateUserInput = z.input<typeof UpdateUserBody>;
export type CreateTokenInput = z.input<typeof CreateTokenBody>;
export type CreateWebhookInput = z.input<typeof CreateWebhookBody>;
export type UpdateWebhookInput = z.input<typeof UpdateWebhookBody>;
export type CreateTestDataInput = z.input<typeof CreateTestDataBody>;
export type PreflightSettingsInput = z.input<typeof PreflightSettingsBody>;
export type VerifyResponse = Awaited<ReturnType<typeof readVerify>>;
export interface RollbackAllResult {
  stoppedRunId: number | null;
  prestamosRemoved: number;
  pagosRemoved: number;
}

type Params = Record<string, string | number | boolean | null | undefined>;
/** "?a=1&b=x" of the defined values, "" when none. */
function search(params: Params): string {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== "") u.set(k, String(v));
  const s = u.toString();
  return s ? `?${s}` : "";
}

const M = "/api/prestamos/migration";

/** Every API path the console's pages read or write. */
export const paths = {
  prestamos: (q: Partial<PrestamosQuery> = {}) => `/api/prestamos${search(q)}`,
  progress: `${M}/progress`,
  throttle: `${M}/throttle`,
  start: `${M}/start`,
  startPreview: (q: { retry: boolean; errorThresholdPct: number }) => `${M}/start/preview${search(q)}`,
  stop: `${M}/stop`,
  pause: `${M}/pause`,
  resume: `${M}/resume`,
  settings: `${M}/settings`,
  rollbackAll: `${M}/rollback`,
  rollbackOne: (id: number) => `${M}/rollback/${id}`,
  single: (id: number) => `${M}/single/${id}`,
  cleanup: `${M}/cleanup`,
  runs: (q: { before?: number | null; limit: number }) => `${M}/runs${search(q)}`,
  run: (id: number) => `${M}/runs/${id}`,
  metrics: (q: { runId?: number; limit: number }) => `${M}/metrics${search(q)}`,
  verify: (fresh = false) => `${M}/verify${fresh ? "?fresh=1" : ""}`,
  legacyCounts: (fresh = false) => `${M}/legacy-counts${fresh ? "?fresh=1" : ""}`,
  consistency: (q: Params) => `${M}/consistency${search(q)}`,
  prestamoDiff: (id: number) => `${M}/consistency/${id}`,
  failures: (q: Params) => `${M}/failures${search(q)}`,
  failuresRecheck: `${M}/failures/recheck`,
  failuresExport: (q: Params) => `${M}/failures/export${search(q)}`,
  preflight: (refresh = false) => `${M}/preflight${refresh ? "?refresh=1" : ""}`,
  preflightSettings: `${M}/preflight/settings`,
  confirmation: (phase: ConfirmPhase, action: "confirm" | "withdraw") => `${M}/${phase}/${action}`,
  checklist: `${M}/checklist`,
  report: (format: "html" | "json") => `${M}/report?format=${format}`,
  cutover: `${M}/cutover`,
  revert: `${M}/revert`,
  finalize: `${M}/finalize`,
  testData: "/api/prestamos/test/data",
  createTestData: "/api/prestamos/test/create-data",
  audit: (q: { [K in keyof AuditQuery]?: string | number }) => `/api/audit${search(q)}`,
  users: "/api/users",
  user: (id: number) => `/api/users/${id}`,
  tokens: "/api/tokens",
  token: (id: number) => `/api/tokens/${id}`,
  webhooks: "/api/webhooks",
  webhook: (id: number) => `/api/webhooks/${id}`,
  deliveries: (id: number, limit: number) => `/api/webhooks/${id}/deliveries?limit=${limit}`,
} as const;

/**
 * Cache keys. Everything a migration action can change sits under `["migration"]`, so an action
 * invalidates `keys.migration` and every migration page refetches.
 */
export const keys = {
  migration: ["migration"] as const,
  progress: ["migration", "progress"] as const,
  throttle: ["migration", "throttle"] as const,
  startPreview: (retry: boolean, thresholdPct: number) => ["migration", "start-preview", retry, thresholdPct] as const,
  startPreviews: ["migration", "start-preview"] as const,
  runs: (q: unknown) => ["migration", "runs", q] as const,
  run: (id: number) => ["migration", "run", id] as const,
  metrics: (limit: number) => ["migration", "metrics", limit] as const,
  runMetrics: (id: number, limit: number) => ["migration", "metrics", "run", id, limit] as const,
  verify: ["migration", "verify"] as const,
  consistency: (q: unknown) => ["migration", "consistency", q] as const,
  failures: (q: unknown) => ["migration", "failures", q] as const,
  preflight: ["migration", "preflight"] as const,
  checklist: ["migration", "checklist"] as const,
  cutover: ["migration", "cutover"] as const,
  prestamos: (q: unknown) => ["migration", "prestamos", q] as const,
  prestamoDiff: (id: number) => ["migration", "prestamo", id, "diff"] as const,
  audit: ["audit"] as const,
  auditLog: (q: unknown) => ["audit", "log", q] as const,
  auditOf: (target: string) => ["audit", { target }] as const,
  testData: ["test-data"] as const,
  users: ["users"] as const,
  tokens: ["tokens"] as const,
  webhooks: ["webhooks"] as const,
  deliveries: (ids: number[]) => ["webhook-deliveries", ids.join(",")] as const,
};

/** How often each page polls its resource (LiveStatus shows the same interval). */
export const pollMs = {
  progress: (active: boolean) => (active ? 1000 : 5000),
  throttle: 1000,
  startPreview: 10_000,
  runs: 5_000,
  activeRun: 2_000,
  metrics: (live: boolean) => (live ? 2000 : 10_000),
  /** While a background job runs, follow it closely; otherwise the result changes only when one ends. */
  refreshingJob: 2_000,
  verify: 60_000,
  consistency: 15_000,
  failures: 10_000,
  preflight: 15_000,
  checklist: 60_000,
  cutover: 5_000,
  prestamos: 10_000,
  prestamoDiff: 5_000,
  audit: 10_000,
  testData: 10_000,
  users: 10_000,
  tokens: 15_000,
  webhooks: 10_000,
  deliveries: 5_000,
} as const;

const get =
  <T>(path: string) =>
  ({ signal }: { signal: AbortSignal }) =>
    apiFetch<T>(path, { signal });
/** The server painted `initialData` at `at`: react-query counts its age from then. */
const paintedAt = (at: string | undefined) => (at ? Date.parse(at) || undefined : undefined);
const live = { staleTime: 0, retry: false } as const;

export function usePrestamos(query: PrestamosQuery, initialData: PrestamoListPage) {
  return useQuery({
    queryKey: keys.prestamos(query),
    queryFn: get<PrestamoListPage>(paths.prestamos(query)),
    initialData,
    refetchInterval: pollMs.prestamos,
    ...live,
  });
}

export function useProgress(initialData: ProgressDTO) {
  return useQuery({
    queryKey: keys.progress,
    queryFn: get<ProgressDTO>(paths.progress),
    initialData,
    initialDataUpdatedAt: paintedAt(initialData.checkedAt),
    refetchInterval: (q) => pollMs.progress(q.state.data?.run?.active ?? false),
    refetchIntervalInBackground: false,
    ...live,
  });
}

export function useThrottle() {
  return useQuery({
    queryKey: keys.throttle,
    queryFn: get<ThrottleDTO>(paths.throttle),
    refetchInterval: pollMs.throttle,
    refetchIntervalInBackground: false,
    retry: false,
  });
}

export function useStartPreview(retry: boolean, errorThresholdPct: number) {
  return useQuery({
    queryKey: keys.startPreview(retry, errorThresholdPct),
    queryFn: get<StartPreview>(paths.startPreview({ retry, errorThresholdPct })),
    refetchInterval: (q) => (q.state.data?.dryRunRefreshing ? pollMs.refreshingJob : pollMs.startPreview),
    placeholderData: (prev) => prev,
    retry: false,
  });
}

export function useRuns(query: { before: number | null; limit: number }, initialData: RunsPage) {
  return useQuery({ queryKey: keys.runs(query), queryFn: get<RunsPage>(paths.runs(query)), initialData, refetchInterval: pollMs.runs, ...live });
}

/** One run, followed while it is active. */
export function useRun(id: number, initialData: RunDetail) {
  return useQuery({
    queryKey: keys.run(id),
    queryFn: get<RunDetail>(paths.run(id)),
    initialData,
    refetchInterval: (q) => (q.state.data?.run.active ? pollMs.activeRun : false),
    retry: false,
  });
}

export function useRunMetrics(id: number, limit: number, initialData: Metrics, isLive: boolean) {
  return useQuery({
    queryKey: keys.runMetrics(id, limit),
    queryFn: get<Metrics>(paths.metrics({ runId: id, limit })),
    initialData,
    refetchInterval: isLive ? pollMs.activeRun : false,
    retry: false,
  });
}

export function useMetrics(limit: number, initialData: Metrics, isLive: (m: Metrics | undefined) => boolean) {
  return useQuery({
    queryKey: keys.metrics(limit),
    queryFn: get<Metrics>(paths.metrics({ limit })),
    initialData,
    initialDataUpdatedAt: paintedAt(initialData.at),
    refetchInterval: (q) => pollMs.metrics(isLive(q.state.data)),
    ...live,
  });
}

export function useVerify(initialData: VerifyResponse) {
  return useQuery({
    queryKey: keys.verify,
    queryFn: get<VerifyResponse>(paths.verify()),
    initialData,
    refetchInterval: (q) => (q.state.data?.freshness.refreshing ? pollMs.refreshingJob : pollMs.verify),
    ...live,
  });
}

export function useConsistency(query: { category: string | null; page: number; limit: number; from: number | null }, initialData: ConsistencyResponse) {
  return useQuery({
    queryKey: keys.consistency(query),
    queryFn: get<ConsistencyResponse>(paths.consistency(query)),
    initialData,
    refetchInterval: (q) => (q.state.data?.freshness.refreshing ? pollMs.refreshingJob : pollMs.consistency),
    ...live,
  });
}

export function usePrestamoDiff(id: number, initialData: PrestamoDiff) {
  return useQuery({
    queryKey: keys.prestamoDiff(id),
    queryFn: get<PrestamoDiff>(paths.prestamoDiff(id)),
    initialData,
    refetchInterval: pollMs.prestamoDiff,
    ...live,
  });
}

export function useFailures(query: { code: string | null; page: number; limit: number }, initialData: FailuresPage) {
  return useQuery({
    queryKey: keys.failures(query),
    queryFn: get<FailuresPage>(paths.failures(query)),
    initialData,
    refetchInterval: pollMs.failures,
    ...live,
  });
}

export function usePreflight(initialData: PreflightReport) {
  return useQuery({
    queryKey: keys.preflight,
    queryFn: get<PreflightReport>(paths.preflight()),
    initialData,
    initialDataUpdatedAt: paintedAt(initialData.checkedAt),
    refetchInterval: (q) => (q.state.data?.dryRun.refreshing ? pollMs.refreshingJob : pollMs.preflight),
    ...live,
  });
}

export function useChecklist(initialData: Checklist) {
  return useQuery({
    queryKey: keys.checklist,
    queryFn: get<Checklist>(paths.checklist),
    initialData,
    initialDataUpdatedAt: paintedAt(initialData.checkedAt),
    refetchInterval: pollMs.checklist,
    ...live,
  });
}

export function useCutover(initialData: CutoverStatus) {
  return useQuery({ queryKey: keys.cutover, queryFn: get<CutoverStatus>(paths.cutover), initialData, refetchInterval: pollMs.cutover, ...live });
}

/** A page of the audit log under the page's filters. */
export function useAuditLog(query: Params, initialData: AuditPage) {
  return useQuery({ queryKey: keys.auditLog(query), queryFn: get<AuditPage>(paths.audit(query)), initialData, refetchInterval: pollMs.audit, ...live });
}

/** The latest audit rows about one target ("prestamo:42"). */
export function useAuditOf(target: string, initialData: AuditPage) {
  return useQuery({
    queryKey: keys.auditOf(target),
    queryFn: get<AuditPage>(paths.audit({ target, limit: 20 })),
    initialData,
    refetchInterval: pollMs.prestamoDiff * 2,
    ...live,
  });
}

export function useTestData(initialData: TestDataList) {
  return useQuery({ queryKey: keys.testData, queryFn: get<TestDataList>(paths.testData), initialData, refetchInterval: pollMs.testData, retry: false });
}

export function useUsers(initialData: UserDto[]) {
  return useQuery({
    queryKey: keys.users,
    queryFn: async ({ signal }) => (await apiFetch<{ users: UserDto[] }>(paths.users, { signal })).users,
    initialData,
    refetchInterval: pollMs.users,
    retry: false,
  });
}

export function useTokens(initialData: TokenDto[]) {
  return useQuery({
    queryKey: keys.tokens,
    queryFn: async ({ signal }) => (await apiFetch<{ tokens: TokenDto[] }>(paths.tokens, { signal })).tokens,
    initialData,
    refetchInterval: pollMs.tokens,
    retry: false,
  });
}

export function useWebhooks(initialData: WebhookDTO[]) {
  return useQuery({
    queryKey: keys.webhooks,
    queryFn: async ({ signal }) => (await apiFetch<{ webhooks: WebhookDTO[] }>(paths.webhooks, { signal })).webhooks,
    initialData,
    refetchInterval: pollMs.webhooks,
  });
}

/** The 50 newest deliveries over the given webhooks (20 read from each). */
export function useDeliveries(webhooks: WebhookDTO[], initialData: DeliveryDTO[]) {
  return useQuery({
    queryKey: keys.deliveries(webhooks.map((w) => w.id)),
    queryFn: async ({ signal }) => {
      const pages = await Promise.all(webhooks.map((w) => apiFetch<{ deliveries: DeliveryDTO[] }>(paths.deliveries(w.id, 20), { signal })));
      return pages
        .flatMap((p) => p.deliveries)
        .sort((a, b) => b.id - a.id)
        .slice(0, 50);
    },
    initialData,
    refetchInterval: pollMs.deliveries,
  });
}

/** What a page adds to a mutation: its own reaction to the answer (clearing a form, a message). */
export type MutationCallbacks<TResult, TBody> = Pick<UseMutationOptions<TResult, Error, TBody>, "onMutate" | "onSuccess" | "onError" | "onSettled">;

/**
 * A call to the API that refreshes `invalidates` when it settles (by default everything a
 * migration action can change). `path` may depend on the variables (`(id) => paths.single(id)`);
 * `body` makes the request body from them (default: the variables themselves).
 */
export function useApiMutation<TBody = undefined, TResult = unknown>(
  method: NonNullable<ApiFetchInit["method"]>,
  path: string | ((vars: TBody) => string),
  {
    invalidates = [keys.migration],
    body,
    onSettled,
    ...callbacks
  }: { invalidates?: QueryKey[]; body?: (vars: TBody) => unknown } & MutationCallbacks<TResult, TBody> = {},
) {
  const qc = useQueryClient();
  return useMutation<TResult, Error, TBody>({
    mutationFn: (vars) => apiFetch<TResult>(typeof path === "function" ? path(vars) : path, { method, body: body ? body(vars) : vars }),
    ...callbacks,
    onSettled: async (...args) => {
      await Promise.all(invalidates.map((queryKey) => qc.invalidateQueries({ queryKey })));
      await onSettled?.(...args);
    },
  });
}

type Cb<TResult, TBody = undefined> = MutationCallbacks<TResult, TBody>;
const none = () => undefined;

/* ── The migration's actions, typed by the schemas their routes parse with ─────────────────── */

export const useStartRun = () => useApiMutation<StartRunInput, { run: RunDTO }>("POST", paths.start);
export const useStopRun = () => useApiMutation<undefined, { run: RunDTO }>("POST", paths.stop);
export const usePauseRun = () => useApiMutation<undefined, { run: RunDTO }>("POST", paths.pause);
export const useResumeRun = () => useApiMutation<undefined, { run: RunDTO }>("POST", paths.resume);
export const useTuneRun = () => useApiMutation<TuneRunInput, { run: RunDTO }>("PATCH", paths.settings, { invalidates: [keys.progress] });
export const useRollbackAll = () => useApiMutation<RollbackAllInput, RollbackAllResult>("POST", paths.rollbackAll);
export const useEndCapture = () => useApiMutation<undefined, { removed: boolean; drained: number }>("POST", paths.cleanup);
export const useRetryFailed = () => useApiMutation<undefined, { run: RunDTO }>("POST", paths.start, { body: () => ({ retry: true }) satisfies StartRunInput });
/** Migrate (or re-sync) one legacy prestamo; its audit rows change too. */
export const useMigrateOne = (cb: Cb<SingleOutcome, number> = {}) =>
  useApiMutation<number, SingleOutcome>("POST", paths.single, { body: none, invalidates: [keys.migration, keys.audit], ...cb });
export const useRollbackOne = (cb: Cb<{ legacyId: number; state: "rolled_back"; pagosRemoved: number }, number> = {}) =>
  useApiMutation<number, { legacyId: number; state: "rolled_back"; pagosRemoved: number }>("POST", paths.rollbackOne, {
    body: none,
    invalidates: [keys.migration, keys.audit],
    ...cb,
  });
/** Cut over, revert or finalize: each switch changes every page, so the caller refreshes them all. */
export const useSwitch = (path: typeof paths.cutover | typeof paths.revert | typeof paths.finalize, cb: Cb<{ switch: SwitchDTO }, SwitchInput> = {}) =>
  useApiMutation<SwitchInput, { switch: SwitchDTO }>("POST", path, { invalidates: [], ...cb });
export const useConfirmation = (phase: ConfirmPhase, cb: Cb<unknown, { action: "confirm" | "withdraw"; item: string; reference?: string }> = {}) =>
  useApiMutation<{ action: "confirm" | "withdraw"; item: string; reference?: string }>("POST", (v) => paths.confirmation(phase, v.action), {
    body: ({ action, item, reference }) => (action === "confirm" ? { item, reference } : { item }),
    invalidates: [],
    ...cb,
  });
export const usePreflightSettings = (cb: Cb<unknown, PreflightSettingsInput> = {}) =>
  useApiMutation<PreflightSettingsInput>("PUT", paths.preflightSettings, { invalidates: [], ...cb });

/* ── Test data, users, tokens, webhooks ────────────────────────────────────────────────────── */

export const useCreateTestData = () =>
  useApiMutation<CreateTestDataInput, CreatedTestData>("POST", paths.createTestData, { invalidates: [keys.testData, keys.migration] });
export const useRemoveTestData = (cb: Cb<DeletedTestData> = {}) =>
  useApiMutation<undefined, DeletedTestData>("DELETE", paths.testData, { invalidates: [keys.testData, keys.migration], ...cb });
export const useCreateUser = (cb: Cb<UserDto, CreateUserInput> = {}) =>
  useApiMutation<CreateUserInput, UserDto>("POST", paths.users, { invalidates: [keys.users], ...cb });
export const useUpdateUser = (id: number, cb: Cb<UserDto, UpdateUserInput> = {}) =>
  useApiMutation<UpdateUserInput, UserDto>("PATCH", paths.user(id), { invalidates: [keys.users], ...cb });
export const useCreateToken = (cb: Cb<CreatedToken, CreateTokenInput> = {}) =>
  useApiMutation<CreateTokenInput, CreatedToken>("POST", paths.tokens, { invalidates: [keys.tokens], ...cb });
export const useRevokeToken = (id: number, cb: Cb<TokenDto> = {}) =>
  useApiMutation<undefined, TokenDto>("DELETE", paths.token(id), { invalidates: [keys.tokens], ...cb });
export const useCreateWebhook = (cb: Cb<{ webhook: WebhookDTO; secret: string }, CreateWebhookInput> = {}) =>
  useApiMutation<CreateWebhookInput, { webhook: WebhookDTO; secret: string }>("POST", paths.webhooks, { invalidates: [keys.webhooks], ...cb });
export const useToggleWebhook = () =>
  useApiMutation<WebhookDTO>("PATCH", (w) => paths.webhook(w.id), { body: (w): UpdateWebhookInput => ({ enabled: !w.enabled }), invalidates: [keys.webhooks] });
export const useDeleteWebhook = () => useApiMutation<WebhookDTO>("DELETE", (w) => paths.webhook(w.id), { body: none, invalidates: [keys.webhooks] });
/** The answer is the throttle with its new levels: it replaces the polled one at once. */
export function usePatchThrottle(onSaved: () => void) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: ThrottlePatchInput) => apiFetch<ThrottleDTO>(paths.throttle, { method: "PATCH", body }),
    onSuccess: (next) => {
      qc.setQueryData(keys.throttle, next);
      onSaved();
    },
  });
}
/** Recompute the pre-flight's dry run now; the answer replaces the polled report. */
export function useRefreshPreflight() {
  const qc = useQueryClient();
  return useMutation({ mutationFn: () => apiFetch<PreflightReport>(paths.preflight(true)), onSuccess: (data) => qc.setQueryData(keys.preflight, data) });
}
export const useFailuresRecheck = () => useMutation({ mutationFn: () => apiFetch<FailedRecheck>(paths.failuresRecheck) });
