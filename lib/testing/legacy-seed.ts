import { sql } from "drizzle-orm";
import type { Exec } from "@/db/client";

/**
 * A small deterministic legacy data set for engine tests: `n` prestamos in assorted dirty but
 * valid forms, every `invalidEvery`-th one broken (rotating through the failure codes), 0–5
 * pagos each. Set-based; ids follow the sequences.
 */
export async function seedLegacy(db: Exec, n: number, invalidEvery = 0): Promise<void> {
  await db.execute(sql`
    insert into prestamos (cliente_nombre, cliente_documento, monto, tasa_interes, plazo_meses, fecha_otorgamiento, estado, moneda)
    select
      case when ${invalidEvery} > 0 and i % ${invalidEvery || 1} = 0 and (i / ${invalidEvery || 1}) % 8 = 0 then '   '
           else (array['  Ana  María ', E'Juan\\tPerez', 'ROSA  QUISPE', E'\\nLuis'])[1 + i % 4] || ' ' || i end,
      (array['12.345.678-k', null, ' 20-1234567-8 ', ''])[1 + i % 4],
      case when ${invalidEvery} > 0 and i % ${invalidEvery || 1} = 0 and (i / ${invalidEvery || 1}) % 8 = 1 then 0 else 100 + (i % 97) * 10.5 end,
      case when ${invalidEvery} > 0 and i % ${invalidEvery || 1} = 0 and (i / ${invalidEvery || 1}) % 8 = 2 then 250 else (i % 40) + 0.5 end,
      case when ${invalidEvery} > 0 and i % ${invalidEvery || 1} = 0 and (i / ${invalidEvery || 1}) % 8 = 3 then 0 else 1 + i % 36 end,
      case when ${invalidEvery} > 0 and i % ${invalidEvery || 1} = 0 and (i / ${invalidEvery || 1}) % 8 = 4 then '31/02/2021'
           else (array['31/1/2024', ' 2023-05-31 ', '29/2/2024', '1/12/2020'])[1 + i % 4] end,
      case when ${invalidEvery} > 0 and i % ${invalidEvery || 1} = 0 and (i / ${invalidEvery || 1}) % 8 = 5 then 'raro'
           else (array[' Vigente', 'MOROSO', 'pagado', 'al dia', 'castigado'])[1 + i % 5] end,
      case when ${invalidEvery} > 0 and i % ${invalidEvery || 1} = 0 and (i / ${invalidEvery || 1}) % 8 = 6 then 'EUR'
           else (array[null, 'S/.', 'us$', '', 'soles'])[1 + i % 5] end
    from generate_series(1, ${n}) i`);
  // Pagos: 0–5 per prestamo; the 8th code (INVALID_PAGO) breaks one pago of the chosen prestamos.
  await db.execute(sql`
    insert into pagos_prestamo (prestamo_id, monto, fecha_pago, metodo, anulado)
    select p.id,
      case when ${invalidEvery} > 0 and p.rn % ${invalidEvery || 1} = 0 and (p.rn / ${invalidEvery || 1}) % 8 = 7 and k = 1 then -5 else 10 + k * 3.25 end,
      (array['2024-03-01', ' 5/3/2024 ', '2024-02-29', '31/12/2100'])[1 + (p.rn + k) % 4],
      (array[' CASH', 'tef', null, 'yape', 'cheque'])[1 + (p.rn + k) % 5],
      (p.rn + k) % 6 = 0
    from (select id, row_number() over (order by id) as rn from prestamos where id > coalesce((select max(prestamo_id) from pagos_prestamo), 0)) p
    cross join lateral generate_series(1, (p.rn % 6)::int) k`);
}
