// POST /api/prestamos/migration/stop — stops the active run after its batch; 409 when none.
import { methodNotAllowed } from "@/lib/http/fallback";
import { route } from "@/lib/http/route";
import { requestStop } from "@/lib/migration/runs";

export const POST = route({
  role: "admin",
  action: "migration.stop",
  handler: async ({ db, actor }) => ({ run: await requestStop(db, actor) }),
});
export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = methodNotAllowed("POST");
