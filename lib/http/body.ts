import { AppError } from "@/lib/errors";

export const BODY_LIMIT_BYTES = 1024 * 1024;

/**
 * Reads a JSON body with a size cap: route handlers have no body limit of their own, so check
 * content-length first and then count the bytes as they arrive. Empty body → undefined.
 */
export async function readJsonBody(req: Request, limit = BODY_LIMIT_BYTES): Promise<unknown> {
  const declared = Number(req.headers.get("content-length") ?? "0");
  if (Number.isFinite(declared) && declared > limit) {
    throw new AppError("PAYLOAD_TOO_LARGE", `The body is larger than ${limit} bytes`);
  }
  if (!req.body) return undefined;
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      throw new AppError("PAYLOAD_TOO_LARGE", `The body is larger than ${limit} bytes`);
    }
    chunks.push(value);
  }
  if (size === 0) return undefined;
  const text = new TextDecoder("utf-8", { fatal: false }).decode(Buffer.concat(chunks));
  if (text.trim() === "") return undefined;
  const type = req.headers.get("content-type") ?? "";
  if (type && !/^application\/([\w.+-]*\+)?json\b/i.test(type)) {
    throw new AppError("VALIDATION_ERROR", "The body must be JSON (Content-Type: application/json)");
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new AppError("VALIDATION_ERROR", "The body is not valid JSON");
  }
}
