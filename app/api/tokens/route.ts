import { CreateTokenBody } from "@/lib/api/schemas";
import { createToken, listTokens, userIdBehind } from "@/lib/auth/tokens";
import { route } from "@/lib/http/route";
import { methodNotAllowed } from "@/lib/http/fallback";

// GET /api/tokens: API tokens (prefix, role, last use), admin only: they are credentials.
export const GET = route({ role: "admin", handler: async ({ db }) => ({ tokens: await listTokens(db) }) });

// POST /api/tokens: creates a token {name, role, expiresInDays?}, tied to the admin behind the call; the token itself is in this response only.
export const POST = route({
  role: "admin",
  action: "token.create",
  body: CreateTokenBody,
  status: 201,
  handler: async ({ db, body, actor, principal }) =>
    createToken(
      db,
      {
        name: body.name,
        role: body.role,
        expiresInDays: body.expiresInDays,
        createdBy: actor.name,
        createdByUserId: principal ? await userIdBehind(db, principal) : null,
      },
      actor,
    ),
});
export const { PUT, PATCH, DELETE, OPTIONS } = methodNotAllowed("GET", "POST");
