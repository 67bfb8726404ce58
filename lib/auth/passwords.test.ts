import { describe, expect, it } from "vitest";
import { randomBytes, scrypt } from "node:crypto";
import { hashPassword, needsRehash, verifyPassword } from "./passwords";

// OWASP's cost is a few hundred ms a hash on an idle core, seconds on a busy one.
describe("password hashing (scrypt)", { timeout: 60_000 }, () => {
  it("hashes in the scrypt$N$r$p$salt$hash format with a fresh salt each time", async () => {
    const a = await hashPassword("correct horse battery");
    const b = await hashPassword("correct horse battery");
    expect(a).toMatch(/^scrypt\$131072\$8\$1\$[A-Za-z0-9_-]+\$[A-Za-z0-9_-]+$/);
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
    expect(await verifyPassword("correct horse battery", h.replace("$131072$", "$65536$"))).toBe(false);
    for (const bad of ["", "plain", "bcrypt$x", h.replace("$131072$", "$1e9$"), h.replace("$131072$", "$3000$"), `${h}$extra`, h.replace("scrypt", "SCRYPT")]) {
      expect(await verifyPassword("correct horse battery", bad)).toBe(false);
    }
  });
});

describe("rehash on sign-in", { timeout: 60_000 }, () => {
  it("asks for a new hash when the stored one has weaker parameters than OWASP's minimum (N=2^17, r=8, p=1)", async () => {
    const current = await hashPassword("correct horse battery");
    expect(needsRehash(current)).toBe(false);
    // What the console stored before: N=2^14.
    const old = await new Promise<string>((resolve, reject) => {
      const salt = randomBytes(16);
      scrypt("correct horse battery".normalize("NFKC"), salt, 64, { N: 16384, r: 8, p: 1 }, (err, key) =>
        err ? reject(err) : resolve(["scrypt", 16384, 8, 1, salt.toString("base64url"), key.toString("base64url")].join("$")),
      );
    });
    expect(await verifyPassword("correct horse battery", old)).toBe(true);
    expect(needsRehash(old)).toBe(true);
    expect(needsRehash(current.replace("$8$1$", "$4$1$"))).toBe(true);
    expect(needsRehash("not a hash")).toBe(true);
  });
});
