import { describe, expect, it } from "vitest";
import { auditCsvRow } from "./audit-query";
import { csvCell } from "./csv";

describe("audit CSV", () => {
  it("quotes per RFC 4180", () => {
    expect(csvCell("plain")).toBe("plain");
    expect(csvCell('say "hi", then go')).toBe('"say ""hi"", then go"');
    expect(csvCell("two\nlines")).toBe('"two\nlines"');
    expect(csvCell(null)).toBe("");
    expect(csvCell(42)).toBe("42");
    expect(csvCell({ a: "b,c" })).toBe('"{""a"":""b,c""}"');
  });

  it("neutralises spreadsheet formulas", () => {
    expect(csvCell('=HYPERLINK("http://x")')).toBe('"\'=HYPERLINK(""http://x"")"');
    expect(csvCell("+1")).toBe("'+1");
    expect(csvCell("-2+3")).toBe("'-2+3");
    expect(csvCell("-1.00")).toBe("-1.00");
    expect(csvCell("-1e3")).toBe("'-1e3");
    expect(csvCell("@SUM(A1)")).toBe("'@SUM(A1)");
    expect(csvCell("\t=1")).toBe("'\t=1");
    expect(csvCell("a=b")).toBe("a=b");
  });

  it("writes one CRLF-terminated row in column order", () => {
    const row = auditCsvRow({
      id: 7,
      at: "2026-01-02T03:04:05.000Z",
      actor: "=cmd",
      actorKind: "user",
      action: "user.create",
      target: "user:3",
      outcome: "ok",
      status: 201,
      requestId: null,
      details: { email: "a@b.c" },
    });
    expect(row).toBe('7,2026-01-02T03:04:05.000Z,\'=cmd,user,user.create,user:3,ok,201,,"{""email"":""a@b.c""}"\r\n');
  });
});
