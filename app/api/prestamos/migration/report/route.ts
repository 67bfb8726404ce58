// GET /api/prestamos/migration/report?format=json|html — the migration's archive, streamed as an attachment.
import { ReportQuery } from "@/lib/api/preflight";
import { methodNotAllowed } from "@/lib/http/fallback";
import { heavyRead } from "@/lib/http/heavy-reads";
import { route } from "@/lib/http/route";
import { prepareReport } from "@/lib/migration/report";
import { reportFilename, reportStream } from "@/lib/report/stream";
import { preflightContext } from "@/lib/server/preflight-context";

export const GET = route({
  role: "reviewer",
  query: ReportQuery,
  handler: async ({ db, query, actor }) => {
    // The head (runs, checklist, consistency) is read before the first byte: an error there is still a JSON envelope.
    const head = await heavyRead(async () => prepareReport(db, await preflightContext(), actor.name));
    return new Response(reportStream(db, head, query.format), {
      status: 200,
      headers: {
        "content-type": query.format === "json" ? "application/json; charset=utf-8" : "text/html; charset=utf-8",
        "content-disposition": `attachment; filename="${reportFilename(head, query.format)}"`,
        "cache-control": "no-store",
      },
    });
  },
});
export const { POST, PUT, PATCH, DELETE, OPTIONS } = methodNotAllowed("GET");
