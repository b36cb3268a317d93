/**
 * A real node:http server on 127.0.0.1 (port 0) that serves feeds to the code under test,
 * records every request it receives, and can misbehave on purpose (compression, redirects,
 * endless, slow or hanging bodies). close() destroys open sockets, so a test never hangs on it.
 */
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { onTestFinished } from 'vitest';

/** A route's handler: plain node:http. */
export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** What the server saw of one request. */
export interface RecordedRequest {
  method: string;
  /** Path and query, as sent. */
  path: string;
  headers: IncomingHttpHeaders;
}

export interface FeedServer {
  /** `http://127.0.0.1:PORT` */
  origin: string;
  /** An absolute URL on this server. */
  url(path: string): string;
  /** Every request received, in arrival order. */
  requests: RecordedRequest[];
  /** Requests received for one path. */
  requestsTo(path: string): RecordedRequest[];
  /** Adds or replaces the handler of a path (exact match on the path without query). */
  setRoute(path: string, handler: Handler): void;
  close(): Promise<void>;
}

export interface ResponseOptions {
  status?: number;
  headers?: OutgoingHttpHeaders;
}

/** Starts a server answering `routes`; an unknown path gets 404. */
export async function startFeedServer(routes: Record<string, Handler> = {}): Promise<FeedServer> {
  const table = new Map(Object.entries(routes));
  const requests: RecordedRequest[] = [];
  const server = createServer((req, res) => {
    const path = req.url ?? '/';
    requests.push({ method: req.method ?? 'GET', path, headers: req.headers });
    const handler = table.get(path.split('?')[0]!) ?? serveBody('not found', { status: 404 });
    handler(req, res);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    url: (path) => new URL(path, origin).href,
    requests,
    requestsTo: (path) => requests.filter((request) => request.path === path),
    setRoute: (path, handler) => void table.set(path, handler),
    close: async () => {
      const closed = once(server, 'close');
      server.close();
      server.closeAllConnections();
      await closed;
    },
  };
}

/** A URL on 127.0.0.1 where nothing listens: a port just released by a closed server. */
export async function closedPortUrl(path = '/feed.xml'): Promise<string> {
  const server = await startFeedServer();
  await server.close();
  return server.url(path);
}

/** Answers with `body` (Content-Length set by node:http), status 200 unless told. */
export function serveBody(body: string | Uint8Array, options: ResponseOptions = {}): Handler {
  return (_req, res) => {
    res.writeHead(options.status ?? 200, { 'content-type': 'application/rss+xml; charset=utf-8', ...options.headers });
    res.end(body);
  };
}

/** Answers with `body` compressed by gzip, deflate (zlib format, as RFC 9110 §8.4.1.2 says) or brotli. */
export function serveCompressed(encoding: 'gzip' | 'deflate' | 'br', body: string | Uint8Array, options: ResponseOptions = {}): Handler {
  const compress = { gzip: gzipSync, deflate: deflateSync, br: brotliCompressSync }[encoding];
  return serveBody(compress(body), { ...options, headers: { 'content-encoding': encoding, ...options.headers } });
}

/** Answers with a redirect to `location` (relative or absolute). */
export function redirect(status: 301 | 302 | 303 | 307 | 308, location: string): Handler {
  return serveBody('', { status, headers: { location, 'content-type': 'text/plain' } });
}

/** Sends 200 and then chunks forever, as fast as the client reads, until the socket closes. */
export function endless(chunk: string = '<item><title>again</title></item>\n'.repeat(64)): Handler {
  return (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/rss+xml' });
    res.write('<?xml version="1.0"?><rss version="2.0"><channel><title>Endless</title>\n');
    const pump = (): void => {
      while (!res.destroyed && res.write(chunk));
      if (!res.destroyed) res.once('drain', pump);
    };
    pump();
  };
}

/** Sends 200 and then one chunk every `intervalMs`, never finishing, until the socket closes. */
export function slow(intervalMs: number, chunk = '<!-- still here -->\n'): Handler {
  return (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/rss+xml' });
    res.write('<?xml version="1.0"?>\n');
    const timer = setInterval(() => res.write(chunk), intervalMs);
    res.on('close', () => clearInterval(timer));
  };
}

/** Sends status and headers (with `headers`, e.g. a large Content-Length), optionally a first chunk, then nothing more. */
export function hangAfterHeaders(options: ResponseOptions & { firstChunk?: string | Uint8Array } = {}): Handler {
  return (_req, res) => {
    res.writeHead(options.status ?? 200, { 'content-type': 'application/rss+xml', ...options.headers });
    if (options.firstChunk !== undefined) res.write(options.firstChunk);
    res.flushHeaders();
  };
}

/** Reads the request and never answers at all. */
export function neverAnswer(): Handler {
  return () => {};
}

/** Bytes of a file under tests/fixtures/http/. */
export function httpFixture(name: string): Buffer {
  return readFileSync(new URL(`../fixtures/http/${name}`, import.meta.url));
}

/** Starts a server for the running test only: it is closed when the test finishes. */
export async function serveForTest(routes: Record<string, Handler> = {}): Promise<FeedServer> {
  const server = await startFeedServer(routes);
  onTestFinished(() => server.close());
  return server;
}
