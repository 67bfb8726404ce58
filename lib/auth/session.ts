import type { Db } from "@/db/client";
import type { Principal } from "./principal";

// Placeholder until next-auth is wired (issue 2): no session means no principal.
export async function getSessionPrincipal(_db: Db): Promise<Principal | null> {
  return null;
}
