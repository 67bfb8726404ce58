import { IdParams } from "@/lib/api/schemas";
import { revokeToken } from "@/lib/auth/tokens";
import { route } from "@/lib/http/route";

// DELETE /api/tokens/:id: revokes a token (it stays listed, revoked); 409 when already revoked.
export const DELETE = route({
  role: "admin",
  action: "token.revoke",
  target: (p) => `token:${p.id}`,
  params: IdParams,
  handler: async ({ db, params, actor }) => revokeToken(db, params.id, actor),
});
