CREATE TABLE "migration_chunks" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"run_id" integer NOT NULL,
	"lo" integer NOT NULL,
	"hi" integer NOT NULL,
	"status" text NOT NULL,
	"worker" text NOT NULL,
	"claimed_at" timestamp with time zone DEFAULT now() NOT NULL,
	"done_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "migration_runs" ADD COLUMN "claimed_to" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "migration_runs" ADD COLUMN "target_batch_ms" integer DEFAULT 500 NOT NULL;--> statement-breakpoint
ALTER TABLE "migration_runs" ADD COLUMN "pause_ms" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "migration_runs" ADD COLUMN "workers" integer DEFAULT 2 NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "migration_chunks_run_lo_idx" ON "migration_chunks" USING btree ("run_id","lo");--> statement-breakpoint
CREATE INDEX "migration_chunks_open_idx" ON "migration_chunks" USING btree ("run_id","status");