import { CreateUserBody } from "@/lib/api/schemas";
import { createUser, listUsers } from "@/lib/auth/users";
import { route } from "@/lib/http/route";
import { methodNotAllowed } from "@/lib/http/fallback";

// GET /api/users: the console's users, never their password hashes; admin only (it names every admin's e-mail).
export const GET = route({ role: "admin", handler: async ({ db }) => ({ users: await listUsers(db) }) });

// POST /api/users: creates a user {email, name?, role, password}.
export const POST = route({
  role: "admin",
  action: "user.create",
  body: CreateUserBody,
  status: 201,
  handler: async ({ db, body, actor }) => createUser(db, body, actor),
});
export const { PUT, PATCH, DELETE, OPTIONS } = methodNotAllowed("GET", "POST");
