import { IdParams } from "@/lib/api/schemas";
import { revokeToken } from "@/lib/auth/tokens";
import { route } from "@/lib/http/route";
import { methodNotAllowed } from "@/lib/http/fallback";

// DELETE /api/tokens/:id: revokes a token (it stays listed, revoked); 409 when already revoked.
export const DELETE = route({
  role: "admin",
  action: "token.revoke",
  target: (p) => `token:${p.id}`,
  params: IdParams,
  handler: async ({ db, params, actor }) => revokeToken(db, params.id, actor),
});
export const { GET, HEAD, POST, PUT, PATCH, OPTIONS } = methodNotAllowed("DELETE");
