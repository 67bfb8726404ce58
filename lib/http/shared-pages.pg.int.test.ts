/**
 * A page of mismatches whose walk took long is served again for a while instead of walked again
 * by every reader; PostgreSQL only (a second session's lock makes the walk long on purpose).
 */
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { insertManyValid, migrateAll } from "@/lib/testing/factories";
import { holdTransaction, waitForLockWaiters, withSecondSession } from "@/lib/testing/lock-wait";
import { PAGE_REUSE_MIN_WALK_MS, readConsistency } from "./reads";

const fx = withSecondSession();

const tamper = (legacyId: number) => fx.t.db.execute(sql`UPDATE prestamos_new SET cliente_nombre = 'tampered' WHERE legacy_id = ${legacyId}`);
const ids = (r: Awaited<ReturnType<typeof readConsistency>>) => r.mismatches.items.map((i) => i.legacyId);

describe("a long page of mismatches (postgres)", () => {
  it("is served again, labelled with when it was read, until twice its walk has passed; then read anew", async () => {
    await insertManyValid(fx.t.db, 6, 1);
    await migrateAll(fx.t.db);
    await tamper(2);
    const q = { category: "field" as const, page: 1, limit: 50, fresh: null };
    const held = holdTransaction(fx.other, (tx) => tx`LOCK TABLE prestamos_new IN ACCESS EXCLUSIVE MODE`);
    await held.ready;
    const first = readConsistency(fx.t.db, q);
    await waitForLockWaiters(fx.other, 1);
    // The walk waits behind the lock for longer than a cheap page ever takes: it becomes a long one.
    await new Promise((r) => setTimeout(r, PAGE_REUSE_MIN_WALK_MS + 50));
    held.release();
    await held.done;
    const a = await first;
    expect(ids(a)).toEqual([2]);
    expect(a.mismatches.reusedUntil).not.toBeNull();
    const windowMs = Date.parse(a.mismatches.reusedUntil!) - Date.parse(a.mismatches.readAt);
    expect(windowMs).toBeGreaterThanOrEqual(3 * PAGE_REUSE_MIN_WALK_MS); // its walk, then twice as long

    await tamper(4);
    const again = await readConsistency(fx.t.db, q);
    expect(again.mismatches).toEqual(a.mismatches); // the same page, saying when it was read

    while (Date.now() <= Date.parse(a.mismatches.reusedUntil!)) await new Promise((r) => setTimeout(r, 20));
    const anew = await readConsistency(fx.t.db, q);
    expect(ids(anew)).toEqual([2, 4]);
    expect(Date.parse(anew.mismatches.readAt)).toBeGreaterThan(Date.parse(a.mismatches.reusedUntil!));
  });
});
