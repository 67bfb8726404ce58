import { describe, expect, it } from "vitest";
import { AuditQuery, CreateUserBody, IdParams, UpdateUserBody } from "./schemas";

describe("IdParams", () => {
  it("takes positive int4 digit strings only", () => {
    expect(IdParams.parse({ id: "7" })).toEqual({ id: 7 });
    expect(IdParams.parse({ id: "2147483647" })).toEqual({ id: 2147483647 });
    for (const bad of ["0", "-1", "1e3", " 7 ", "07", "2147483648", "abc", ""]) expect(IdParams.safeParse({ id: bad }).success).toBe(false);
  });
});

describe("user bodies", () => {
  it("lower-cases the e-mail and refuses unknown fields, bad e-mails and short passwords", () => {
    expect(CreateUserBody.parse({ email: " Ana@Example.COM ", role: "reviewer", password: "x".repeat(12) }).email).toBe("ana@example.com");
    expect(CreateUserBody.safeParse({ email: "ana@example.com", role: "reviewer", password: "x".repeat(12), admin: true }).success).toBe(false);
    expect(CreateUserBody.safeParse({ email: "not-an-email", role: "reviewer", password: "x".repeat(12) }).success).toBe(false);
    expect(CreateUserBody.safeParse({ email: "ana@example.com", role: "reviewer", password: "x".repeat(11) }).success).toBe(false);
    expect(CreateUserBody.safeParse({ email: "ana@example.com", role: "owner", password: "x".repeat(12) }).success).toBe(false);
  });
  it("needs at least one field to update", () => {
    expect(UpdateUserBody.safeParse({}).success).toBe(false);
    expect(UpdateUserBody.parse({ disabled: true })).toEqual({ disabled: true });
  });
});

describe("AuditQuery", () => {
  it("defaults, caps the limit and checks times", () => {
    expect(AuditQuery.parse({})).toMatchObject({ page: 1, limit: 50, format: "json" });
    expect(AuditQuery.parse({ limit: "200", page: "3" })).toMatchObject({ page: 3, limit: 200 });
    expect(AuditQuery.safeParse({ limit: "201" }).success).toBe(false);
    expect(AuditQuery.safeParse({ page: "0" }).success).toBe(false);
    expect(AuditQuery.safeParse({ page: "1.5" }).success).toBe(false);
    expect(AuditQuery.parse({ from: "2026-01-01", to: "2026-01-02T00:00:00Z" })).toMatchObject({ from: "2026-01-01" });
    expect(AuditQuery.safeParse({ from: "yesterday" }).success).toBe(false);
    expect(AuditQuery.safeParse({ from: "2026-02-01", to: "2026-01-01" }).success).toBe(false);
    expect(AuditQuery.safeParse({ outcome: "maybe" }).success).toBe(false);
    expect(AuditQuery.safeParse({ sort: "asc" }).success).toBe(false);
  });
});
