/**
 * One polite HTTP GET of a feed (http-get.ts): conditional request (RFC 9110 §13.1),
 * compression, a naming User-Agent, redirects followed by hand so each hop is checked and
 * permanent ones (301/308) are remembered, and time and size limits enforced while streaming.
 */
import { checkFetchTarget, guardedAgents, type AddressPolicy, type LookupFunction } from './guard-address.ts';
import { httpGet, type HttpResponse, type ResponseHeaders } from './http-get.ts';

export type { ResponseHeaders } from './http-get.ts';

export const USER_AGENT = 'columnwire/0.1 (+https://github.com/columnwire/columnwire; feed aggregator)';
const ACCEPT =
  'application/rss+xml, application/atom+xml, application/feed+json, application/rdf+xml;q=0.9, ' +
  'application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, text/html;q=0.5, */*;q=0.3';

export interface FetchRequest {
  url: string;
  etag?: string | null;
  lastModified?: string | null;
  timeoutMs: number;
  maxBytes: number;
  maxRedirects?: number;
  allowPrivateAddresses: AddressPolicy;
  /** DNS lookup for the guard and the connection; tests inject one. */
  lookup?: LookupFunction;
}

/** Response facts later steps need, whatever the outcome. */
export interface ResponseMeta {
  /** Where the last request went. */
  url: string;
  /** Where only permanent redirects led from the requested URL: the URL to fetch next time. */
  permanentUrl: string;
  status: number;
  headers: ResponseHeaders;
}

export type FetchResult =
  | ({ kind: 'ok'; body: Uint8Array; contentType: string | null } & ResponseMeta)
  | ({ kind: 'not-modified' } & ResponseMeta)
  | { kind: 'failed'; reason: string; status: number | null; headers: ResponseHeaders | null; permanentUrl: string };

/** Fetches a feed; every expected failure (network, HTTP status, limits, guard) is a `failed` value. */
export async function fetchFeed(request: FetchRequest): Promise<FetchResult> {
  const maxRedirects = request.maxRedirects ?? 5;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), request.timeoutMs);
  let url = request.url;
  let permanentUrl = request.url;
  let onlyPermanent = true;
  let movedTo: string | null = null;
  const visited = new Set([url]);
  /** The Content-Encoding of the body being read, once a 2xx response has come (undefined before). */
  let bodyEncoding: string | null | undefined;
  const agents = guardedAgents(request.allowPrivateAddresses, request.lookup);
  const failed = (reason: string, response?: HttpResponse) => ({
    kind: 'failed' as const,
    reason,
    status: response?.status ?? null,
    headers: response?.headers ?? null,
    permanentUrl,
  });
  try {
    for (let hop = 0; ; hop++) {
      const target = new URL(url);
      const refused = await checkFetchTarget(target, request.allowPrivateAddresses, request.lookup);
      if (refused) return failed(refused);
      const headers = requestHeaders(request, url === request.url || url === permanentUrl || url === movedTo);
      const response = await httpGet(withoutCredentials(target, headers), headers, agents, controller.signal);
      // A permanent move is adopted only once its target has answered: a redirect to a refused
      // address or to a server that is down must not move the feed there for good.
      if (movedTo === url) permanentUrl = url;
      const meta = { url, permanentUrl, status: response.status, headers: response.headers };
      if (isRedirect(response.status)) {
        response.discard();
        const location = response.headers.get('location');
        if (!location) return failed(`HTTP ${response.status} redirect without a Location header`, response);
        if (hop >= maxRedirects) return failed(`too many redirects (more than ${maxRedirects}), last to ${location}`, response);
        const next: string = new URL(location, url).href;
        if (visited.has(next)) return failed(`redirect loop: ${url} redirects back to ${next}`, response);
        visited.add(next);
        onlyPermanent &&= response.status === 301 || response.status === 308;
        if (onlyPermanent) movedTo = next;
        url = next;
        continue;
      }
      if (response.status === 304) {
        response.discard();
        return { kind: 'not-modified', ...meta };
      }
      if (response.status < 200 || response.status > 299) {
        response.discard();
        return failed(describeStatus(response), response);
      }
      bodyEncoding = response.headers.get('content-encoding');
      const body = await readLimited(response, request.maxBytes);
      if (typeof body === 'string') return failed(body, response);
      return { kind: 'ok', ...meta, body, contentType: response.headers.get('content-type') };
    }
  } catch (cause) {
    if (controller.signal.aborted) return failed(`timed out after ${request.timeoutMs / 1000} s`);
    const code = innermostError(cause)?.code ?? '';
    if (bodyEncoding !== undefined && bodyEncoding !== null && DECODING_ERROR.test(code)) {
      // Most often a plain body labelled gzip: the server (or a proxy) is misconfigured.
      return failed(
        `the body is not the ${bodyEncoding} its Content-Encoding says (${innermostError(cause)?.message}): the server is misconfigured; tell its owner`,
      );
    }
    if (bodyEncoding !== undefined && BODY_CUT.has(code)) return failed('connection closed before the body was complete');
    return failed(describeNetworkError(cause, url));
  } finally {
    clearTimeout(timer);
  }
}

function requestHeaders(request: FetchRequest, sameResource: boolean): Record<string, string> {
  const headers: Record<string, string> = {
    'user-agent': USER_AGENT,
    accept: ACCEPT,
    'accept-encoding': 'gzip, deflate, br',
  };
  // Validators belong to the resource they came from; after a temporary redirect they may not.
  if (sameResource && request.etag) headers['if-none-match'] = request.etag;
  if (sameResource && request.lastModified) headers['if-modified-since'] = request.lastModified;
  return headers;
}

/**
 * A private feed's https://user:pass@host/ URL: fetch refuses credentials in the URL, so they
 * travel as HTTP Basic authentication (RFC 7617), to that URL's host only (a redirect's
 * Location carries none of them).
 */
function withoutCredentials(target: URL, headers: Record<string, string>): URL {
  if (!target.username && !target.password) return target;
  const credentials = `${decodeURIComponent(target.username)}:${decodeURIComponent(target.password)}`;
  headers.authorization = `Basic ${Buffer.from(credentials, 'utf8').toString('base64')}`;
  const bare = new URL(target.href);
  bare.username = '';
  bare.password = '';
  return bare;
}

function isRedirect(status: number): boolean {
  return status === 301 || status === 302 || status === 303 || status === 307 || status === 308;
}

/** Reads the body, stopping as soon as it passes `maxBytes`; returns an error text then. */
async function readLimited(response: HttpResponse, maxBytes: number): Promise<Uint8Array | string> {
  const tooBig = `response is larger than poll.maxBytes (${maxBytes} bytes); raise it if this feed is really that big`;
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes && !response.headers.get('content-encoding')) {
    response.discard();
    return tooBig;
  }
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of response.body as AsyncIterable<Buffer>) {
    total += chunk.byteLength;
    if (total > maxBytes) {
      response.body.destroy();
      return tooBig;
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, total);
}

function describeStatus(response: HttpResponse): string {
  const text = response.statusText ? ` ${response.statusText}` : '';
  if (response.status === 410) return `HTTP 410${text}: the feed is gone; remove it from feeds.yaml`;
  return `HTTP ${response.status}${text}`;
}

const NETWORK_ERRORS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset by the server',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'DNS lookup failed (temporary)',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  HPE_HEADER_OVERFLOW: 'response headers too large',
  CERT_HAS_EXPIRED: 'TLS certificate has expired',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'TLS certificate is self-signed',
};

/** The connection ended before the body did (a close, a reset, fewer bytes than Content-Length said). */
const BODY_CUT = new Set(['ECONNRESET', 'ERR_STREAM_PREMATURE_CLOSE']);

/** zlib's and brotli's error codes: a body that does not decompress. */
const DECODING_ERROR = /^(Z_|ERR__ERROR_FORMAT|ERR_BROTLI)/;

/** The first error in the `cause` chain that has a code (the one that says what happened may be wrapped). */
function innermostError(cause: unknown): { message?: string; code?: string; cause?: unknown } | undefined {
  let error = cause as { message?: string; code?: string; cause?: unknown } | undefined;
  while (error?.cause && typeof error.cause === 'object' && !error.code) error = error.cause;
  return error;
}

function describeNetworkError(cause: unknown, url: string): string {
  const error = innermostError(cause);
  const code = error?.code;
  if (code === 'ERR_COLUMNWIRE_FORBIDDEN_ADDRESS') return error!.message!;
  const known = code ? NETWORK_ERRORS[code] : undefined;
  if (known) return `${known} (${new URL(url).host})`;
  const message = error?.message ?? String(cause);
  return `network error: ${message}`;
}
