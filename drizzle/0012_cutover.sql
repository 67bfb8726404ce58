CREATE TABLE "cutover_state" (
	"id" smallint PRIMARY KEY DEFAULT 1 NOT NULL,
	"phase" text DEFAULT 'legacy' NOT NULL,
	"changed_at" timestamp with time zone,
	"changed_by" text,
	CONSTRAINT "cutover_state_singleton" CHECK ("cutover_state"."id" = 1),
	CONSTRAINT "cutover_state_phase_check" CHECK ("cutover_state"."phase" in ('legacy','cut_over','finalized'))
);
--> statement-breakpoint
CREATE TABLE "cutover_switches" (
	"id" serial PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"actor" text NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"finished_at" timestamp with time zone NOT NULL,
	"attempts" integer NOT NULL,
	"lock_wait_ms" integer NOT NULL,
	"writes_held_ms" integer NOT NULL,
	"drained_entries" integer NOT NULL,
	"drained_prestamos" integer NOT NULL,
	"total_ms" integer NOT NULL,
	"details" jsonb
);
--> statement-breakpoint
CREATE TABLE "reverse_changes" (
	"prestamo_id" integer NOT NULL,
	"captured_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "pagos_prestamo_new" ADD COLUMN "legacy_created_at" timestamp;--> statement-breakpoint
ALTER TABLE "prestamos_new" ADD COLUMN "legacy_created_at" timestamp;--> statement-breakpoint
INSERT INTO "cutover_state" ("id", "phase") VALUES (1, 'legacy') ON CONFLICT DO NOTHING;--> statement-breakpoint
-- Rows migrated before these columns existed take created_at from their legacy rows.
DO $$
BEGIN
  IF to_regclass('prestamos') IS NOT NULL AND to_regclass('pagos_prestamo') IS NOT NULL THEN
    UPDATE prestamos_new n SET legacy_created_at = l.created_at FROM prestamos l WHERE l.id = n.legacy_id AND n.legacy_created_at IS NULL;
    UPDATE pagos_prestamo_new n SET legacy_created_at = l.created_at FROM pagos_prestamo l WHERE l.id = n.legacy_id AND n.legacy_created_at IS NULL;
  END IF;
END $$;
