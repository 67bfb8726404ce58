CREATE TABLE "console_settings" (
	"key" text PRIMARY KEY NOT NULL,
	"value" jsonb NOT NULL,
	"updated_by" text NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "legacy_write_samples" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"inserts" double precision NOT NULL,
	"updates" double precision NOT NULL,
	"deletes" double precision NOT NULL
);
--> statement-breakpoint
CREATE TABLE "migration_confirmations" (
	"id" serial PRIMARY KEY NOT NULL,
	"phase" text NOT NULL,
	"item" text NOT NULL,
	"confirmed_by" text NOT NULL,
	"confirmed_at" timestamp with time zone DEFAULT now() NOT NULL,
	"reference" text,
	"withdrawn_at" timestamp with time zone,
	"withdrawn_by" text
);
--> statement-breakpoint
CREATE TABLE "console_webhook_deliveries" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"webhook_id" integer NOT NULL,
	"event" text NOT NULL,
	"payload" jsonb NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_status_code" integer,
	"last_response" text,
	"last_error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"delivered_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "console_webhooks" (
	"id" serial PRIMARY KEY NOT NULL,
	"url" text NOT NULL,
	"secret" text NOT NULL,
	"events" text[] DEFAULT '{}' NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "migration_runs" ADD COLUMN "preflight" jsonb;--> statement-breakpoint
ALTER TABLE "console_webhook_deliveries" ADD CONSTRAINT "console_webhook_deliveries_webhook_id_console_webhooks_id_fk" FOREIGN KEY ("webhook_id") REFERENCES "public"."console_webhooks"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "legacy_write_samples_at_idx" ON "legacy_write_samples" USING btree ("at");--> statement-breakpoint
CREATE INDEX "migration_confirmations_item_idx" ON "migration_confirmations" USING btree ("phase","item","id");--> statement-breakpoint
CREATE INDEX "console_webhook_deliveries_due_idx" ON "console_webhook_deliveries" USING btree ("status","next_attempt_at");--> statement-breakpoint
CREATE INDEX "console_webhook_deliveries_hook_idx" ON "console_webhook_deliveries" USING btree ("webhook_id","id");