// GET /api/metrics/prometheus — Prometheus text exposition; a reviewer (token or session) or the PROMETHEUS_SCRAPE_TOKEN bearer.
import type { Principal } from "@/lib/auth/principal";
import { methodNotAllowed } from "@/lib/http/fallback";
import { route } from "@/lib/http/route";
import { isScrapeToken, scrape } from "@/lib/metrics/prometheus";

export const dynamic = "force-dynamic";

/** The scrape token reads metrics only: it is a credential of this route, never a console token. */
function scrapePrincipal(req: Request): Principal | null {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.get("authorization") ?? "");
  return m && isScrapeToken(m[1]) ? { kind: "token", id: 0, name: "prometheus-scrape", role: "reviewer" } : null;
}

export const GET = route({
  role: "reviewer",
  principal: scrapePrincipal,
  handler: async ({ db }) => {
    const { contentType, body } = await scrape(db);
    return new Response(body, { headers: { "content-type": contentType, "cache-control": "no-store" } });
  },
});
export const { POST, PUT, PATCH, DELETE, OPTIONS } = methodNotAllowed("GET");
