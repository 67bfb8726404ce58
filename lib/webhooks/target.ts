/**
 * Where a webhook may be sent (server-side request forgery). A receiver must be a public address:
 * loopback, private, link-local (the cloud metadata service 169.254.169.254 included),
 * unique-local, multicast and reserved addresses are refused, in IPv4 and IPv6 alike, with the
 * IPv4 inside IPv4-mapped, NAT64 and 6to4 IPv6 addresses judged as IPv4. A name is resolved and
 * every address it resolves to must pass. This runs when a webhook is saved and again before each
 * delivery, and the delivery connects to the address that was checked (deliver.ts), so a name
 * whose DNS answer changes in between (rebinding) cannot swap in an internal address.
 *
 * WEBHOOK_ALLOWED_ADDRESSES (comma-separated addresses or CIDR ranges) lets chosen addresses
 * through anyway: a receiver on 127.0.0.1 in tests, or a known internal receiver.
 */
import dns from "node:dns";
import net from "node:net";
import { AppError } from "@/lib/errors";

export interface ResolvedTarget {
  url: URL;
  /** The checked address to connect to. */
  address: string;
  family: 4 | 6;
}

export type Lookup = (hostname: string) => Promise<{ address: string; family: number }[]>;

const systemLookup: Lookup = (hostname) => dns.promises.lookup(hostname, { all: true, verbatim: true });

const REFUSED_V4: [string, number, string][] = [
  ["0.0.0.0", 8, "this network"],
  ["10.0.0.0", 8, "private"],
  ["100.64.0.0", 10, "shared (carrier-grade NAT)"],
  ["127.0.0.0", 8, "loopback"],
  ["169.254.0.0", 16, "link-local (cloud metadata)"],
  ["172.16.0.0", 12, "private"],
  ["192.0.0.0", 24, "IETF protocol assignments"],
  ["192.0.2.0", 24, "documentation"],
  ["192.88.99.0", 24, "6to4 relay"],
  ["192.168.0.0", 16, "private"],
  ["198.18.0.0", 15, "benchmarking"],
  ["198.51.100.0", 24, "documentation"],
  ["203.0.113.0", 24, "documentation"],
  ["224.0.0.0", 4, "multicast"],
  ["240.0.0.0", 4, "reserved"],
];
const REFUSED_V6: [string, number, string][] = [
  ["::", 128, "unspecified"],
  ["::1", 128, "loopback"],
  ["::", 96, "IPv4-compatible"],
  ["100::", 64, "discard"],
  ["2001::", 23, "IETF protocol assignments"],
  ["2001:db8::", 32, "documentation"],
  ["fc00::", 7, "unique-local"],
  ["fe80::", 10, "link-local"],
  ["fec0::", 10, "site-local"],
  ["ff00::", 8, "multicast"],
];

function blockList(v4: [string, number, string][], v6: [string, number, string][]) {
  const lists = new Map<string, net.BlockList>();
  for (const [prefix, bits, why] of v4) (lists.get(why) ?? lists.set(why, new net.BlockList()).get(why)!).addSubnet(prefix, bits, "ipv4");
  for (const [prefix, bits, why] of v6) (lists.get(why) ?? lists.set(why, new net.BlockList()).get(why)!).addSubnet(prefix, bits, "ipv6");
  return lists;
}
const REFUSED = blockList(REFUSED_V4, REFUSED_V6);

/** The 8 groups of an IPv6 address (dotted IPv4 tail included), or null. */
function ipv6Groups(address: string): number[] | null {
  if (net.isIPv6(address) === false) return null;
  let text = address.toLowerCase().split("%")[0];
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted[1].split(".").map(Number);
    text = text.slice(0, -dotted[1].length) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split("::");
  const part = (s: string | undefined) => (s ? s.split(":").map((g) => parseInt(g, 16)) : []);
  const h = part(head);
  const t = tail === undefined ? [] : part(tail);
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill(0), ...t];
  return groups.length === 8 ? groups : null;
}

const v4FromGroups = (hi: number, lo: number) => `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;

/** The IPv4 address an IPv6 address carries and routes to (mapped ::ffff:0:0/96, NAT64 64:ff9b::/96, 6to4 2002::/16), or null. */
function embeddedIpv4(address: string): string | null {
  const g = ipv6Groups(address);
  if (!g) return null;
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) return v4FromGroups(g[6], g[7]);
  if (g[0] === 0x64 && g[1] === 0xff9b && g.slice(2, 6).every((x) => x === 0)) return v4FromGroups(g[6], g[7]);
  if (g[0] === 0x2002) return v4FromGroups(g[1], g[2]);
  return null;
}

/** Why an address may not receive webhooks ("loopback", …), or null when it may. */
export function refusedBecause(address: string): string | null {
  const family = net.isIP(address);
  if (family === 0) return "not an IP address";
  if (family === 6) {
    const v4 = embeddedIpv4(address);
    if (v4) {
      const inner = refusedBecause(v4);
      return inner ? `${inner} (inside an IPv6 address)` : null;
    }
  }
  for (const [why, list] of REFUSED) if (list.check(address, family === 4 ? "ipv4" : "ipv6")) return why;
  return null;
}

/** WEBHOOK_ALLOWED_ADDRESSES parsed: addresses and CIDR ranges let through despite refusedBecause(). */
export function allowedAddresses(value: string | undefined): net.BlockList {
  const list = new net.BlockList();
  for (const raw of (value ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [address, bits] = raw.split("/");
    const family = net.isIP(address);
    if (family === 0) continue;
    const type = family === 4 ? "ipv4" : "ipv6";
    if (bits === undefined) list.addAddress(address, type);
    else if (/^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128)) list.addSubnet(address, Number(bits), type);
  }
  return list;
}

export interface TargetPolicy {
  allowed: net.BlockList;
  lookup: Lookup;
}

export const defaultTargetPolicy = (env: Record<string, string | undefined> = process.env): TargetPolicy => ({
  allowed: allowedAddresses(env.WEBHOOK_ALLOWED_ADDRESSES),
  lookup: systemLookup,
});

function refuse(message: string): AppError {
  return new AppError("VALIDATION_ERROR", message, [{ path: "url", message, code: "custom" }]);
}

/**
 * Resolves a webhook URL and checks every address it stands for. Throws VALIDATION_ERROR naming
 * the reason (never connecting anywhere); returns the first address to connect to.
 */
export async function resolveWebhookTarget(rawUrl: string, policy: TargetPolicy = defaultTargetPolicy()): Promise<ResolvedTarget> {
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    throw refuse("The webhook URL is not a URL");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw refuse("The webhook URL must be http:// or https://");
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  let addresses: { address: string; family: number }[];
  if (net.isIP(host)) {
    addresses = [{ address: host, family: net.isIP(host) }];
  } else {
    try {
      addresses = await policy.lookup(host);
    } catch {
      throw refuse(`The webhook host ${host} does not resolve`);
    }
    if (addresses.length === 0) throw refuse(`The webhook host ${host} does not resolve`);
  }
  for (const a of addresses) {
    const why = refusedBecause(a.address);
    if (why && !policy.allowed.check(a.address, net.isIP(a.address) === 4 ? "ipv4" : "ipv6")) {
      throw refuse(`The webhook URL must reach a public address: ${host === a.address ? a.address : `${host} resolves to ${a.address}`}, which is ${why}`);
    }
  }
  return { url, address: addresses[0].address, family: net.isIP(addresses[0].address) === 6 ? 6 : 4 };
}
