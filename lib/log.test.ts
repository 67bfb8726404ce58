import { describe, expect, it } from "vitest";
import { createLogger, formatPretty, redactSecrets, REDACTED, wantsPrettyLogs } from "./log";

describe("lib/log", () => {
  it("redacts credential-named keys at any depth, arrays included", () => {
    const out = redactSecrets({
      actor: "token:ci",
      authorization: "Bearer abc",
      headers: { Cookie: "s=1", "x-request-id": "r" },
      body: { password: "p", nested: [{ apiKey: "k", secret: "s", ok: 1 }] },
      tokenName: "ci",
      newToken: "pc_123",
    }) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(out).toEqual({
      actor: "token:ci",
      authorization: REDACTED,
      headers: { Cookie: REDACTED, "x-request-id": "r" },
      body: { password: REDACTED, nested: [{ apiKey: REDACTED, secret: REDACTED, ok: 1 }] },
      tokenName: "ci",
      newToken: REDACTED,
    });
  });

  it("writes JSON lines with the fields and without the secrets", () => {
    const lines: string[] = [];
    const log = createLogger({ destination: { write: (s: string) => void lines.push(s) }, level: "info", env: { NODE_ENV: "production" } });
    log.info({ requestId: "r1", route: "/api/x", status: 200, durationMs: 3, password: "hunter2hunter2", user: { token: "pc_secret" } }, "request");
    const o = JSON.parse(lines[0]);
    expect(o).toMatchObject({ level: 30, msg: "request", requestId: "r1", route: "/api/x", status: 200, password: REDACTED, user: { token: REDACTED } });
    expect(lines.join("")).not.toMatch(/hunter2|pc_secret/);
  });

  it("is human-readable in development only (not production, not CI)", () => {
    expect(wantsPrettyLogs({ NODE_ENV: "development" })).toBe(true);
    expect(wantsPrettyLogs({ NODE_ENV: "production" })).toBe(false);
    expect(wantsPrettyLogs({ NODE_ENV: "development", CI: "true" })).toBe(false);
    expect(
      formatPretty(
        JSON.stringify({
          level: 30,
          time: Date.UTC(2026, 0, 1, 12, 0, 1),
          msg: "request",
          pid: 1,
          hostname: "h",
          route: "/api/x",
          status: 200,
          note: "two words",
        }),
      ),
    ).toBe('12:00:01 INFO  request route=/api/x status=200 note="two words"\n');
  });
});
