-- Rows a stopped run's late batch duplicated before the key existed: keep the first of each rule.
DELETE FROM "migration_failures" f USING "migration_failures" d
WHERE d.legacy_id = f.legacy_id AND d.code = f.code AND d.field = f.field AND d.pago_id IS NOT DISTINCT FROM f.pago_id AND d.id < f.id;
--> statement-breakpoint
ALTER TABLE "migration_failures" ADD CONSTRAINT "migration_failures_rule_key" UNIQUE NULLS NOT DISTINCT("legacy_id","code","field","pago_id");
