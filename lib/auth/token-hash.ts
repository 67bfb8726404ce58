import { createHash } from "node:crypto";

/** SHA-256 hex of an API token: what console_api_tokens.token_hash holds. Plain (no Next imports), for the CLI too. */
export const hashToken = (token: string) => createHash("sha256").update(token, "utf8").digest("hex");
