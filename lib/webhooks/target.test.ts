import { describe, expect, it } from "vitest";
import { allowedAddresses, refusedBecause, resolveWebhookTarget, type TargetPolicy } from "./target";

describe("refusedBecause", () => {
  it.each([
    ["127.0.0.1", "loopback"],
    ["127.255.0.9", "loopback"],
    ["0.0.0.0", "this network"],
    ["10.1.2.3", "private"],
    ["172.16.0.1", "private"],
    ["172.31.255.255", "private"],
    ["192.168.0.10", "private"],
    ["100.64.0.1", "shared (carrier-grade NAT)"],
    ["169.254.169.254", "link-local (cloud metadata)"],
    ["224.0.0.1", "multicast"],
    ["255.255.255.255", "reserved"],
    ["::1", "loopback"],
    ["::", "unspecified"],
    ["fd00::1", "unique-local"],
    ["fc12:3456::9", "unique-local"],
    ["fe80::1", "link-local"],
    ["ff02::1", "multicast"],
    ["::ffff:127.0.0.1", "loopback (inside an IPv6 address)"],
    ["::ffff:7f00:1", "loopback (inside an IPv6 address)"],
    ["::ffff:169.254.169.254", "link-local (cloud metadata) (inside an IPv6 address)"],
    ["::ffff:a00:1", "private (inside an IPv6 address)"],
    ["64:ff9b::a9fe:a9fe", "link-local (cloud metadata) (inside an IPv6 address)"],
    ["2002:c0a8:0101::1", "private (inside an IPv6 address)"],
    ["::127.0.0.1", "IPv4-compatible"],
  ])("refuses %s (%s)", (address, why) => {
    expect(refusedBecause(address)).toBe(why);
  });

  it.each(["8.8.8.8", "1.1.1.1", "93.184.215.14", "172.32.0.1", "2606:4700:4700::1111", "::ffff:8.8.8.8", "2a00:1450:4001::200e"])(
    "lets %s through",
    (address) => {
      expect(refusedBecause(address)).toBeNull();
    },
  );
});

describe("resolveWebhookTarget", () => {
  const noLookup: TargetPolicy["lookup"] = async (host) => {
    throw new Error(`no name should be looked up here, got ${host}`);
  };
  const policy = (allowed = "", lookup = noLookup): TargetPolicy => ({ allowed: allowedAddresses(allowed), lookup });

  it.each([
    "http://127.0.0.1:9/hook",
    "http://2130706433/",
    "http://0x7f.1/",
    "http://0/",
    "http://[::1]/",
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:a9fe:a9fe]/latest/meta-data",
    "http://169.254.169.254/latest/meta-data/iam",
    "https://10.0.0.5/",
    "http://[fd12::1]:8080/",
    "http://[fe80::1]/",
  ])("refuses %s without looking anything up", async (url) => {
    await expect(resolveWebhookTarget(url, policy())).rejects.toMatchObject({
      code: "VALIDATION_ERROR",
      message: expect.stringMatching(/must reach a public address/),
    });
  });

  it("refuses a name when any of its addresses is refused, and one that does not resolve", async () => {
    const lookup = async (host: string) =>
      host === "mixed.test"
        ? [
            { address: "93.184.215.14", family: 4 },
            { address: "10.0.0.7", family: 4 },
          ]
        : [];
    await expect(resolveWebhookTarget("https://mixed.test/h", policy("", lookup))).rejects.toMatchObject({
      message: expect.stringMatching(/mixed\.test resolves to 10\.0\.0\.7, which is private/),
    });
    await expect(resolveWebhookTarget("https://nowhere.test/h", policy("", lookup))).rejects.toMatchObject({
      message: expect.stringMatching(/does not resolve/),
    });
    const failing = async () => {
      throw Object.assign(new Error("getaddrinfo ENOTFOUND"), { code: "ENOTFOUND" });
    };
    await expect(resolveWebhookTarget("https://gone.test/h", policy("", failing))).rejects.toMatchObject({
      message: "The webhook host gone.test does not resolve",
    });
  });

  it("lets allow-listed addresses and ranges through, and answers the address to connect to", async () => {
    expect(await resolveWebhookTarget("http://127.0.0.1:9/h", policy("127.0.0.1"))).toMatchObject({ address: "127.0.0.1", family: 4 });
    expect(await resolveWebhookTarget("http://10.2.3.4/h", policy("10.2.0.0/16"))).toMatchObject({ address: "10.2.3.4" });
    await expect(resolveWebhookTarget("http://10.3.0.1/h", policy("10.2.0.0/16"))).rejects.toMatchObject({ code: "VALIDATION_ERROR" });
    const lookup = async () => [{ address: "93.184.215.14", family: 4 }];
    expect(await resolveWebhookTarget("https://hooks.example.com/h", policy("", lookup))).toMatchObject({ address: "93.184.215.14", family: 4 });
    // Nonsense in the allow-list is ignored, never a wildcard.
    await expect(resolveWebhookTarget("http://127.0.0.1/h", policy("*, 127.0.0.1/99, localhost"))).rejects.toMatchObject({ code: "VALIDATION_ERROR" });
  });
});
