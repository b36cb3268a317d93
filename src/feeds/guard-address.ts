/**
 * Server-side request forgery guard: a feed URL from config (or a redirect, or a page's
 * <link>) must not make columnwire fetch from the machine itself or its private network.
 * Checked twice: before each hop, for a clear message, and again on the very address the
 * socket connects to (the agents' DNS lookup), so a name that resolves to a public
 * address first and a private one a moment later (DNS rebinding) still cannot get through.
 */
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { isIpAddress } from '../support/ip-ranges.ts';
import { describeRefusal, type AddressPolicy } from './address-policy.ts';

export type { AddressPolicy } from './address-policy.ts';
export { describeRefusal } from './address-policy.ts';

/** The shape of dns.lookup, injectable so tests can play a rebinding resolver. */
export type LookupFunction = (
  hostname: string,
  options: LookupOptions,
  callback: (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
) => void;

/** Thrown inside the connection when the resolved address is not allowed. */
export class ForbiddenAddressError extends Error {
  override name = 'ForbiddenAddressError';
  readonly code = 'ERR_COLUMNWIRE_FORBIDDEN_ADDRESS';
}

/** Why a URL may not be fetched, or null when it may. */
export async function checkFetchTarget(url: URL, policy: AddressPolicy, lookup: LookupFunction = dnsLookup): Promise<string | null> {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return `refused ${url.protocol} URL: only http and https feeds are fetched`;
  }
  if (policy === true) return null;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  let addresses: string[];
  if (isIpAddress(host)) addresses = [host];
  else {
    try {
      addresses = await resolveAll(lookup, host);
    } catch (cause) {
      const code = (cause as NodeJS.ErrnoException).code;
      return `cannot resolve host ${host}${code ? ` (${code})` : ''}`;
    }
  }
  for (const address of addresses) {
    const refusal = describeRefusal(host, address, policy);
    if (refusal) return refusal;
  }
  return null;
}

/** The connection pools of one policy, for http: and https: URLs. */
export interface GuardedAgents {
  http: HttpAgent;
  https: HttpsAgent;
}

/**
 * How long a connection left open after a response may wait for the next request: as long as
 * undici's default, so a server that closes idle connections sooner (and does not say so in a
 * Keep-Alive header, which Node reads) is seldom caught mid-reuse.
 */
const IDLE_CONNECTION_MS = 4_000;

const agentsByPolicy = new Map<string, GuardedAgents>();

/**
 * The HTTP agents for a policy: keep-alive connection pools whose DNS lookup refuses forbidden
 * addresses at connect time. One pair per policy, so connections are pooled across feeds.
 */
export function guardedAgents(policy: AddressPolicy, lookup?: LookupFunction): GuardedAgents {
  const key = JSON.stringify(policy);
  const cached = lookup ? undefined : agentsByPolicy.get(key);
  if (cached) return cached;
  const options = { keepAlive: true, timeout: IDLE_CONNECTION_MS, lookup: guardedLookup(policy, lookup ?? dnsLookup) };
  const agents = { http: new HttpAgent(options), https: new HttpsAgent(options) };
  if (!lookup) agentsByPolicy.set(key, agents);
  return agents;
}

/** Wraps a lookup so every answer is checked before the socket may use it. */
export function guardedLookup(policy: AddressPolicy, lookup: LookupFunction): LookupFunction {
  return (hostname, options, callback) => {
    lookup(hostname, options, (error, result, family) => {
      if (error) return callback(error, result, family);
      const answers = typeof result === 'string' ? [result] : result.map((entry) => entry.address);
      for (const address of answers) {
        const refusal = describeRefusal(hostname, address, policy);
        if (refusal) return callback(new ForbiddenAddressError(refusal), result, family);
      }
      callback(null, result, family);
    });
  };
}

function resolveAll(lookup: LookupFunction, host: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    lookup(host, { all: true, verbatim: true }, (error, result) => {
      if (error) reject(error);
      else resolve(typeof result === 'string' ? [result] : result.map((entry) => entry.address));
    });
  });
}
