ALTER TABLE "migration_chunks" ALTER COLUMN "lo" SET DATA TYPE bigint;--> statement-breakpoint
ALTER TABLE "migration_chunks" ALTER COLUMN "hi" SET DATA TYPE bigint;--> statement-breakpoint
ALTER TABLE "migration_runs" ALTER COLUMN "checkpoint" SET DATA TYPE bigint;--> statement-breakpoint
ALTER TABLE "migration_runs" ALTER COLUMN "checkpoint" SET DEFAULT -2147483649;--> statement-breakpoint
ALTER TABLE "migration_runs" ALTER COLUMN "claimed_to" SET DATA TYPE bigint;--> statement-breakpoint
ALTER TABLE "migration_runs" ALTER COLUMN "claimed_to" SET DEFAULT -2147483649;--> statement-breakpoint
ALTER TABLE "capture_state" ADD COLUMN "reset_run_id" integer;--> statement-breakpoint
ALTER TABLE "capture_state" ADD COLUMN "resync_after" bigint;--> statement-breakpoint
ALTER TABLE "capture_state" ADD COLUMN "resync_started_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "capture_state" ADD COLUMN "resync_done_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "capture_state" ADD COLUMN "resync_checked" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "capture_state" ADD COLUMN "resync_rewritten" integer DEFAULT 0 NOT NULL;