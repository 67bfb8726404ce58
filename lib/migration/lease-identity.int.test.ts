import os from "node:os";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "@/lib/audit";
import { openTestDb, type TestDb } from "@/lib/testing/db";
import { seedLegacy } from "@/lib/testing/legacy-seed";
import { resetMigrationTables } from "@/lib/testing/reset";
import { claimActiveRun, startRun, THIS_HOST } from "./runs";

const admin: Actor = { name: "admin@test.local", kind: "user", role: "admin" };
let t: TestDb;
beforeAll(async () => {
  t = await openTestDb();
  await resetMigrationTables(t.db);
  await seedLegacy(t.db, 10);
});
afterAll(async () => t?.dispose());

describe("the run's lease between instances", () => {
  it("is not taken from a live holder in another container with the same host name (its pid is not ours to check)", async () => {
    // Another container named like this one: a pid that does not exist in this process table.
    const run = await startRun(t.db, { workers: 1 }, admin, `${os.hostname()}:999999:other-container`);
    expect(await claimActiveRun(t.db, `${THIS_HOST}:${process.pid}:me`)).toBeNull();
    // Once its lease expires, it is taken over as from any dead holder.
    await t.db.execute(sql`update migration_runs set lease_expires_at = now() - interval '1 second' where id = ${run.id}`);
    expect((await claimActiveRun(t.db, `${THIS_HOST}:${process.pid}:me`))?.resumedFrom).toBe(`${os.hostname()}:999999:other-container`);
  });

  it("is taken at once from a holder of this very host and pid namespace whose pid is gone", async () => {
    await resetMigrationTables(t.db);
    await seedLegacy(t.db, 10);
    await startRun(t.db, { workers: 1 }, admin, `${THIS_HOST}:999999:gone`);
    expect((await claimActiveRun(t.db, `${THIS_HOST}:${process.pid}:me`))?.resumedFrom).toBe(`${THIS_HOST}:999999:gone`);
  });
});
