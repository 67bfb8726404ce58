// POST /api/prestamos/migration/cleanup — ends change capture (drops the triggers); 409 during a run.
import { methodNotAllowed } from "@/lib/http/fallback";
import { route } from "@/lib/http/route";
import { endCapture } from "@/lib/migration/capture";

export const POST = route({
  role: "admin",
  action: "migration.cleanup",
  handler: async ({ db, actor }) => endCapture(db, actor),
});
export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = methodNotAllowed("POST");
