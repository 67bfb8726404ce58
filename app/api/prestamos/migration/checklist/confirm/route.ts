// POST /api/prestamos/migration/checklist/confirm — an admin confirms a checklist item (issues_documented, final_backup_taken), audited.
import { ChecklistConfirmBody } from "@/lib/api/preflight";
import { methodNotAllowed } from "@/lib/http/fallback";
import { route } from "@/lib/http/route";
import { confirmItem } from "@/lib/migration/confirmations";

export const POST = route({
  role: "admin",
  action: "checklist.confirm",
  body: ChecklistConfirmBody,
  handler: async ({ db, body, actor }) => ({ confirmation: await confirmItem(db, "checklist", body, actor) }),
});
export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = methodNotAllowed("POST");
