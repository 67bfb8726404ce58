// GET / PATCH /api/prestamos/migration/throttle — the throttle's signals, levels, state and episodes; admins change the levels.
import { getDbHandle } from "@/db/client";
import { methodNotAllowed } from "@/lib/http/fallback";
import { route } from "@/lib/http/route";
import { ThrottlePatchBody } from "@/lib/api/throttle";
import { getThrottle, setThrottleSettings } from "@/lib/migration/throttle";

export const GET = route({
  role: "reviewer",
  handler: async ({ db }) => getThrottle(db, (await getDbHandle()).driver),
});

export const PATCH = route({
  role: "admin",
  action: "throttle.settings",
  body: ThrottlePatchBody,
  handler: async ({ db, body, actor }) => {
    await setThrottleSettings(db, body, actor);
    return getThrottle(db, (await getDbHandle()).driver);
  },
});
export const { POST, PUT, DELETE, OPTIONS } = methodNotAllowed("GET", "PATCH");
