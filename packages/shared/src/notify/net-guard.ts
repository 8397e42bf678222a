import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';

/**
 * Outbound requests to user-supplied URLs (webhooks) must not reach the platform's own network:
 * loopback, private and link-local ranges (cloud metadata lives at 169.254.169.254), and every
 * IPv6 form that embeds such an IPv4 address.
 */

type Range = [network: string, prefix: number, reason: string];

const ipv4Ranges: Range[] = [
  ['0.0.0.0', 8, 'unspecified'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'shared (CGNAT)'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'reserved'],
  ['192.0.2.0', 24, 'documentation'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'reserved'],
  ['198.51.100.0', 24, 'documentation'],
  ['203.0.113.0', 24, 'documentation'],
  ['224.0.0.0', 4, 'multicast'],
  ['255.255.255.255', 32, 'broadcast'],
  ['240.0.0.0', 4, 'reserved'],
];

/** Checked after the IPv4-embedding forms, which are judged by the IPv4 address they carry. */
const ipv6Ranges: Range[] = [
  ['64:ff9b:1::', 48, 'private'],
  ['100::', 64, 'reserved'],
  ['2001::', 32, 'reserved'], // Teredo tunnels hide the real address
  ['2001:db8::', 32, 'documentation'],
  ['fc00::', 7, 'private'],
  ['fe80::', 10, 'link-local'],
  ['fec0::', 10, 'private'],
  ['ff00::', 8, 'multicast'],
];

function compile(ranges: Range[], family: 'ipv4' | 'ipv6'): [BlockList, string][] {
  return ranges.map(([network, prefix, reason]) => {
    const list = new BlockList();
    list.addSubnet(network, prefix, family);
    return [list, reason];
  });
}

const ipv4Rules = compile(ipv4Ranges, 'ipv4');
const ipv6Rules = compile(ipv6Ranges, 'ipv6');
/** Only global unicast (2000::/3) is routable on the internet; the rest of IPv6 is refused. */
const globalUnicast = new BlockList();
globalUnicast.addSubnet('2000::', 3, 'ipv6');

/** Why an address must not be contacted, or null for a public address. Anything that is not an IP address is refused. */
export function blockedReason(address: string): string | null {
  const ip = address.replace(/^\[(.*)\]$/, '$1').replace(/%.*$/, '');
  switch (isIP(ip)) {
    case 4:
      return ipv4Rules.find(([list]) => list.check(ip, 'ipv4'))?.[1] ?? null;
    case 6:
      return ipv6BlockedReason(ip);
    default:
      return 'not an IP address';
  }
}

function ipv6BlockedReason(ip: string): string | null {
  const words = ipv6Words(ip);
  if (words.slice(0, 7).every((word) => word === 0)) {
    if (words[7] === 1) return 'loopback';
    if (words[7] === 0) return 'unspecified';
  }
  const embedded = embeddedIpv4(words);
  if (embedded) {
    const reason = blockedReason(embedded);
    return reason && `${reason} (embeds ${embedded})`;
  }
  const rule = ipv6Rules.find(([list]) => list.check(ip, 'ipv6'));
  if (rule) return rule[1];
  return globalUnicast.check(ip, 'ipv6') ? null : 'reserved';
}

/** The IPv4 address an IPv6 address stands for, in the forms a connection would reach it through. */
function embeddedIpv4(words: number[]): string | null {
  const [w0, w1, w2, w3, w4, w5, w6, w7] = words as [number, number, number, number, number, number, number, number];
  const zeroHead = w0 === 0 && w1 === 0 && w2 === 0 && w3 === 0;
  if (zeroHead && w4 === 0 && (w5 === 0xffff || w5 === 0)) return ipv4Of(w6, w7); // mapped ::ffff:a.b.c.d, compatible ::a.b.c.d
  if (zeroHead && w4 === 0xffff && w5 === 0) return ipv4Of(w6, w7); // translated ::ffff:0:a.b.c.d
  if (w0 === 0x64 && w1 === 0xff9b && w2 === 0 && w3 === 0 && w4 === 0 && w5 === 0) return ipv4Of(w6, w7); // NAT64 64:ff9b::a.b.c.d
  if (w0 === 0x2002) return ipv4Of(w1, w2); // 6to4 2002:aabb:ccdd::
  return null;
}

/** The eight 16-bit words of a valid IPv6 address, with "::" expanded and a dotted IPv4 tail converted. */
function ipv6Words(ip: string): number[] {
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(ip);
  const word = (high?: string, low?: string) => ((Number(high) << 8) | Number(low)).toString(16);
  const hex = dotted ? `${ip.slice(0, dotted.index)}${word(dotted[1], dotted[2])}:${word(dotted[3], dotted[4])}` : ip;
  const parse = (part: string) => (part ? part.split(':').map((group) => parseInt(group, 16)) : []);
  const [head = '', tail] = hex.split('::');
  if (tail === undefined) return parse(head);
  const start = parse(head);
  const end = parse(tail);
  return [...start, ...new Array<number>(8 - start.length - end.length).fill(0), ...end];
}

function ipv4Of(high: number, low: number): string {
  return [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.');
}

export class BlockedAddressError extends Error {
  override name = 'BlockedAddressError';
  readonly code = 'ERR_ADDRESS_BLOCKED';

  constructor(
    readonly host: string,
    readonly address: string,
    readonly reason: string,
  ) {
    super(host === address ? `${address} is a ${reason} address` : `${host} resolves to ${address}, a ${reason} address`);
  }
}

/**
 * Host names and addresses exempt from the block (WEBHOOK_ALLOW_HOSTS): for local development
 * and tests. A listed address is allowed whichever name leads to it.
 */
export class HostAllowList {
  private readonly names = new Set<string>();
  private readonly addresses = new BlockList();

  constructor(entries: readonly string[]) {
    for (const entry of entries) {
      const host = normalizeHost(entry);
      const family = isIP(host);
      if (family) this.addresses.addAddress(host, family === 4 ? 'ipv4' : 'ipv6');
      else if (host) this.names.add(host);
    }
  }

  allowsName(host: string): boolean {
    return this.names.has(normalizeHost(host));
  }

  allowsAddress(address: string): boolean {
    const ip = normalizeHost(address);
    const family = isIP(ip);
    return family !== 0 && this.addresses.check(ip, family === 4 ? 'ipv4' : 'ipv6');
  }
}

/** Lower-case, without IPv6 brackets or the root label's trailing dot, as URL.hostname may carry them. */
function normalizeHost(host: string): string {
  return host.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '');
}

/** Throws BlockedAddressError unless the address is public or allow-listed. */
function assertAllowedAddress(host: string, address: string, allow: HostAllowList): void {
  if (allow.allowsAddress(address)) return;
  const reason = blockedReason(address);
  if (reason) throw new BlockedAddressError(host, address, reason);
}

/** "localhost" and its subdomains are loopback by definition (RFC 6761), whatever a resolver says. */
function assertNotLocalhost(host: string): void {
  if (host === 'localhost' || host.endsWith('.localhost')) throw new BlockedAddressError(host, host, 'loopback');
}

export type Resolve = (hostname: string) => Promise<LookupAddress[]>;

/** The system resolver (getaddrinfo, so /etc/hosts counts), all addresses. */
const systemResolve: Resolve = (hostname) =>
  new Promise((resolve, reject) => {
    dnsLookup(hostname, { all: true }, (error, addresses) => (error ? reject(error) : resolve(addresses)));
  });

/**
 * Checks a URL's host before any request: IP literals in every spelling (URL parsing already turned
 * 2130706433, 0x7f000001 and 127.1 into 127.0.0.1), localhost names, then every address the name
 * resolves to. Resolution errors propagate, so callers decide whether an unknown name is acceptable.
 */
export async function assertPublicHost(hostname: string, allow: HostAllowList, resolve: Resolve = systemResolve): Promise<void> {
  const host = normalizeHost(hostname);
  if (isIP(host)) return assertAllowedAddress(host, host, allow);
  if (allow.allowsName(host)) return;
  assertNotLocalhost(host);
  for (const { address } of await resolve(host)) assertAllowedAddress(host, address, allow);
}

/**
 * Keeps one outgoing connection to `hostname` off blocked addresses. Node connects to an IP
 * literal without calling `lookup`, so a blocked literal throws BlockedAddressError here; for a
 * name, the returned `lookup` (for net/http/https options) checks every address it resolves to
 * right before connecting, so a name that changes its answer after an earlier check (DNS
 * rebinding) still cannot reach a blocked address.
 */
export function connectionGuard(hostname: string, allow: HostAllowList, resolve: Resolve = systemResolve): LookupFunction {
  const literal = normalizeHost(hostname);
  if (isIP(literal)) assertAllowedAddress(literal, literal, allow);
  return (name, options, callback) => {
    const host = normalizeHost(name);
    const family = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : options.family;
    resolve(host)
      .then((found) => {
        if (!allow.allowsName(host)) {
          assertNotLocalhost(host);
          for (const { address } of found) assertAllowedAddress(host, address, allow);
        }
        const addresses = family === 4 || family === 6 ? found.filter((entry) => entry.family === family) : found;
        const first = addresses[0];
        if (!first) throw Object.assign(new Error(`${host} has no IPv${family} address`), { code: 'ENOTFOUND' });
        if (options.all) callback(null, addresses);
        else callback(null, first.address, first.family);
      })
      .catch((error: NodeJS.ErrnoException) => callback(error, ''));
  };
}
