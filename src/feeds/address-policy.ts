/**
 * Which addresses a feed fetch may connect to (poll.allowPrivateAddresses): public unicast
 * always, loopback, private and link-local ranges only when allowed. Pure, and light to
 * import: the config schema validates with it.
 */
import ipaddr from 'ipaddr.js';

/** true: any address; false: public unicast only; a list: public plus these addresses or CIDR ranges. */
export type AddressPolicy = boolean | readonly string[];

/** Why `address` (what `host` resolved to) may not be connected to, or null when it may. */
export function describeRefusal(host: string, address: string, policy: AddressPolicy): string | null {
  if (policy === true) return null;
  const parsed = toIPv4IfMapped(ipaddr.parse(address));
  const range = rangeOf(parsed);
  if (range === 'unicast') return null;
  if (policy !== false && policy.some((allowed) => matches(parsed, allowed))) return null;
  return `refused ${host}: it resolves to ${address}, a ${range} address (list it in poll.allowPrivateAddresses to allow)`;
}

function toIPv4IfMapped(address: ipaddr.IPv4 | ipaddr.IPv6): ipaddr.IPv4 | ipaddr.IPv6 {
  return address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress() ? (address as ipaddr.IPv6).toIPv4Address() : address;
}

function rangeOf(address: ipaddr.IPv4 | ipaddr.IPv6): string {
  const range = address.range();
  // Deprecated IPv4-compatible form (::a.b.c.d, RFC 4291 §2.5.5.1): no public feed lives there.
  if (address.kind() === 'ipv6' && range === 'unicast' && (address as ipaddr.IPv6).parts.slice(0, 6).every((part) => part === 0)) return 'reserved';
  return range;
}

/** Does an address fall in an allowed entry, a plain address ("127.0.0.1") or a CIDR range ("10.0.0.0/8")? */
function matches(address: ipaddr.IPv4 | ipaddr.IPv6, allowed: string): boolean {
  const [range, bits] = allowed.includes('/') ? ipaddr.parseCIDR(allowed) : [ipaddr.parse(allowed), allowed.includes(':') ? 128 : 32];
  const normal = toIPv4IfMapped(range);
  return normal.kind() === address.kind() && address.match(normal, normal.kind() === range.kind() ? bits : bits - 96);
}

/** Is `value` an address or CIDR range this module understands? For config validation. */
export function isAddressOrRange(value: string): boolean {
  return value.includes('/') ? ipaddr.isValidCIDR(value) : ipaddr.isValid(value);
}
