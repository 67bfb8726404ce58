// GET /api/openapi.json — the OpenAPI 3.1 document of this API, generated from the routes' zod schemas (public: it holds no data).
import { openApiDocument } from "@/lib/api/openapi";
import { methodNotAllowed } from "@/lib/http/fallback";
import { route } from "@/lib/http/route";

export const GET = route({ role: "public", handler: async () => openApiDocument() });
export const { POST, PUT, PATCH, DELETE, OPTIONS } = methodNotAllowed("GET");
