import { CreateTestDataBody } from "@/lib/api/schemas";
import { route } from "@/lib/http/route";
import { assertTestDataAllowed } from "@/lib/server/env";
import { createTestData } from "@/lib/migration/test-data";
import { methodNotAllowed } from "@/lib/http/fallback";

// POST /api/prestamos/test/create-data: creates tracked legacy test prestamos {count?, dirtyPct?, seed?} (MIGRATION-SPEC §6); 403 while ALLOW_TEST_DATA is off.
export const POST = route({
  role: "admin",
  action: "testdata.create",
  body: CreateTestDataBody,
  status: 201,
  handler: async ({ db, body, actor }) => {
    assertTestDataAllowed();
    return createTestData(db, body, actor);
  },
});
export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = methodNotAllowed("POST");
