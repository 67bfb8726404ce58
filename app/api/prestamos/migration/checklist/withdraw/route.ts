// POST /api/prestamos/migration/checklist/withdraw — an admin withdraws a checklist confirmation, audited; 409 when not confirmed.
import { ChecklistWithdrawBody } from "@/lib/api/preflight";
import { methodNotAllowed } from "@/lib/http/fallback";
import { route } from "@/lib/http/route";
import { withdrawItem } from "@/lib/migration/confirmations";

export const POST = route({
  role: "admin",
  action: "checklist.withdraw",
  body: ChecklistWithdrawBody,
  handler: async ({ db, body, actor }) => ({ confirmation: await withdrawItem(db, "checklist", body, actor) }),
});
export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = methodNotAllowed("POST");
