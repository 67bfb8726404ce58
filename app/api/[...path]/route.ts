// Any /api path no route serves: the JSON 404 envelope, for every method (Next would serve HTML).
import { notFoundHandlers } from "@/lib/http/fallback";

export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = notFoundHandlers;
