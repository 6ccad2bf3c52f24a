import ipaddr from 'ipaddr.js';

/**
 * Where a request comes from, as rate limits count it. Held in memory for one request only: the
 * counters store a keyed hash of it (core/rate-limit.ts), never the text.
 */
export type ClientSource = {
  /**
   * One client: an IPv4 address, or the /64 of an IPv6 address. A /64 is what one household, phone
   * or server is given, and every address inside it is free to its holder: counting addresses one
   * by one would hand each client 2^64 budgets.
   */
  readonly address: string;
  /**
   * The network around it (IPv4 /24, IPv6 /48: one organisation or provider block), for the fair
   * share of a budget all clients draw from together, so one block cannot exhaust it for everyone.
   */
  readonly network: string;
};

const UNKNOWN: ClientSource = Object.freeze({ address: 'unknown', network: 'unknown' });

function v6Prefix(address: ipaddr.IPv6, bits: number): string {
  const cidr = `${address.toNormalizedString()}/${bits}`;
  return `ipv6:${ipaddr.IPv6.networkAddressFromCIDR(cidr).toRFC5952String()}/${bits}`;
}

/**
 * The source of an address as Express reports it (req.ip). IPv4-mapped IPv6 (::ffff:a.b.c.d, what
 * a dual-stack socket reports for IPv4 clients) counts as the IPv4 address it carries; a zone
 * index (fe80::1%eth0) is dropped. Anything unparsable shares one 'unknown' source.
 */
export function clientSourceOf(ip: string | undefined): ClientSource {
  const text = ip?.split('%')[0];
  if (!text || !ipaddr.isValid(text)) return UNKNOWN;
  const parsed = ipaddr.process(text);
  if (parsed.kind() === 'ipv4') {
    const octets = (parsed as ipaddr.IPv4).octets;
    return { address: `ipv4:${octets.join('.')}`, network: `ipv4:${octets.slice(0, 3).join('.')}.0/24` };
  }
  const v6 = parsed as ipaddr.IPv6;
  return { address: v6Prefix(v6, 64), network: v6Prefix(v6, 48) };
}
