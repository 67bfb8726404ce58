// PUT /api/prestamos/migration/preflight/settings — an admin sets the quiet-period threshold (writes per second), audited.
import { PreflightSettingsBody } from "@/lib/api/preflight";
import { methodNotAllowed } from "@/lib/http/fallback";
import { route } from "@/lib/http/route";
import { getPreflightSettings, setPreflightSettings } from "@/lib/migration/console-settings";

export const GET = route({ role: "reviewer", handler: async ({ db }) => getPreflightSettings(db) });
export const PUT = route({
  role: "admin",
  action: "preflight.settings",
  body: PreflightSettingsBody,
  handler: async ({ db, body, actor }) => setPreflightSettings(db, body, actor),
});
export const { POST, PATCH, DELETE, OPTIONS } = methodNotAllowed("GET", "PUT");
