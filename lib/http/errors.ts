import { ZodError } from "zod";
import { AppError, type ErrorCode } from "@/lib/errors";

export function errorResponse(
  code: ErrorCode,
  status: number,
  message: string,
  requestId: string,
  details?: unknown,
  headers?: Record<string, string>,
): Response {
  const body = { error: { code, message, ...(details === undefined ? {} : { details }), requestId } };
  return Response.json(body, { status, headers: { "x-request-id": requestId, "cache-control": "no-store", ...(headers ?? {}) } });
}

/** Any thrown value → the spec's envelope. Only AppError and ZodError say what went wrong; the rest is INTERNAL. */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  if (err instanceof ZodError) {
    return new AppError(
      "VALIDATION_ERROR",
      "The request is not valid",
      err.issues.map((i) => ({ path: i.path.map(String).join("."), message: i.message, code: i.code })),
    );
  }
  return new AppError("INTERNAL", "Internal error");
}
