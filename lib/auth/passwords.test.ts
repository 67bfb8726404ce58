import { describe, expect, it } from "vitest";
import { hashPassword, verifyPassword } from "./passwords";

describe("password hashing (scrypt)", () => {
  it("hashes in the scrypt$N$r$p$salt$hash format with a fresh salt each time", async () => {
    const a = await hashPassword("correct horse battery");
    const b = await hashPassword("correct horse battery");
    expect(a).toMatch(/^scrypt\$16384\$8\$1\$[A-Za-z0-9_-]+\$[A-Za-z0-9_-]+$/);
    expect(a).not.toBe(b);
  });

  it("verifies the right password and refuses a wrong one", async () => {
    const h = await hashPassword("correct horse battery");
    expect(await verifyPassword("correct horse battery", h)).toBe(true);
    expect(await verifyPassword("correct horse batterY", h)).toBe(false);
    expect(await verifyPassword("", h)).toBe(false);
  });

  it("refuses tampered and malformed hashes without throwing", async () => {
    const h = await hashPassword("correct horse battery");
    const parts = h.split("$");
    const flip = (s: string) => (s[0] === "A" ? "B" : "A") + s.slice(1);
    expect(await verifyPassword("correct horse battery", [...parts.slice(0, 5), flip(parts[5])].join("$"))).toBe(false);
    expect(await verifyPassword("correct horse battery", [...parts.slice(0, 4), flip(parts[4]), parts[5]].join("$"))).toBe(false);
    expect(await verifyPassword("correct horse battery", h.replace("$16384$", "$8192$"))).toBe(false);
    for (const bad of ["", "plain", "bcrypt$x", h.replace("$16384$", "$1e9$"), h.replace("$16384$", "$3000$"), `${h}$extra`, h.replace("scrypt", "SCRYPT")]) {
      expect(await verifyPassword("correct horse battery", bad)).toBe(false);
    }
  });
});
