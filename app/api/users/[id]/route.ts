import { IdParams, UpdateUserBody } from "@/lib/api/schemas";
import { deleteUser, getUser, updateUser } from "@/lib/auth/users";
import { route } from "@/lib/http/route";
import { methodNotAllowed } from "@/lib/http/fallback";

const target = (p: Record<string, string>) => `user:${p.id}`;

// GET /api/users/:id: one user; admin only, like the list.
export const GET = route({ role: "admin", params: IdParams, handler: async ({ db, params }) => getUser(db, params.id) });

// PATCH /api/users/:id: role, disabled, password or name; never the last active admin away (409).
export const PATCH = route({
  role: "admin",
  action: "user.update",
  target,
  params: IdParams,
  body: UpdateUserBody,
  handler: async ({ db, params, body, actor }) => updateUser(db, params.id, body, actor),
});

// DELETE /api/users/:id: removes a user; never the last active admin (409).
export const DELETE = route({
  role: "admin",
  action: "user.delete",
  target,
  params: IdParams,
  handler: async ({ db, params, actor }) => deleteUser(db, params.id, actor),
});
export const { POST, PUT, OPTIONS } = methodNotAllowed("GET", "PATCH", "DELETE");
