import { sql } from "drizzle-orm";
import type { Db } from "@/db/client";
import { queryOne } from "@/db/sql";

/** Small deterministic PRNG so a failure can be replayed. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => (s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32;
}

/**
 * The loans application writing its legacy tables as it does in production: new prestamos,
 * edited ones, new pagos, pagos moved between prestamos, voided, deleted, and a prestamo deleted
 * with its pagos in one transaction. Ids are drawn from 1..max (kept up to date as it inserts),
 * so a pick costs an index lookup at any scale; a pick of a deleted id changes nothing.
 * Returns the number of writes.
 */
export async function applicationWrites(
  db: Pick<Db, "execute" | "transaction">,
  opts: { until: () => boolean; seed: number; /** Each write's latency (ms), for percentiles. */ onWrite?: (ms: number) => void },
): Promise<number> {
  const r = rng(opts.seed);
  const max = async (table: "prestamos" | "pagos_prestamo") =>
    Number((await queryOne<{ m: number }>(db, sql.raw(`select coalesce(max(id), 1)::int as m from ${table}`)))?.m ?? 1);
  let maxPrestamo = await max("prestamos");
  let maxPago = await max("pagos_prestamo");
  const prestamo = () => 1 + Math.floor(r() * maxPrestamo);
  const pago = () => 1 + Math.floor(r() * maxPago);
  let ops = 0;
  while (!opts.until()) {
    const op = Math.floor(r() * 7);
    const t0 = performance.now();
    if (op === 0) {
      const row = await queryOne<{ id: number }>(
        db,
        sql`insert into prestamos (cliente_nombre, monto, tasa_interes, plazo_meses, fecha_otorgamiento, estado, moneda)
            values (${" Nuevo  " + ops}, ${100 + ops}, 12.5, 12, ' 1/2/2024 ', 'vigente', 'us$') returning id`,
      );
      maxPrestamo = Math.max(maxPrestamo, Number(row?.id ?? 0));
    } else if (op === 1) {
      await db.execute(sql`update prestamos set monto = monto + 1, updated_at = now() where id = ${prestamo()}`);
    } else if (op === 2) {
      const row = await queryOne<{ id: number }>(
        db,
        sql`insert into pagos_prestamo (prestamo_id, monto, fecha_pago, metodo) values (${prestamo()}, 7.5, '2024-03-03', 'CASH') returning id`,
      );
      maxPago = Math.max(maxPago, Number(row?.id ?? 0));
    } else if (op === 3) {
      await db.execute(sql`update pagos_prestamo set prestamo_id = ${prestamo()} where id = ${pago()}`);
    } else if (op === 4) {
      await db.execute(sql`update pagos_prestamo set anulado = not anulado where id = ${pago()}`);
    } else if (op === 5) {
      await db.execute(sql`delete from pagos_prestamo where id = ${pago()}`);
    } else {
      const id = prestamo();
      await db.transaction(async (tx) => {
        await tx.execute(sql`delete from pagos_prestamo where prestamo_id = ${id}`);
        await tx.execute(sql`delete from prestamos where id = ${id}`);
      });
    }
    opts.onWrite?.(performance.now() - t0);
    ops++;
    // PGlite answers without real I/O: yield to timers, or this loop starves the worker's.
    await new Promise((resolve) => setImmediate(resolve));
  }
  return ops;
}
