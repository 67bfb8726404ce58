import { Notice } from "@/components/ui/form";
import { ApiError, errorMessage } from "@/lib/api/client";

interface Issue {
  path: string;
  message: string;
}

/** The zod issues a 400 VALIDATION_ERROR carries in `details` (lib/http/errors.ts), if any. */
export function validationIssues(err: unknown): Issue[] {
  if (!(err instanceof ApiError) || !Array.isArray(err.details)) return [];
  return err.details.filter((d): d is Issue => typeof d === "object" && d !== null && typeof (d as Issue).message === "string");
}

/** An API refusal shown in place: the envelope's message and code, the field issues of a 400, the request id. */
export function Refusal({ error, className, testId }: { error: unknown; className?: string; testId?: string }) {
  const issues = validationIssues(error);
  return (
    <Notice tone="error" className={className} testId={testId}>
      Refused: {errorMessage(error)}
      {issues.length > 0 && (
        <ul className="mt-1 list-disc pl-5">
          {issues.map((i, n) => (
            <li key={n}>
              {i.path ? <code className="font-mono text-[13px]">{i.path}</code> : "body"}: {i.message}
            </li>
          ))}
        </ul>
      )}
      {error instanceof ApiError && error.requestId && <span className="mt-1 block text-xs opacity-80">Request {error.requestId}</span>}
    </Notice>
  );
}
