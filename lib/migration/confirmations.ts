/**
 * What a person confirms: items the console cannot measure (a backup exists, the team was
 * told, the issues are written up). Confirm and withdraw are admin mutations, each committed with
 * its audit row; a withdrawn confirmation stays in the table for the record.
 */
import { sql } from "drizzle-orm";
import type { Db, Exec } from "@/db/client";
import { isoTime, queryOne, queryRows } from "@/db/sql";
import { writeAudit, type Actor } from "@/lib/audit";
import { AppError } from "@/lib/errors";
import { CONFIRM_ITEMS, type ConfirmPhase } from "./vocabulary";

export { CONFIRM_ITEMS, type ConfirmPhase };

export interface Confirmation {
  id: number;
  phase: ConfirmPhase;
  item: string;
  confirmedBy: string;
  confirmedAt: string | null;
  reference: string | null;
  withdrawnBy: string | null;
  withdrawnAt: string | null;
}

const toDto = (r: Record<string, unknown>): Confirmation => ({
  id: Number(r.id),
  phase: r.phase as ConfirmPhase,
  item: String(r.item),
  confirmedBy: String(r.confirmed_by),
  confirmedAt: isoTime(r.confirmed_at),
  reference: (r.reference as string | null) ?? null,
  withdrawnBy: (r.withdrawn_by as string | null) ?? null,
  withdrawnAt: isoTime(r.withdrawn_at),
});

const COLS = sql`id, phase, item, confirmed_by, confirmed_at::text AS confirmed_at, reference, withdrawn_by, withdrawn_at::text AS withdrawn_at`;

/** The standing (not withdrawn) confirmation of each item of a phase. */
export async function activeConfirmations(db: Exec, phase: ConfirmPhase): Promise<Record<string, Confirmation | null>> {
  const rows = await queryRows(db, sql`SELECT ${COLS} FROM migration_confirmations WHERE phase = ${phase} AND withdrawn_at IS NULL ORDER BY id`);
  const out: Record<string, Confirmation | null> = Object.fromEntries(CONFIRM_ITEMS[phase].map((i) => [i, null]));
  for (const r of rows) out[String(r.item)] = toDto(r);
  return out;
}

/** Every confirmation ever made, withdrawn ones included (the archive). */
export async function allConfirmations(db: Exec): Promise<Confirmation[]> {
  return (await queryRows(db, sql`SELECT ${COLS} FROM migration_confirmations ORDER BY id`)).map(toDto);
}

function checkItem(phase: ConfirmPhase, item: string) {
  if (!(CONFIRM_ITEMS[phase] as readonly string[]).includes(item)) {
    throw new AppError("VALIDATION_ERROR", `Unknown ${phase} item "${item}"; one of ${CONFIRM_ITEMS[phase].join(", ")}`);
  }
}

/** 409 when the item is already confirmed (withdraw first: a confirmation is never silently replaced). */
export async function confirmItem(db: Db, phase: ConfirmPhase, input: { item: string; reference?: string }, actor: Actor): Promise<Confirmation> {
  checkItem(phase, input.item);
  return db.transaction(async (tx) => {
    // One confirmation at a time per item, also across instances.
    await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtext(${`confirm:${phase}:${input.item}`}))`);
    const current = await queryOne(
      tx,
      sql`SELECT ${COLS} FROM migration_confirmations WHERE phase = ${phase} AND item = ${input.item} AND withdrawn_at IS NULL`,
    );
    if (current) {
      const c = toDto(current);
      throw new AppError("CONFLICT", `${input.item} is already confirmed by ${c.confirmedBy} at ${c.confirmedAt}; withdraw it first`, { confirmation: c });
    }
    const row = await queryOne(
      tx,
      sql`INSERT INTO migration_confirmations (phase, item, confirmed_by, reference) VALUES (${phase}, ${input.item}, ${actor.name}, ${input.reference ?? null})
          RETURNING ${COLS}`,
    );
    const c = toDto(row!);
    await writeAudit(tx, actor, {
      action: `${phase}.confirm`,
      target: input.item,
      outcome: "ok",
      status: 200,
      details: { item: input.item, reference: c.reference, confirmationId: c.id },
    });
    return c;
  });
}

/** 409 when the item is not confirmed. */
export async function withdrawItem(db: Db, phase: ConfirmPhase, input: { item: string }, actor: Actor): Promise<Confirmation> {
  checkItem(phase, input.item);
  return db.transaction(async (tx) => {
    await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtext(${`confirm:${phase}:${input.item}`}))`);
    const row = await queryOne(
      tx,
      sql`UPDATE migration_confirmations SET withdrawn_at = now(), withdrawn_by = ${actor.name}
          WHERE phase = ${phase} AND item = ${input.item} AND withdrawn_at IS NULL RETURNING ${COLS}`,
    );
    if (!row) throw new AppError("CONFLICT", `${input.item} is not confirmed`);
    const c = toDto(row);
    await writeAudit(tx, actor, {
      action: `${phase}.withdraw`,
      target: input.item,
      outcome: "ok",
      status: 200,
      details: { item: input.item, confirmationId: c.id, confirmedBy: c.confirmedBy, confirmedAt: c.confirmedAt, reference: c.reference },
    });
    return c;
  });
}
