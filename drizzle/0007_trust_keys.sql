-- Rows a stopped run's late batch duplicated before the key existed: keep the first of each rule.
DELETE FROM "migration_failures" f USING "migration_failures" d
WHERE d.legacy_id = f.legacy_id AND d.code = f.code AND d.field = f.field AND d.pago_id IS NOT DISTINCT FROM f.pago_id AND d.id < f.id;
--> statement-breakpoint
ALTER TABLE "migration_failures" ADD CONSTRAINT "migration_failures_rule_key" UNIQUE NULLS NOT DISTINCT("legacy_id","code","field","pago_id");
--> statement-breakpoint
-- TRUNCATE of migration_state (rollback of all) empties its counts. The DELETE alone missed the
-- row an idle compaction had folded and not yet committed (invisible to the DELETE, committed
-- after it): the counts kept the old totals for good. The lock waits for a compaction in flight
-- and keeps the next one out until this transaction ends; the DELETE, a statement of its own,
-- then sees every committed row. Writers of migration_state cannot be in flight: TRUNCATE holds
-- it exclusively.
CREATE OR REPLACE FUNCTION console_state_counts_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  LOCK TABLE migration_state_counts IN SHARE ROW EXCLUSIVE MODE;
  DELETE FROM migration_state_counts;
  RETURN NULL;
END $$;
