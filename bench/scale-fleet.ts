/**
 * Child process: the scale bench's simulated fleet (bench/scale-model.ts) on HOSTS loopback ports,
 * so its CPU is not the pollers'. Every request is written to a request log, the ground truth of
 * the checks: `feed,startMs,endMs,status,completed,items` per line (end when the connection's
 * response closed, completed when the whole body went out).
 *
 * Protocol (bench/serve-child.ts): { type: 'ready', url } with the first port; then requests
 * { type: 'ports' } → { ports }, { type: 'reset', feeds, seed, logPath } → a new t0, a new log and
 * fresh counters; { type: 'flush' } → the log closed and the run's counts; 'stats' and 'exit'.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { childStats } from './serve-child.ts';
import {
  feedTraits,
  HOSTS,
  hostOf,
  isNotModified,
  renderDocument,
  requestFate,
  RETRY_AFTER_SECONDS,
  versionAt,
  type FeedTraits,
} from './scale-model.ts';

/** What the fleet counted in one run. */
export interface FleetCounts {
  requests: number;
  byStatus: Record<string, number>;
  /** Distinct columns (article ids) sent in complete 200 responses: what a perfect store holds. */
  servedArticles: number;
}

type Request =
  | { id: number; type: 'ports' | 'flush' | 'stats' | 'served' }
  | { id: number; type: 'reset'; feeds: number; seed: number; logPath: string }
  | { id?: number; type: 'exit' };

let traits: FeedTraits[] = [];
let seed = 1;
let t0Ms = Date.now();
let log: WriteStream | null = null;
let nth = new Uint32Array(0);
let counts: FleetCounts = { requests: 0, byStatus: {}, servedArticles: 0 };
let served = new Set<string>();
const ports: number[] = [];

function handle(host: number, request: IncomingMessage, response: ServerResponse): void {
  const match = /^\/feeds\/(\d+)\.xml$/.exec(request.url ?? '');
  const index = match ? Number(match[1]) : -1;
  const feed = traits[index];
  if (!feed || hostOf(index) !== host) return void response.writeHead(404).end();
  const startMs = Date.now();
  const fate = requestFate(seed, index, nth[index]!++);
  let status = 0;
  let items = 0;
  let articles: string[] = [];
  const current = versionAt(feed, t0Ms, startMs);
  const document = fate === 'serve' ? renderDocument(feed, t0Ms, current) : null;
  response.on('close', () => {
    counts.requests++;
    counts.byStatus[status] = (counts.byStatus[status] ?? 0) + 1;
    if (response.writableFinished) for (const article of articles) served.add(article);
    log?.write(
      `${index},${startMs},${Date.now()},${status},${response.writableFinished ? 1 : 0},${response.writableFinished ? items : 0}\n`,
    );
  });
  if (!document) {
    status = fate === 'error' ? 500 : 429;
    const headers = fate === 'throttle' ? { 'retry-after': String(RETRY_AFTER_SECONDS) } : {};
    return void response.writeHead(status, { 'content-type': 'text/plain', ...headers }).end('try later');
  }
  const validators = { etag: document.etag, 'last-modified': new Date(document.lastModifiedMs).toUTCString() };
  if (isNotModified(document, header(request, 'if-none-match'), header(request, 'if-modified-since'))) {
    status = 304;
    return void response.writeHead(304, validators).end();
  }
  status = 200;
  items = document.articles.length;
  articles = document.articles;
  const body = Buffer.from(document.body);
  response.writeHead(200, { 'content-type': 'application/rss+xml; charset=utf-8', 'content-length': body.length, ...validators });
  if (feed.endless) return trickle(response, body);
  if (!feed.slow) return void response.end(body);
  // Three pieces, 750 ms apart: slow, but well inside poll.timeoutSeconds.
  const third = Math.ceil(body.length / 3);
  response.write(body.subarray(0, third));
  const timers = [
    setTimeout(() => response.write(body.subarray(third, 2 * third)), 750),
    setTimeout(() => response.end(body.subarray(2 * third)), 1_500),
  ];
  response.on('close', () => timers.forEach(clearTimeout));
}

/** One byte every 500 ms, never the last: only the client's timeout ends it. */
function trickle(response: ServerResponse, body: Buffer): void {
  let sent = 0;
  const timer = setInterval(() => {
    if (sent < body.length - 1) response.write(body.subarray(sent, ++sent));
  }, 500);
  response.on('close', () => clearInterval(timer));
}

const header = (request: IncomingMessage, name: string): string | undefined => {
  const value = request.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
};

function reset(message: { feeds: number; seed: number; logPath: string }): void {
  seed = message.seed;
  traits = Array.from({ length: message.feeds }, (_, index) => feedTraits(seed, index));
  nth = new Uint32Array(message.feeds);
  counts = { requests: 0, byStatus: {}, servedArticles: 0 };
  served = new Set();
  log = createWriteStream(message.logPath);
  t0Ms = Date.now();
}

function flush(): Promise<FleetCounts> {
  const closing = log;
  log = null;
  counts.servedArticles = served.size;
  return new Promise((resolve) => (closing ? closing.end(() => resolve(counts)) : resolve(counts)));
}

for (let host = 0; host < HOSTS; host++) {
  const server = createServer((request, response) => handle(host, request, response));
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  ports.push((server.address() as AddressInfo).port);
}

process.on('message', (message: Request) => {
  const reply = (body: Record<string, unknown>) => process.send?.({ id: message.id, ...body });
  switch (message.type) {
    case 'ports':
      return void reply({ type: 'ports', ports });
    case 'reset':
      reset(message);
      return void reply({ type: 'reset', t0Ms });
    case 'flush':
      return void flush().then((done) => reply({ type: 'flush', ...done }));
    case 'stats':
      return void reply({ type: 'stats', ...childStats() });
    case 'served':
      return void reply({ type: 'served', articles: [...served] });
    case 'exit':
      return void flush().then(() => process.exit(0));
  }
});
process.on('disconnect', () => process.exit(0));
process.send?.({ type: 'ready', url: `http://127.0.0.1:${ports[0]}` });
