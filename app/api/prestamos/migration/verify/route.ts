// GET /api/prestamos/migration/verify — system state and the dry run of the rules over every legacy prestamo.
import { getDbHandle } from "@/db/client";
import { methodNotAllowed } from "@/lib/http/fallback";
import { route } from "@/lib/http/route";
import { getVerifyReport } from "@/lib/migration/verify";

export const GET = route({
  role: "reviewer",
  handler: async ({ db }) => getVerifyReport(db, { driver: (await getDbHandle()).driver }),
});
export const { POST, PUT, PATCH, DELETE, OPTIONS } = methodNotAllowed("GET");
