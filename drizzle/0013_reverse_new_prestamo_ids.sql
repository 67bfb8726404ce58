-- While cut over, every application write to the new tables appends to this queue: these ALTERs
-- wait at most 2 s for it (the start-up then fails with nothing applied, and the next start tries
-- again) rather than hold those writes behind them for the session's 15 s.
SET LOCAL lock_timeout = '2s';--> statement-breakpoint
ALTER TABLE "reverse_changes" ALTER COLUMN "prestamo_id" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "reverse_changes" ADD COLUMN "new_prestamo_id" integer;--> statement-breakpoint
-- A console of an earlier version reads only prestamo_id: it would take a pago's entry (named by
-- its new prestamo id) for nothing and lose that change on the way back. Its drain fails instead,
-- leaving the entries for a console that resolves them (it says so for its transaction).
CREATE OR REPLACE FUNCTION console_reverse_changes_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('console.reverse_resolves_new_ids', true) IS DISTINCT FROM 'on' THEN
    RAISE EXCEPTION 'reverse_changes holds entries named by a new prestamo id, which this console cannot apply: run the same console version on every instance'
      USING ERRCODE = 'object_not_in_prerequisite_state';
  END IF;
  RETURN OLD;
END $$;--> statement-breakpoint
CREATE TRIGGER console_reverse_changes_guard BEFORE DELETE ON reverse_changes
  FOR EACH ROW WHEN (OLD.prestamo_id IS NULL) EXECUTE FUNCTION console_reverse_changes_guard();
