// PATCH /api/prestamos/migration/settings — tunes the active run without a restart (target batch ms, pause, workers, batch size).
import { methodNotAllowed } from "@/lib/http/fallback";
import { route } from "@/lib/http/route";
import { TuneRunBody } from "@/lib/api/migration";
import { tuneRun } from "@/lib/migration/runs";

export const PATCH = route({
  role: "admin",
  action: "migration.tune",
  body: TuneRunBody,
  handler: async ({ db, body, actor }) => ({ run: await tuneRun(db, body, actor) }),
});
export const { GET, HEAD, POST, PUT, DELETE, OPTIONS } = methodNotAllowed("PATCH");
