// GET /api/prestamos/migration/failures/export — every failing rule of the failed prestamos as CSV, filtered as GET /failures is (?code=&legacyId=).
import { FailuresExportQuery } from "@/lib/api/schemas";
import { csvHeaders, csvStream } from "@/lib/csv";
import { methodNotAllowed } from "@/lib/http/fallback";
import { route } from "@/lib/http/route";
import { FAILED_RULE_CSV_COLUMNS, iterateFailedRules } from "@/lib/migration/failures-export";

export const GET = route({
  role: "reviewer",
  query: FailuresExportQuery,
  handler: async ({ db, query }) =>
    new Response(
      csvStream(FAILED_RULE_CSV_COLUMNS, iterateFailedRules(db, query), (r) => [r.legacyId, r.runId, r.failedAt, r.code, r.field, r.pagoId, r.value]),
      { headers: csvHeaders(query.code ? `failures-${query.code}` : "failures") },
    ),
});
export const { POST, PUT, PATCH, DELETE, OPTIONS } = methodNotAllowed("GET");
