/**
 * The benchmark's feed server, run as a child process so its CPU is not the poller's:
 * serves INGEST_SPEC's feeds (argv[2] overrides how many) at /feeds/NNNN.xml on 127.0.0.1
 * (port 0), each with a strong ETag, answering a matching If-None-Match with 304
 * (RFC 9110 §13.1.2). Reports its port to the parent over IPC as { type: 'ready' }, answers
 * { type: 'stats' } with request counts and { type: 'version', version } by serving that
 * version of every feed from then on (generated once, deterministically; version 2 is one
 * new column per feed, so a new body and a new ETag), and exits when the parent goes away.
 */
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { INGEST_SPEC, feedPath, generateSetFeed, type FeedSetSpec, type FeedVersion } from './generate-feeds.ts';

export type ServerMessage =
  | { type: 'ready'; port: number; feeds: number; bytes: number; generateMs: number }
  | { type: 'stats'; ok: number; notModified: number; notFound: number; bytesSent: number }
  | { type: 'version'; version: FeedVersion; bytes: number; generateMs: number };

/** What the parent asks. */
export type ServerRequest = { type: 'stats' } | { type: 'version'; version: FeedVersion };

interface Served {
  body: Buffer;
  etag: string;
}

const feeds = Number(process.argv[2] ?? INGEST_SPEC.feeds);
if (!Number.isInteger(feeds) || feeds < 1 || feeds > 6_000)
  throw new Error(`bench/feed-server: feed count must be 1–6,000, got "${process.argv[2]}"`);
const spec: FeedSetSpec = { ...INGEST_SPEC, feeds };
const versions = new Map<FeedVersion, { served: Map<string, Served>; bytes: number; generateMs: number }>();
let served = new Map<string, Served>();
const stats = { ok: 0, notModified: 0, notFound: 0, bytesSent: 0 };

/** If-None-Match is a list of entity tags or "*"; weak comparison applies (RFC 9110 §13.1.2). */
function matches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  if (ifNoneMatch.trim() === '*') return true;
  return ifNoneMatch.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}

/** Every feed at `version`, generated on first use and kept (both versions stay in memory). */
function generateVersion(port: number, version: FeedVersion) {
  const known = versions.get(version);
  if (known) return known;
  const started = performance.now();
  const bodies = new Map<string, Served>();
  let bytes = 0;
  for (let feed = 0; feed < spec.feeds; feed++) {
    const path = feedPath(feed);
    const body = Buffer.from(generateSetFeed(spec, feed, `http://127.0.0.1:${port}${path}`, version));
    bodies.set(path, { body, etag: `"${createHash('sha1').update(body).digest('base64url')}"` });
    bytes += body.length;
  }
  const generated = { served: bodies, bytes, generateMs: performance.now() - started };
  versions.set(version, generated);
  return generated;
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
  const first = generateVersion(port, 1);
  served = first.served;
  process.send?.({ type: 'ready', port, feeds: served.size, bytes: first.bytes, generateMs: first.generateMs } satisfies ServerMessage);
  process.on('message', (message: ServerRequest) => {
    if (message.type === 'stats') process.send?.({ type: 'stats', ...stats } satisfies ServerMessage);
    if (message.type === 'version') {
      const { served: bodies, bytes, generateMs } = generateVersion(port, message.version);
      served = bodies;
      process.send?.({ type: 'version', version: message.version, bytes, generateMs } satisfies ServerMessage);
    }
  });
});

process.on('disconnect', () => process.exit(0));
