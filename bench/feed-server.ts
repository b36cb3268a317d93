/**
 * The benchmark's feed server, run as a child process so its CPU is not the poller's:
 * serves the INGEST_SPEC feeds at /feeds/NNNN.xml on 127.0.0.1 (port 0), each with a strong
 * ETag, answering a matching If-None-Match with 304 (RFC 9110 §13.1.2). Reports its port to
 * the parent over IPC as { type: 'ready' }, answers { type: 'stats' } with request counts,
 * and exits when the parent goes away.
 */
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { INGEST_SPEC, feedPath, generateSetFeed } from './generate-feeds.ts';

export type ServerMessage =
  | { type: 'ready'; port: number; feeds: number; bytes: number; generateMs: number }
  | { type: 'stats'; ok: number; notModified: number; notFound: number; bytesSent: number };

interface Served {
  body: Buffer;
  etag: string;
}

const served = new Map<string, Served>();
const stats = { ok: 0, notModified: 0, notFound: 0, bytesSent: 0 };

/** If-None-Match is a list of entity tags or "*"; weak comparison applies (RFC 9110 §13.1.2). */
function matches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  if (ifNoneMatch.trim() === '*') return true;
  return ifNoneMatch.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}

const server = createServer((request, response) => {
  const feed = served.get(request.url ?? '');
  if (!feed) {
    stats.notFound++;
    response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    return;
  }
  if (matches(request.headers['if-none-match'], feed.etag)) {
    stats.notModified++;
    response.writeHead(304, { etag: feed.etag }).end();
    return;
  }
  stats.ok++;
  stats.bytesSent += feed.body.length;
  response
    .writeHead(200, {
      'content-type': 'application/rss+xml; charset=utf-8',
      'content-length': feed.body.length,
      etag: feed.etag,
    })
    .end(feed.body);
});
server.keepAliveTimeout = 30_000;

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  const started = performance.now();
  let bytes = 0;
  for (let feed = 0; feed < INGEST_SPEC.feeds; feed++) {
    const path = feedPath(feed);
    const body = Buffer.from(generateSetFeed(INGEST_SPEC, feed, `http://127.0.0.1:${port}${path}`));
    served.set(path, { body, etag: `"${createHash('sha1').update(body).digest('base64url')}"` });
    bytes += body.length;
  }
  const ready: ServerMessage = { type: 'ready', port, feeds: served.size, bytes, generateMs: performance.now() - started };
  process.send?.(ready);
});

process.on('message', (message: { type?: string }) => {
  if (message.type === 'stats') process.send?.({ type: 'stats', ...stats } satisfies ServerMessage);
});
process.on('disconnect', () => process.exit(0));
