/**
 * Sends a published document the way feed readers and caches expect: content negotiation
 * for gzip/br, strong ETags and Last-Modified, 304 on If-None-Match / If-Modified-Since
 * (RFC 9110 §13), Cache-Control, Vary, and HEAD without a body.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Encoding, PublishedDocument } from './published-feeds.ts';

/** Writes `document` as the response to `req`, or a 304 when the client's copy is current. */
export async function sendDocument(
  req: IncomingMessage,
  res: ServerResponse,
  document: PublishedDocument,
  maxAgeSeconds: number,
): Promise<void> {
  const encoding = chooseEncoding(req.headers['accept-encoding']);
  const etag = document.etag(encoding);
  const headers: Record<string, string> = {
    'content-type': document.contentType,
    etag,
    ...(document.lastModified ? { 'last-modified': document.lastModified.toUTCString() } : {}),
    'cache-control': `public, max-age=${maxAgeSeconds}`,
    vary: 'Accept-Encoding',
  };
  if (isNotModified(req, document, etag)) {
    res.writeHead(304, headers).end();
    return;
  }
  const body = await document.body(encoding);
  if (encoding !== 'identity') headers['content-encoding'] = encoding;
  headers['content-length'] = String(body.length);
  res.writeHead(200, headers);
  res.end(req.method === 'HEAD' ? undefined : body);
}

/** br, then gzip, then identity, honouring q=0 (RFC 9110 §12.5.3). */
export function chooseEncoding(header: string | undefined): Encoding {
  if (!header) return 'identity';
  const accepted = new Map<string, number>();
  for (const part of header.toLowerCase().split(',')) {
    const [name, ...params] = part.trim().split(';');
    const q = params.map((param) => /^\s*q=([\d.]+)/.exec(param)?.[1]).find((value) => value !== undefined);
    if (name) accepted.set(name.trim(), q === undefined ? 1 : Number(q));
  }
  const weight = (name: string) => accepted.get(name) ?? accepted.get('*') ?? 0;
  if (weight('br') > 0) return 'br';
  if (weight('gzip') > 0 || weight('x-gzip') > 0) return 'gzip';
  return 'identity';
}

function isNotModified(req: IncomingMessage, document: PublishedDocument, etag: string): boolean {
  const ifNoneMatch = req.headers['if-none-match'];
  if (ifNoneMatch !== undefined) {
    // Weak comparison (§13.1.2); any representation of this document counts (a proxy may
    // have stored the gzip variant and ask with its tag).
    const ours = etag.replace(/-(gzip|br)"$/, '"');
    return ifNoneMatch.split(',').some((tag) => {
      const value = tag.trim().replace(/^W\//, '');
      return value === '*' || value.replace(/-(gzip|br)"$/, '"') === ours;
    });
  }
  const since = Date.parse(req.headers['if-modified-since'] ?? '');
  return document.lastModified !== null && !Number.isNaN(since) && document.lastModified.getTime() <= since;
}
