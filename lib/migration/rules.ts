import { sql } from "drizzle-orm";
import type { Db } from "@/db/client";

// Placeholder: the rules table lands in the next commit. Kept minimal so the foundation compiles.
export async function installRuleFunctions(db: Pick<Db, "execute">): Promise<void> {
  await db.execute(sql`select 1`);
}
