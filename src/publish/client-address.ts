/**
 * The address a request comes from, as the rate limits count it: the connection's own, or,
 * when that is a reverse proxy named in server.trustedProxies, the client the proxy says it
 * forwards for. Behind a proxy every connection is the proxy's, and the sign-up limit (5, then
 * one a minute) would be the whole site's. Pure.
 *
 * Only X-Forwarded-For is read, from its right end: each proxy appends the address it received
 * the request from, so the rightmost entry not itself a trusted proxy is the one no client could
 * have forged (entries to its left are whatever the client sent). The admin pages never use
 * this (admin-access.ts): they judge the connection alone.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { inRanges, isIpAddress } from '../support/ip-ranges.ts';

/** The client's address for `remoteAddress` (the socket's) and `headers`; '' when the socket's is unknown. */
export function clientAddress(remoteAddress: string | undefined, headers: IncomingHttpHeaders, trustedProxies: readonly string[]): string {
  const socket = remoteAddress ?? '';
  if (trustedProxies.length === 0 || !inRanges(socket, trustedProxies)) return socket;
  const header = headers['x-forwarded-for'];
  if (header === undefined) return socket;
  // Several headers are one list (RFC 9110 §5.3).
  const hops = (Array.isArray(header) ? header.join(',') : header).split(',').map(readHop);
  let client = socket;
  for (let index = hops.length - 1; index >= 0; index--) {
    const hop = hops[index]!;
    if (hop === null) return client; // not an address: a client wrote it, not a proxy
    client = hop;
    if (!inRanges(hop, trustedProxies)) return hop;
  }
  return client;
}

/** One X-Forwarded-For entry as an address (`[::1]:8080` and `1.2.3.4:5678` as proxies write them too), or null. */
function readHop(entry: string): string | null {
  let hop = entry.trim();
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(hop);
  if (bracketed) hop = bracketed[1]!;
  else if (/^[\d.]+:\d+$/.test(hop)) hop = hop.slice(0, hop.lastIndexOf(':'));
  return isIpAddress(hop) ? hop : null;
}
