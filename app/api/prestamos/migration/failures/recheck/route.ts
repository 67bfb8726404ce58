// GET /api/prestamos/migration/failures/recheck — how many failed prestamos still fail the rules now (at most 5,000 evaluated).
import { methodNotAllowed } from "@/lib/http/fallback";
import { route } from "@/lib/http/route";
import { recheckFailed } from "@/lib/migration/predicted-failures";

export const GET = route({
  role: "reviewer",
  handler: async ({ db }) => recheckFailed(db),
});
export const { POST, PUT, PATCH, DELETE, OPTIONS } = methodNotAllowed("GET");
