/**
 * Server-side request forgery guard: a feed URL from config (or a redirect, or a page's
 * <link>) must not make columnwire fetch from the machine itself or its private network.
 * Checked on every hop, on the addresses DNS returns rather than the host name alone.
 */
import { lookup } from 'node:dns/promises';
import ipaddr from 'ipaddr.js';

/** Why a URL may not be fetched, or null when it may. */
export async function checkFetchTarget(url: URL, allowPrivateAddresses: boolean): Promise<string | null> {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return `refused ${url.protocol} URL: only http and https feeds are fetched`;
  }
  if (allowPrivateAddresses) return null;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  let addresses: string[];
  if (ipaddr.isValid(host)) addresses = [host];
  else {
    try {
      addresses = (await lookup(host, { all: true, verbatim: true })).map((entry) => entry.address);
    } catch (cause) {
      const code = (cause as NodeJS.ErrnoException).code;
      return `cannot resolve host ${host}${code ? ` (${code})` : ''}`;
    }
  }
  for (const address of addresses) {
    const range = addressRange(address);
    if (range !== 'unicast') {
      return `refused ${host}: it resolves to ${address}, a ${range} address (set poll.allowPrivateAddresses: true to allow)`;
    }
  }
  return null;
}

function addressRange(address: string): string {
  const parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv4') return parsed.range();
  const ipv6 = parsed as ipaddr.IPv6;
  if (ipv6.isIPv4MappedAddress()) return ipv6.toIPv4Address().range();
  // Deprecated IPv4-compatible form (::a.b.c.d, RFC 4291 §2.5.5.1): no public feed lives there.
  const range = ipv6.range();
  return range === 'unicast' && ipv6.parts.slice(0, 6).every((part) => part === 0) ? 'reserved' : range;
}
