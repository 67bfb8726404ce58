import { route } from "@/lib/http/route";
import { deleteTestData, listTestData } from "@/lib/migration/test-data";
import { methodNotAllowed } from "@/lib/http/fallback";

// GET /api/prestamos/test/data: the test data sets and their current counts.
export const GET = route({ role: "reviewer", handler: async ({ db }) => listTestData(db) });

// DELETE /api/prestamos/test/data: removes exactly the tracked test rows, with their new rows and records (MIGRATION-SPEC §6, §7).
export const DELETE = route({
  role: "admin",
  action: "testdata.delete",
  handler: async ({ db, actor }) => deleteTestData(db, actor),
});
export const { POST, PUT, PATCH, OPTIONS } = methodNotAllowed("GET", "DELETE");
