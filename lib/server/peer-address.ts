import http from "node:http";
import { PEER_ADDRESS_HEADER } from "@/lib/http/rate-limit";

/**
 * Route handlers see a Request, never the socket, and Next writes the socket's address into
 * X-Forwarded-For only when the client sent none (`??=`), so a client picks its own address. The
 * console's HTTP server therefore writes the socket's address under a header of its own on every
 * request, over anything the client sent under that name; clientIp() reads it. Installed once per
 * process by register(), before Next serves (it patches the prototype, so the server Next already
 * created is covered too).
 */
export function installPeerAddressHeader(): void {
  const g = globalThis as unknown as { __prestamosPeerAddress?: boolean };
  if (g.__prestamosPeerAddress) return;
  g.__prestamosPeerAddress = true;
  const emit = http.Server.prototype.emit;
  http.Server.prototype.emit = function emitWithPeerAddress(this: http.Server, event: string | symbol, ...args: unknown[]): boolean {
    if (event === "request") {
      const req = args[0] as http.IncomingMessage;
      req.headers[PEER_ADDRESS_HEADER] = req.socket?.remoteAddress ?? "";
    }
    return emit.apply(this, [event, ...args] as Parameters<typeof emit>);
  } as typeof emit;
}
