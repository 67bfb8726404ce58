CREATE TABLE "throttle_episodes" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"run_id" integer,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"ended_at" timestamp with time zone,
	"reasons" jsonb NOT NULL,
	"worst" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"outcome" text,
	"alerted_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "throttle_heartbeat" (
	"id" smallint PRIMARY KEY DEFAULT 1 NOT NULL,
	"beat_at" timestamp with time zone DEFAULT now() NOT NULL,
	"beat_by" text,
	CONSTRAINT "throttle_heartbeat_singleton" CHECK ("throttle_heartbeat"."id" = 1)
);
--> statement-breakpoint
CREATE TABLE "throttle_samples" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"signals" jsonb NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "throttle_episodes_one_open" ON "throttle_episodes" USING btree ((true)) WHERE "throttle_episodes"."ended_at" is null;--> statement-breakpoint
CREATE INDEX "throttle_episodes_started_idx" ON "throttle_episodes" USING btree ("started_at");--> statement-breakpoint
CREATE INDEX "throttle_samples_at_idx" ON "throttle_samples" USING btree ("at");--> statement-breakpoint
-- The probe updates this one row; it exists from the start.
INSERT INTO "throttle_heartbeat" ("id") VALUES (1) ON CONFLICT DO NOTHING;

