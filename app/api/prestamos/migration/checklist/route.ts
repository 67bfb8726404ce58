// GET /api/prestamos/migration/checklist — the post-migration checklist, each item measured (one consistency walk per request).
import { methodNotAllowed } from "@/lib/http/fallback";
import { route } from "@/lib/http/route";
import { getChecklist } from "@/lib/migration/checklist";

export const GET = route({ role: "reviewer", handler: async ({ db }) => getChecklist(db) });
export const { POST, PUT, PATCH, DELETE, OPTIONS } = methodNotAllowed("GET");
