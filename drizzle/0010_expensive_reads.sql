CREATE TABLE "console_jobs" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"status" text DEFAULT 'queued' NOT NULL,
	"requested_by" text NOT NULL,
	"requested_at" timestamp with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone,
	"lease_owner" text,
	"lease_expires_at" timestamp with time zone,
	"progress" jsonb,
	"result" jsonb,
	"error" text
);
--> statement-breakpoint
CREATE TABLE "legacy_row_counts" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"tbl" text NOT NULL,
	"delta" bigint NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "console_jobs_one_queued_idx" ON "console_jobs" USING btree ("kind") WHERE status = 'queued';--> statement-breakpoint
CREATE INDEX "console_jobs_kind_idx" ON "console_jobs" USING btree ("kind","status","id");