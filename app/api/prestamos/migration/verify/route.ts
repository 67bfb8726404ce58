// GET /api/prestamos/migration/verify — the latest background verify report (system state and the dry run) with its age (?fresh=1 asks for a new one).
import { FreshQuery } from "@/lib/api/schemas";
import { methodNotAllowed } from "@/lib/http/fallback";
import { readVerify } from "@/lib/http/reads";
import { route } from "@/lib/http/route";

export const GET = route({
  role: "reviewer",
  query: FreshQuery,
  handler: async ({ db, query, actor }) => readVerify(db, query.fresh ? { by: actor.name } : null),
});
export const { POST, PUT, PATCH, DELETE, OPTIONS } = methodNotAllowed("GET");
