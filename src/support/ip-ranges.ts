/**
 * IP addresses and CIDR ranges (the one importer of ipaddr.js): which range an address falls
 * in, and whether it is in a configured list. IPv4-mapped IPv6 addresses (::ffff:a.b.c.d, what
 * a dual-stack socket reports for an IPv4 peer) are read as the IPv4 address they carry.
 */
import ipaddr from 'ipaddr.js';

type Address = ipaddr.IPv4 | ipaddr.IPv6;

/** Is `value` an IP address literal (no brackets)? */
export function isIpAddress(value: string): boolean {
  return ipaddr.isValid(value);
}

/** Is `value` an address ("127.0.0.1", "::1") or a CIDR range ("10.0.0.0/8", "fc00::/7")? For config validation. */
export function isAddressOrRange(value: string): boolean {
  return value.includes('/') ? ipaddr.isValidCIDR(value) : ipaddr.isValid(value);
}

/** ipaddr.js's name for the range of `address`: "unicast" for public addresses, else "loopback", "private", "linkLocal"… */
export function rangeName(address: string): string {
  const parsed = normalize(ipaddr.parse(address));
  const range = parsed.range();
  // Deprecated IPv4-compatible form (::a.b.c.d, RFC 4291 §2.5.5.1): nothing public lives there.
  if (parsed.kind() === 'ipv6' && range === 'unicast' && (parsed as ipaddr.IPv6).parts.slice(0, 6).every((part) => part === 0))
    return 'reserved';
  return range;
}

/** Does `address` fall in one of `ranges` (addresses or CIDR ranges, as isAddressOrRange accepts)? False for a non-address. */
export function inRanges(address: string, ranges: readonly string[]): boolean {
  if (!ipaddr.isValid(address)) return false;
  const parsed = normalize(ipaddr.parse(address));
  return ranges.some((range) => matches(parsed, range));
}

function normalize(address: Address): Address {
  return address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress() ? (address as ipaddr.IPv6).toIPv4Address() : address;
}

function matches(address: Address, allowed: string): boolean {
  const [range, bits] = allowed.includes('/') ? ipaddr.parseCIDR(allowed) : [ipaddr.parse(allowed), allowed.includes(':') ? 128 : 32];
  const normal = normalize(range);
  // A mapped range (::ffff:10.0.0.0/104) covers the IPv4 addresses of its last 32 bits.
  return normal.kind() === address.kind() && address.match(normal, normal.kind() === range.kind() ? bits : Math.max(0, bits - 96));
}

/**
 * Whom a rate limit counts for `address`: an IPv4 address itself (a mapped one as IPv4), an
 * IPv6 address by its /64, since one host or home is handed a whole /64 (RFC 6177) and could
 * otherwise take a fresh address for every request. Anything else as it is.
 */
export function rateLimitKey(address: string): string {
  if (!ipaddr.isValid(address)) return address;
  const parsed = normalize(ipaddr.parse(address));
  if (parsed.kind() === 'ipv4') return parsed.toString();
  const parts = (parsed as ipaddr.IPv6).parts.slice(0, 4).map((part) => part.toString(16));
  return `${parts.join(':')}::/64`;
}
