/** The one error class of the console (CONVENTIONS, pattern 2). Codes as MIGRATION-SPEC §6 spells them. */
export const ERROR_STATUS = {
  VALIDATION_ERROR: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  UNAVAILABLE: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
    /** Extra response headers, e.g. Retry-After for RATE_LIMITED. */
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = "AppError";
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }
}

export const notFound = (what: string) => new AppError("NOT_FOUND", `${what} not found`);
export const conflict = (message: string, details?: unknown) => new AppError("CONFLICT", message, details);
export const forbidden = (message = "Your role does not allow this") => new AppError("FORBIDDEN", message);

type Chained = { code?: unknown; message?: unknown; cause?: unknown } | undefined;

/** The PostgreSQL error code (SQLSTATE) of an error, looking through the ORM's wrappers (`cause`). */
export function pgErrorCode(err: unknown): string | undefined {
  for (let e = err as Chained, depth = 0; e && depth < 4; e = e.cause as Chained, depth++) {
    if (typeof e.code === "string" && /^[0-9A-Z]{5}$/.test(e.code)) return e.code;
  }
  return undefined;
}

/** The database's own message rather than the ORM's "Failed query: <the whole SQL>" wrapper. */
export function rootMessage(err: unknown): string {
  let e = err as Chained;
  for (let depth = 0; e?.cause && depth < 4; depth++) e = e.cause as Chained;
  return typeof e?.message === "string" ? e.message : String(err);
}
