CREATE TABLE "console_api_tokens" (
	"id" serial PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"role" text NOT NULL,
	"token_hash" text NOT NULL,
	"prefix" text NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_used_at" timestamp with time zone,
	"revoked_at" timestamp with time zone,
	CONSTRAINT "console_api_tokens_token_hash_unique" UNIQUE("token_hash"),
	CONSTRAINT "console_api_tokens_role_check" CHECK ("console_api_tokens"."role" in ('admin','reviewer'))
);
--> statement-breakpoint
CREATE TABLE "console_audit_log" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"actor" text NOT NULL,
	"actor_kind" text NOT NULL,
	"action" text NOT NULL,
	"target" text,
	"outcome" text NOT NULL,
	"status" integer,
	"request_id" text,
	"details" jsonb
);
--> statement-breakpoint
CREATE TABLE "console_rate_limits" (
	"key" text PRIMARY KEY NOT NULL,
	"window_start" timestamp with time zone NOT NULL,
	"count" integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE "console_users" (
	"id" serial PRIMARY KEY NOT NULL,
	"email" text NOT NULL,
	"name" text DEFAULT '' NOT NULL,
	"role" text NOT NULL,
	"password_hash" text NOT NULL,
	"disabled" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "console_users_email_unique" UNIQUE("email"),
	CONSTRAINT "console_users_role_check" CHECK ("console_users"."role" in ('admin','reviewer'))
);
--> statement-breakpoint
CREATE TABLE "capture_changes" (
	"seq" bigserial PRIMARY KEY NOT NULL,
	"prestamo_id" integer NOT NULL,
	"captured_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "capture_state" (
	"id" smallint PRIMARY KEY DEFAULT 1 NOT NULL,
	"enabled" boolean DEFAULT false NOT NULL,
	"installed_at" timestamp with time zone,
	"installed_by" text,
	"removed_at" timestamp with time zone,
	"removed_by" text,
	CONSTRAINT "capture_state_singleton" CHECK ("capture_state"."id" = 1)
);
--> statement-breakpoint
CREATE TABLE "migration_batches" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"run_id" integer,
	"kind" text NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"finished_at" timestamp with time zone DEFAULT now() NOT NULL,
	"duration_ms" double precision NOT NULL,
	"from_id" integer,
	"to_id" integer,
	"prestamos" integer NOT NULL,
	"pagos" integer NOT NULL,
	"failures" integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE "migration_failures" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"legacy_id" integer NOT NULL,
	"code" text NOT NULL,
	"field" text NOT NULL,
	"value" text,
	"pago_id" integer,
	"run_id" integer,
	"recorded_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "migration_runs" (
	"id" serial PRIMARY KEY NOT NULL,
	"status" text NOT NULL,
	"retry" boolean DEFAULT false NOT NULL,
	"batch_size" integer NOT NULL,
	"error_threshold_pct" double precision NOT NULL,
	"started_by" text NOT NULL,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"ended_at" timestamp with time zone,
	"checkpoint" integer DEFAULT 0 NOT NULL,
	"processed" integer DEFAULT 0 NOT NULL,
	"migrated" integer DEFAULT 0 NOT NULL,
	"failed" integer DEFAULT 0 NOT NULL,
	"pagos" integer DEFAULT 0 NOT NULL,
	"batches" integer DEFAULT 0 NOT NULL,
	"stop_requested_by" text,
	"stop_reason" text,
	"stop_detail" text,
	"last_error" text,
	"last_error_at" timestamp with time zone,
	"lease_owner" text,
	"lease_expires_at" timestamp with time zone,
	"heartbeat_at" timestamp with time zone,
	"resumes" integer DEFAULT 0 NOT NULL,
	"settings" jsonb,
	CONSTRAINT "migration_runs_status_check" CHECK ("migration_runs"."status" in ('running','paused','finished','stopped','halted','failed'))
);
--> statement-breakpoint
CREATE TABLE "migration_state" (
	"legacy_id" integer PRIMARY KEY NOT NULL,
	"state" text NOT NULL,
	"run_id" integer,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "migration_state_state_check" CHECK ("migration_state"."state" in ('migrated','failed','rolled_back'))
);
--> statement-breakpoint
CREATE TABLE "pagos_prestamo_new" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "pagos_prestamo_new_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"legacy_id" integer NOT NULL,
	"prestamo_id" bigint NOT NULL,
	"monto_cents" bigint NOT NULL,
	"fecha_pago" date NOT NULL,
	"metodo" text NOT NULL,
	"anulado" boolean NOT NULL,
	"migrated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "pagos_prestamo_new_legacy_id_unique" UNIQUE("legacy_id"),
	CONSTRAINT "pagos_prestamo_new_metodo_check" CHECK ("pagos_prestamo_new"."metodo" in ('efectivo','transferencia','deposito','cheque','otro'))
);
--> statement-breakpoint
CREATE TABLE "prestamos_new" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "prestamos_new_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"legacy_id" integer NOT NULL,
	"cliente_nombre" text NOT NULL,
	"cliente_documento" text,
	"monto_cents" bigint NOT NULL,
	"tasa_anual" numeric(9, 6) NOT NULL,
	"plazo_meses" integer NOT NULL,
	"fecha_otorgamiento" date NOT NULL,
	"fecha_vencimiento" date NOT NULL,
	"estado" text NOT NULL,
	"moneda" char(3) NOT NULL,
	"total_pagado_cents" bigint NOT NULL,
	"pagos_count" integer NOT NULL,
	"ultimo_pago" date,
	"saldo_cents" bigint NOT NULL,
	"legacy_updated_at" timestamp NOT NULL,
	"migrated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "prestamos_new_legacy_id_unique" UNIQUE("legacy_id"),
	CONSTRAINT "prestamos_new_estado_check" CHECK ("prestamos_new"."estado" in ('activo','en_mora','pagado','castigado','anulado')),
	CONSTRAINT "prestamos_new_moneda_check" CHECK ("prestamos_new"."moneda" in ('PEN','USD'))
);
--> statement-breakpoint
CREATE TABLE "test_data_rows" (
	"kind" text NOT NULL,
	"legacy_id" integer NOT NULL,
	"set_id" integer NOT NULL,
	CONSTRAINT "test_data_rows_kind_legacy_id_pk" PRIMARY KEY("kind","legacy_id")
);
--> statement-breakpoint
CREATE TABLE "test_data_sets" (
	"id" serial PRIMARY KEY NOT NULL,
	"seed" integer NOT NULL,
	"count" integer NOT NULL,
	"dirty_pct" double precision NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"summary" jsonb
);
--> statement-breakpoint
ALTER TABLE "pagos_prestamo_new" ADD CONSTRAINT "pagos_prestamo_new_prestamo_id_prestamos_new_id_fk" FOREIGN KEY ("prestamo_id") REFERENCES "public"."prestamos_new"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "console_audit_log_at_idx" ON "console_audit_log" USING btree ("at");--> statement-breakpoint
CREATE INDEX "console_audit_log_action_idx" ON "console_audit_log" USING btree ("action","at");--> statement-breakpoint
CREATE INDEX "console_audit_log_actor_idx" ON "console_audit_log" USING btree ("actor","at");--> statement-breakpoint
CREATE INDEX "console_audit_log_target_idx" ON "console_audit_log" USING btree ("target");--> statement-breakpoint
CREATE INDEX "capture_changes_prestamo_idx" ON "capture_changes" USING btree ("prestamo_id");--> statement-breakpoint
CREATE INDEX "migration_batches_run_idx" ON "migration_batches" USING btree ("run_id","id");--> statement-breakpoint
CREATE INDEX "migration_batches_finished_idx" ON "migration_batches" USING btree ("finished_at");--> statement-breakpoint
CREATE INDEX "migration_failures_legacy_id_idx" ON "migration_failures" USING btree ("legacy_id");--> statement-breakpoint
CREATE INDEX "migration_failures_code_idx" ON "migration_failures" USING btree ("code","legacy_id");--> statement-breakpoint
CREATE UNIQUE INDEX "migration_runs_one_active_idx" ON "migration_runs" USING btree ((true)) WHERE "migration_runs"."status" in ('running','paused');--> statement-breakpoint
CREATE INDEX "migration_state_state_idx" ON "migration_state" USING btree ("state","legacy_id");--> statement-breakpoint
CREATE INDEX "pagos_prestamo_new_prestamo_id_idx" ON "pagos_prestamo_new" USING btree ("prestamo_id");--> statement-breakpoint
CREATE INDEX "test_data_rows_set_idx" ON "test_data_rows" USING btree ("set_id");