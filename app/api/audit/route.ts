import { AuditQuery } from "@/lib/api/schemas";
import { auditCsvStream, queryAudit } from "@/lib/audit-query";
import { csvHeaders } from "@/lib/csv";
import { route } from "@/lib/http/route";
import { methodNotAllowed } from "@/lib/http/fallback";

// GET /api/audit: the audit log newest first, paged and filtered; ?format=csv streams the whole filtered log.
export const GET = route({
  role: "reviewer",
  query: AuditQuery,
  handler: async ({ db, query }) => {
    const { format, page, limit, ...filters } = query;
    if (format === "csv") {
      return new Response(auditCsvStream(db, filters), { headers: csvHeaders("audit") });
    }
    return queryAudit(db, { ...filters, page, limit });
  },
});
export const { POST, PUT, PATCH, DELETE, OPTIONS } = methodNotAllowed("GET");
