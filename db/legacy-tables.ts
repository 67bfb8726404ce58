import { sql } from "drizzle-orm";
import { boolean, index, integer, numeric, pgTable, serial, timestamp, varchar } from "drizzle-orm/pg-core";

/**
 * The legacy tables, exactly as ../shared/legacy-schema.sql. They belong to the loans
 * application: the console never creates them through a migration and never alters them
 * (db/legacy.ts creates them only when absent, for a fresh trial database). They live outside
 * db/schema so drizzle-kit never puts them in a migration; these definitions exist for typed reads.
 */
export const prestamos = pgTable("prestamos", {
  id: serial("id").primaryKey(),
  clienteNombre: varchar("cliente_nombre", { length: 200 }),
  clienteDocumento: varchar("cliente_documento", { length: 30 }),
  monto: numeric("monto", { precision: 12, scale: 2 }),
  tasaInteres: numeric("tasa_interes", { precision: 6, scale: 3 }),
  plazoMeses: integer("plazo_meses"),
  fechaOtorgamiento: varchar("fecha_otorgamiento", { length: 20 }),
  estado: varchar("estado", { length: 20 }),
  moneda: varchar("moneda", { length: 10 }),
  createdAt: timestamp("created_at")
    .notNull()
    .default(sql`now()`),
  updatedAt: timestamp("updated_at")
    .notNull()
    .default(sql`now()`),
});

export const pagosPrestamo = pgTable(
  "pagos_prestamo",
  {
    id: serial("id").primaryKey(),
    prestamoId: integer("prestamo_id"),
    monto: numeric("monto", { precision: 12, scale: 2 }),
    fechaPago: varchar("fecha_pago", { length: 20 }),
    metodo: varchar("metodo", { length: 20 }),
    anulado: boolean("anulado").notNull().default(false),
    createdAt: timestamp("created_at")
      .notNull()
      .default(sql`now()`),
  },
  (t) => [index("pagos_prestamo_prestamo_id_idx").on(t.prestamoId)],
);
