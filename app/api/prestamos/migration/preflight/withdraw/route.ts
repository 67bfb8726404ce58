// POST /api/prestamos/migration/preflight/withdraw — an admin withdraws a pre-flight confirmation, audited; 409 when not confirmed.
import { PreflightWithdrawBody } from "@/lib/api/preflight";
import { methodNotAllowed } from "@/lib/http/fallback";
import { route } from "@/lib/http/route";
import { withdrawItem } from "@/lib/migration/confirmations";

export const POST = route({
  role: "admin",
  action: "preflight.withdraw",
  body: PreflightWithdrawBody,
  handler: async ({ db, body, actor }) => ({ confirmation: await withdrawItem(db, "preflight", body, actor) }),
});
export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = methodNotAllowed("POST");
