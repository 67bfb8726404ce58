/**
 * Expectations for tests over a test-data set: the rules' own verdict over the rows as read back,
 * and the design of a set without inserting it. Never a second copy of the rules.
 */
import { sql } from "drizzle-orm";
import type { Exec } from "@/db/client";
import { queryOne, queryRows } from "@/db/sql";
import { FAILURE_CODES, transformPrestamo, type FailureCode, type LegacyPago, type LegacyPrestamo } from "@/lib/migration/rules";
import { zeroCounts, type BrokenCounts } from "@/lib/migration/test-data";
import { checkParams, designSql, type CreateTestDataOptions } from "@/lib/migration/test-data-plan";
import { intArrayLiteral } from "@/lib/migration/write";

type Executor = Exec;

export interface TestDataEvaluation {
  prestamos: number;
  passed: number;
  failed: number;
  /** Per failure code: prestamos the rules fail with it. */
  broken: BrokenCounts;
  /** The failing prestamos' legacy ids and codes, in id order. */
  failures: { legacyId: number; codes: FailureCode[] }[];
  /** §5 business warnings over the prestamos that pass. */
  warnings: { PAGADO_CON_SALDO: number; SALDO_CERO_ACTIVO: number; SOBREPAGO: number };
  /** The set's tracked pagos that are orphans: prestamo_id NULL, or naming no prestamo. */
  orphans: { nullPrestamo: number; dangling: number };
}

/**
 * Reads a set back (keyset batches of 5,000 prestamos with their pagos) and runs
 * `transformPrestamo` from rules.ts over every prestamo: the generator's claims are checked
 * against this, never against a second copy of the rules. Meant for tests and small sets.
 */
export async function evaluateTestData(db: Executor, setId: number): Promise<TestDataEvaluation> {
  const out: TestDataEvaluation = {
    prestamos: 0,
    passed: 0,
    failed: 0,
    broken: zeroCounts(),
    failures: [],
    warnings: { PAGADO_CON_SALDO: 0, SALDO_CERO_ACTIVO: 0, SOBREPAGO: 0 },
    orphans: { nullPrestamo: 0, dangling: 0 },
  };
  let after = 0;
  for (;;) {
    const prestamos = await readTestPrestamos(db, setId, after, 5000);
    if (prestamos.length === 0) break;
    after = prestamos[prestamos.length - 1].id;
    const pagos = await readPagosOf(
      db,
      prestamos.map((x) => x.id),
    );
    for (const pr of prestamos) {
      const r = transformPrestamo(pr, pagos.get(pr.id) ?? []);
      out.prestamos++;
      if (r.ok) {
        out.passed++;
        const saldo = r.prestamo.saldo_cents as number;
        const estado = r.prestamo.estado;
        if (estado === "pagado" && saldo > 0) out.warnings.PAGADO_CON_SALDO++;
        if ((estado === "activo" || estado === "en_mora") && saldo <= 0) out.warnings.SALDO_CERO_ACTIVO++;
        if (saldo < 0) out.warnings.SOBREPAGO++;
      } else {
        out.failed++;
        const codes = [...new Set(r.failures.map((f) => f.code))].sort((a, b) => FAILURE_CODES.indexOf(a) - FAILURE_CODES.indexOf(b));
        for (const c of codes) out.broken[c]++;
        out.failures.push({ legacyId: pr.id, codes });
      }
    }
  }
  const o = await queryOne<{ null_prestamo: number; dangling: number }>(
    db,
    sql`select count(*) filter (where g.prestamo_id is null)::int as null_prestamo,
               count(*) filter (where g.prestamo_id is not null and not exists (select 1 from prestamos p where p.id = g.prestamo_id))::int as dangling
        from test_data_rows r join pagos_prestamo g on g.id = r.legacy_id
        where r.kind = 'pago' and r.set_id = ${setId}`,
  );
  out.orphans = { nullPrestamo: Number(o?.null_prestamo ?? 0), dangling: Number(o?.dangling ?? 0) };
  return out;
}

/** A set's legacy prestamos as the rules read them (numerics as text), in id order after `after`. */
export async function readTestPrestamos(db: Executor, setId: number, after: number, limit: number): Promise<LegacyPrestamo[]> {
  const rows = await queryRows<Record<string, unknown>>(
    db,
    sql`select l.id, l.cliente_nombre, l.cliente_documento, l.monto::text as monto, l.tasa_interes::text as tasa_interes,
               l.plazo_meses, l.fecha_otorgamiento, l.estado, l.moneda, l.updated_at::text as updated_at
        from test_data_rows r join prestamos l on l.id = r.legacy_id
        where r.kind = 'prestamo' and r.set_id = ${setId} and l.id > ${after}
        order by l.id limit ${limit}`,
  );
  return rows.map((r) => ({
    id: Number(r.id),
    cliente_nombre: (r.cliente_nombre as string | null) ?? null,
    cliente_documento: (r.cliente_documento as string | null) ?? null,
    monto: (r.monto as string | null) ?? null,
    tasa_interes: (r.tasa_interes as string | null) ?? null,
    plazo_meses: r.plazo_meses === null || r.plazo_meses === undefined ? null : Number(r.plazo_meses),
    fecha_otorgamiento: (r.fecha_otorgamiento as string | null) ?? null,
    estado: (r.estado as string | null) ?? null,
    moneda: (r.moneda as string | null) ?? null,
    updated_at: String(r.updated_at),
  }));
}

/** Every legacy pago of these prestamos (anulado or not), grouped by prestamo_id, in id order. */
export async function readPagosOf(db: Executor, prestamoIds: readonly number[]): Promise<Map<number, LegacyPago[]>> {
  const map = new Map<number, LegacyPago[]>();
  if (prestamoIds.length === 0) return map;
  const rows = await queryRows<Record<string, unknown>>(
    db,
    sql`select id, prestamo_id, monto::text as monto, fecha_pago, metodo, anulado from pagos_prestamo
        where prestamo_id = any(${intArrayLiteral(prestamoIds)}::int[]) order by id`,
  );
  for (const r of rows) {
    const g: LegacyPago = {
      id: Number(r.id),
      prestamo_id: Number(r.prestamo_id),
      monto: (r.monto as string | null) ?? null,
      fecha_pago: (r.fecha_pago as string | null) ?? null,
      metodo: (r.metodo as string | null) ?? null,
      anulado: r.anulado === true || r.anulado === "t",
    };
    const list = map.get(g.prestamo_id!) ?? [];
    list.push(g);
    map.set(g.prestamo_id!, list);
  }
  return map;
}

/**
 * The design of a set without inserting anything: for n = from..to, the failure codes each
 * prestamo was built to fail with (empty: built to pass). The n-th prestamo of a set (in id
 * order) is n. Tests compare this, row by row, with the rules' verdict.
 */
export async function designedFailures(db: Executor, opts: CreateTestDataOptions, from = 1, to?: number): Promise<FailureCode[][]> {
  const p = checkParams(opts);
  const last = Math.min(p.count, to ?? p.count);
  if (!Number.isInteger(from) || from < 1 || from > last) return [];
  const rows = await queryRows<{ n: number; c1: number | null; c2: number | null }>(db, sql`select n, c1, c2 from (${designSql(p, from, last)}) d order by n`);
  return rows.map((r) =>
    [r.c1, r.c2]
      .filter((c): c is number => c !== null && c !== undefined)
      .map((c) => FAILURE_CODES[Number(c)])
      .sort((a, b) => FAILURE_CODES.indexOf(a) - FAILURE_CODES.indexOf(b)),
  );
}
