DROP INDEX "capture_changes_prestamo_idx";--> statement-breakpoint
ALTER TABLE "capture_changes" DROP COLUMN "seq";