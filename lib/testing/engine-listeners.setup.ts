// Every integration test file: what the engine announces reaches webhooks and metrics, as in the server (boot installs the same).
import { installEngineListeners } from "@/lib/server/engine-listeners";

installEngineListeners();
