// POST /api/prestamos/migration/preflight/confirm — an admin confirms a pre-flight item (backup_taken, team_notified), audited.
import { PreflightConfirmBody } from "@/lib/api/preflight";
import { methodNotAllowed } from "@/lib/http/fallback";
import { route } from "@/lib/http/route";
import { confirmItem } from "@/lib/migration/confirmations";

export const POST = route({
  role: "admin",
  action: "preflight.confirm",
  body: PreflightConfirmBody,
  handler: async ({ db, body, actor }) => ({ confirmation: await confirmItem(db, "preflight", body, actor) }),
});
export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = methodNotAllowed("POST");
