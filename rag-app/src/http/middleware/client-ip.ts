import { BlockList, isIP } from 'node:net';

/**
 * The client's address, for the per-IP rate limit and the logs. `X-Forwarded-For` is believed only
 * when the socket peer is a configured trusted proxy (TRUSTED_PROXIES); then the client is the
 * right-most address in the chain that is not itself a trusted proxy. Anything a client can write
 * (the left part of the header) is never taken over what a trusted hop appended.
 */

export interface TrustedProxy {
  address: string;
  /** Prefix length; 32 (IPv4) or 128 (IPv6) for a single address. */
  prefix: number;
  family: 'ipv4' | 'ipv6';
}

export type ProxyListResult = { ok: true; proxies: TrustedProxy[] } | { ok: false; error: string };

/** `::ffff:203.0.113.7` (an IPv4 client on a dual-stack socket) is 203.0.113.7. */
export function normalizeIp(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  return mapped ? mapped[1]! : ip;
}

/** Parses a comma-separated list of IPs and CIDR ranges (`10.0.0.1, 10.0.0.0/8, ::1, fd00::/8`). */
export function parseTrustedProxies(value: string): ProxyListResult {
  const proxies: TrustedProxy[] = [];
  for (const raw of value.split(',')) {
    const entry = raw.trim();
    if (!entry) continue;
    const [addr = '', prefixText, extra] = entry.split('/');
    const address = normalizeIp(addr);
    const version = isIP(address);
    const max = version === 6 ? 128 : 32;
    const prefix = prefixText === undefined ? max : Number(prefixText);
    if (version === 0 || extra !== undefined || !/^\d{1,3}$/.test(prefixText ?? '0') || prefix > max) {
      return {
        ok: false,
        error: `"${entry.slice(0, 60)}" is not an IP address or CIDR range (e.g. 127.0.0.1, 10.0.0.0/8, ::1, fd00::/8)`,
      };
    }
    proxies.push({ address, prefix, family: version === 6 ? 'ipv6' : 'ipv4' });
  }
  return { ok: true, proxies };
}

/** A predicate: is this address one of the trusted proxies? */
export function proxyMatcher(proxies: readonly TrustedProxy[]): (ip: string) => boolean {
  if (proxies.length === 0) return () => false;
  const list = new BlockList();
  for (const p of proxies) list.addSubnet(p.address, p.prefix, p.family);
  return (ip) => {
    const address = normalizeIp(ip);
    const version = isIP(address);
    return version !== 0 && list.check(address, version === 6 ? 'ipv6' : 'ipv4');
  };
}

/** One X-Forwarded-For entry without a port (`1.2.3.4:80`, `[::1]:80`). */
function hopAddress(hop: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(hop);
  if (bracketed) return normalizeIp(bracketed[1]!);
  const v4WithPort = /^(\d+\.\d+\.\d+\.\d+):\d+$/.exec(hop);
  return normalizeIp(v4WithPort ? v4WithPort[1]! : hop);
}

export function clientAddress(
  peer: string,
  forwardedFor: string | undefined,
  trusted: (ip: string) => boolean,
): string {
  let client = normalizeIp(peer);
  if (!forwardedFor || !trusted(client)) return client;
  const hops = forwardedFor
    .split(',')
    .map((h) => h.trim())
    .filter((h) => h.length > 0);
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hopAddress(hops[i]!);
    // Not an address: nothing left of it can be believed; the last trusted hop is the client we know.
    if (isIP(hop) === 0) break;
    client = hop;
    if (!trusted(hop)) break;
  }
  return client;
}
