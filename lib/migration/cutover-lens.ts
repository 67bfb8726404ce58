/**
 * What the consistency check compares the new tables with, by phase (MIGRATION-SPEC §9). Once cut
 * over, `prestamos` and `pagos_prestamo` are views over the new tables: the check read through
 * them would compare the new tables with themselves and always say 100 %. A schema of its own
 * (the lens) holds two views named like the legacy tables over the archive; put first on the
 * search_path of the check's transaction, it makes every statement of the check read the archive,
 * with no statement of the check written twice.
 */
import { sql } from "drizzle-orm";
import { queryOne } from "@/db/sql";
import { AppError } from "@/lib/errors";
import { ARCHIVE } from "./reverse-capture";
import type { Exec as Tx } from "@/db/client";

export const ARCHIVE_LENS = "console_archive_lens";

/** Created by the cut-over after its renames; kept by finalize (the archive stays), dropped by the revert before the archive gets its names back. */
export const archiveLensDdl = (schema: string) => [
  `CREATE SCHEMA IF NOT EXISTS ${ARCHIVE_LENS}`,
  `CREATE OR REPLACE VIEW ${ARCHIVE_LENS}.prestamos AS SELECT * FROM ${schema}.${ARCHIVE.prestamos}`,
  `CREATE OR REPLACE VIEW ${ARCHIVE_LENS}.pagos_prestamo AS SELECT * FROM ${schema}.${ARCHIVE.pagos}`,
];
export const dropArchiveLensDdl = [`DROP SCHEMA IF EXISTS ${ARCHIVE_LENS} CASCADE`];

export interface ComparedWith {
  against: "legacy" | "archive";
  prestamos: string;
  pagos: string;
  /** What the comparison proves in this phase, in a sentence. */
  words: string;
}

const LEGACY: ComparedWith = {
  against: "legacy",
  prestamos: "prestamos",
  pagos: "pagos_prestamo",
  words: "The new tables against the legacy tables as they are now.",
};

/**
 * Inside the check's transaction, before its first read: in phase cut_over or finalized, points
 * the legacy names at the archive for this transaction only, and says what is compared.
 */
export async function compareAgainstPhase(tx: Tx): Promise<ComparedWith> {
  const row = await queryOne<{ phase: string; lens: boolean; at: string | null }>(
    tx,
    sql`select s.phase, to_regclass(${`${ARCHIVE_LENS}.prestamos`}) is not null as lens,
               (select to_char(finished_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI') from cutover_switches where kind = 'finalize' order by id desc limit 1) as at
        from cutover_state s where s.id = 1`,
  );
  if (!row || row.phase === "legacy") return LEGACY;
  if (!row.lens) {
    throw new AppError(
      "CONFLICT",
      `The system is ${row.phase === "cut_over" ? "cut over" : "finalized"} and the archive has no lens to compare through (it was cut over by an older console): revert and cut over again to check the way back`,
      { phase: row.phase },
    );
  }
  await tx.execute(sql`select set_config('search_path', ${`${ARCHIVE_LENS}, `} || current_setting('search_path'), true)`);
  const archive = { against: "archive" as const, prestamos: ARCHIVE.prestamos, pagos: ARCHIVE.pagos };
  if (row.phase === "cut_over") {
    return {
      ...archive,
      words: `Cut over: prestamos and pagos_prestamo are views over the new tables, so the new tables are compared with the archive (${ARCHIVE.prestamos}, ${ARCHIVE.pagos}) that reverse capture keeps in step. 100 % means the way back is intact; changes waiting in the reverse queue show as differences until the worker applies them.`,
    };
  }
  return {
    ...archive,
    words: `Finalized${row.at ? ` ${row.at} UTC` : ""}: reverse capture has ended and the archive (${ARCHIVE.prestamos}, ${ARCHIVE.pagos}) is a copy as of then. Differences are the writes made since; there is no way back left to guard.`,
  };
}
