import http from "node:http";
import type { AddressInfo } from "node:net";

/** A webhook receiver on 127.0.0.1 for tests: records every request and answers `status()`. */
export interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
  at: number;
}

export async function startReceiver(opts: { status?: () => number; delayMs?: number; reply?: string } = {}) {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString("utf8"), at: Date.now() });
      setTimeout(() => {
        res.writeHead(opts.status?.() ?? 200, { "content-type": "text/plain" });
        res.end(opts.reply ?? "ok");
      }, opts.delayMs ?? 0);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
