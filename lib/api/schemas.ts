import { z } from "zod";
import type { Role as RoleName } from "@/db/schema/auth";
import { FAILURE_CODES, MISMATCH_CATEGORIES, PRESTAMO_LIST_STATES } from "@/lib/migration/vocabulary";
import type { PrestamoListQuery } from "@/lib/migration/prestamo-list";

/**
 * Zod schemas shared by the route handlers and the pages' forms and URL state
 * (CONVENTIONS, pattern 3): strict objects, so an unknown field is a 400.
 */

const INT4_MAX = 2147483647;

/** A positive int4 from a URL: digits only ("1e3", " 7 " and "-1" are refused), no overflow. */
export const PositiveIntString = z
  .string()
  .regex(/^[1-9][0-9]{0,9}$/, "must be a positive integer")
  .transform(Number)
  .refine((n) => n <= INT4_MAX, "must be at most 2147483647");

/** `:id` of a run, a user, a token, a webhook or a legacy prestamo ("abc", "-1", "0", "1e3", " 7" are 400). */
export const IdParams = z.strictObject({ id: PositiveIntString });

// Spelled here rather than imported from the schema so that browser bundles do not pull drizzle in.
const ROLE_NAMES = ["admin", "reviewer"] as const satisfies readonly RoleName[];
const Role = z.enum(ROLE_NAMES);
const Email = z
  .string()
  .trim()
  .max(320)
  .pipe(z.email("must be an e-mail address"))
  .transform((s) => s.toLowerCase());
const Password = z.string().min(12, "must have at least 12 characters").max(1024);
const DisplayName = z.string().trim().max(200);

export const CreateUserBody = z.strictObject({ email: Email, name: DisplayName.optional(), role: Role, password: Password });
export type CreateUserBody = z.infer<typeof CreateUserBody>;

export const UpdateUserBody = z
  .strictObject({ role: Role.optional(), disabled: z.boolean().optional(), password: Password.optional(), name: DisplayName.optional() })
  .refine((b) => Object.values(b).some((v) => v !== undefined), { message: "Send at least one of role, disabled, password, name" });
export type UpdateUserBody = z.infer<typeof UpdateUserBody>;

export const CreateTokenBody = z.strictObject({
  name: z.string().trim().min(1, "a name is required").max(100),
  role: Role,
  /** Absent: the token never expires. */
  expiresInDays: z.int().min(1).max(3650).optional(),
});
export type CreateTokenBody = z.infer<typeof CreateTokenBody>;

// ---- audit log (GET /api/audit and the Audit page's URL state) ----

export const AUDIT_OUTCOMES = ["ok", "refused", "error"] as const;
export const AUDIT_MAX_LIMIT = 200;

const QueryInt = (min: number, max: number, fallback: number) =>
  z
    .string()
    .regex(/^[0-9]{1,9}$/, "must be a whole number")
    .transform(Number)
    .refine((n) => n >= min && n <= max, `must be between ${min} and ${max}`)
    .optional()
    .transform((n) => n ?? fallback);

const Time = z
  .string()
  .trim()
  .pipe(z.iso.datetime({ offset: true, message: "must be an ISO time, e.g. 2026-01-31T12:00:00Z" }).or(z.iso.date({ message: "must be an ISO time or date" })));
const Filter = z.string().trim().min(1).max(200).optional();

export const AuditQuery = z
  .strictObject({
    page: QueryInt(1, 1_000_000, 1),
    limit: QueryInt(1, AUDIT_MAX_LIMIT, 50),
    actor: Filter,
    /** Prefix match: "user." finds user.create, user.update, user.delete. */
    action: Filter,
    outcome: z.enum(AUDIT_OUTCOMES).optional(),
    target: Filter,
    from: Time.optional(),
    to: Time.optional(),
    format: z
      .enum(["json", "csv"])
      .optional()
      .transform((f) => f ?? "json"),
  })
  .refine((q) => !q.from || !q.to || new Date(q.from) <= new Date(q.to), { message: "from must not be after to", path: ["from"] });
export type AuditQuery = z.infer<typeof AuditQuery>;

// ---- migration read side: consistency, diff, failures, metrics (GET only) ----
// Query schemas are plain objects: an unknown query parameter is ignored, a bad value is a 400.

export const MismatchCategorySchema = z.enum(MISMATCH_CATEGORIES);

export const READ_MAX_LIMIT = 200;
const ReadPage = z
  .string()
  .regex(/^[0-9]{1,9}$/, "must be a whole number")
  .transform(Number)
  .refine((n) => n >= 1, "must be at least 1")
  .optional()
  .transform((n) => n ?? 1);
const ReadLimit = z
  .string()
  .regex(/^[0-9]{1,9}$/, "must be a whole number")
  .transform(Number)
  .refine((n) => n >= 1 && n <= READ_MAX_LIMIT, `must be between 1 and ${READ_MAX_LIMIT}`)
  .optional()
  .transform((n) => n ?? 50);

/** `?fresh=1` asks for a new background computation (joined with any already waiting). */
export const FreshFlag = z.enum(["1", "true"]).optional();
export const FreshQuery = z.object({ fresh: FreshFlag });
/** A legacy id as a keyset cursor: any int4, zero and negative included (legacy ids may be). */
const Int4String = z
  .string()
  .regex(/^-?[0-9]{1,10}$/, "must be a whole number")
  .transform(Number)
  .refine((n) => n >= -INT4_MAX - 1 && n <= INT4_MAX, "must be an int4");

/** `from`: the mismatch listing goes on after this legacy id (where the last one stopped for its time budget). */
export const ConsistencyQuery = z.object({
  category: MismatchCategorySchema.optional(),
  page: ReadPage,
  limit: ReadLimit,
  from: Int4String.optional(),
  fresh: FreshFlag,
});
export type ConsistencyQuery = z.infer<typeof ConsistencyQuery>;

export const FailuresQuery = z.object({
  code: z.enum(FAILURE_CODES).optional(),
  legacyId: PositiveIntString.optional(),
  page: ReadPage,
  limit: ReadLimit,
});
export type FailuresQuery = z.infer<typeof FailuresQuery>;

/** The CSV of the failures: the page's filter, without paging (every matching prestamo). */
export const FailuresExportQuery = FailuresQuery.pick({ code: true, legacyId: true });
export type FailuresExportQuery = z.infer<typeof FailuresExportQuery>;

export const MetricsQuery = z.object({ runId: PositiveIntString.optional(), limit: ReadLimit });
export type MetricsQuery = z.infer<typeof MetricsQuery>;

export const PredictedFailuresQuery = z.object({ code: z.enum(FAILURE_CODES).optional(), after: Int4String.optional(), limit: ReadLimit });
export type PredictedFailuresQuery = z.infer<typeof PredictedFailuresQuery>;

export const RunsQuery = z.object({ before: PositiveIntString.optional(), limit: ReadLimit });
export type RunsQuery = z.infer<typeof RunsQuery>;

/** The prestamo explorer's filters: a legacy prestamo's migration state, "stale" = migrated and changed since. */
export { PRESTAMO_LIST_STATES, type PrestamoListState } from "@/lib/migration/vocabulary";

/** GET /api/prestamos: filters, a search (a legacy id, or part of the cliente's name or documento) and keyset cursors. */
export const PrestamosQuery = z.object({
  state: z.enum(PRESTAMO_LIST_STATES).optional(),
  code: z.enum(FAILURE_CODES).optional(),
  q: z
    .string()
    .trim()
    .max(200, "must be at most 200 characters")
    .optional()
    .transform((s) => (s ? s : undefined)),
  after: Int4String.optional(),
  before: Int4String.optional(),
  limit: ReadLimit,
});
export type PrestamosQuery = z.infer<typeof PrestamosQuery>;
// The engine's own shape of the same query: the schema must keep to it.
PrestamosQuery satisfies z.ZodType<PrestamoListQuery>;

export const StartPreviewQuery = z.object({
  retry: z
    .enum(["true", "false"])
    .optional()
    .transform((v) => v === "true"),
  errorThresholdPct: z
    .string()
    .regex(/^[0-9]{1,3}(\.[0-9]{1,4})?$/, "must be a percentage such as 1 or 2.5")
    .transform(Number)
    .refine((n) => n <= 100, "must be at most 100")
    .optional(),
});
export type StartPreviewQuery = z.infer<typeof StartPreviewQuery>;

// ---- test data (POST /api/prestamos/test/create-data) ----

export const TEST_DATA_MAX_COUNT = 1_000_000;

/** MIGRATION-SPEC §6: `{count?, dirtyPct?, seed?}`; defaults 1000, 10, 42 (applied by the engine). */
export const CreateTestDataBody = z.strictObject({
  count: z.number().int("must be a whole number").min(1).max(TEST_DATA_MAX_COUNT).optional(),
  dirtyPct: z.number().min(0).max(100).optional(),
  seed: z.number().int("must be a whole number").min(-2147483648).max(2147483647).optional(),
});
export type CreateTestDataBody = z.infer<typeof CreateTestDataBody>;
