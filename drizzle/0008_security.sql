ALTER TABLE "console_api_tokens" ADD COLUMN "created_by_user_id" integer;--> statement-breakpoint
ALTER TABLE "console_api_tokens" ADD COLUMN "expires_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "console_rate_limits" ADD COLUMN "blocked_until" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "console_users" ADD COLUMN "session_version" integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE "console_api_tokens" ADD CONSTRAINT "console_api_tokens_created_by_user_id_console_users_id_fk" FOREIGN KEY ("created_by_user_id") REFERENCES "public"."console_users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "console_api_tokens_created_by_user_idx" ON "console_api_tokens" USING btree ("created_by_user_id");--> statement-breakpoint
CREATE INDEX "console_rate_limits_window_idx" ON "console_rate_limits" USING btree ("window_start");--> statement-breakpoint
-- Tokens made before their creator was recorded by id: the creator's e-mail was their created_by.
UPDATE "console_api_tokens" t SET "created_by_user_id" = u."id" FROM "console_users" u WHERE t."created_by_user_id" IS NULL AND u."email" = t."created_by";
