CREATE TABLE "migration_state_counts" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"state" text NOT NULL,
	"delta" bigint NOT NULL
);
--> statement-breakpoint
-- The counts follow every write to migration_state: one row per state changed by a statement.
CREATE OR REPLACE FUNCTION console_state_counts_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO migration_state_counts (state, delta) SELECT state, count(*) FROM new_rows GROUP BY state;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION console_state_counts_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO migration_state_counts (state, delta)
  SELECT state, sum(d) FROM (SELECT state, 1 AS d FROM new_rows UNION ALL SELECT state, -1 FROM old_rows) x
  GROUP BY state HAVING sum(d) <> 0;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION console_state_counts_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO migration_state_counts (state, delta) SELECT state, -count(*) FROM old_rows GROUP BY state;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION console_state_counts_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM migration_state_counts;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER migration_state_counts_inserted AFTER INSERT ON migration_state
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION console_state_counts_inserted();
--> statement-breakpoint
CREATE TRIGGER migration_state_counts_updated AFTER UPDATE ON migration_state
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION console_state_counts_updated();
--> statement-breakpoint
CREATE TRIGGER migration_state_counts_deleted AFTER DELETE ON migration_state
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION console_state_counts_deleted();
--> statement-breakpoint
CREATE TRIGGER migration_state_counts_truncated AFTER TRUNCATE ON migration_state
  FOR EACH STATEMENT EXECUTE FUNCTION console_state_counts_truncated();
--> statement-breakpoint
INSERT INTO migration_state_counts (state, delta) SELECT state, count(*) FROM migration_state GROUP BY state;
