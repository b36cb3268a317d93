/**
 * The HTTP server (node:http: a handful of read-only routes whose caching we control to the
 * byte needs no framework). Routes only: documents come from PublishedFeeds.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics.ts';
import type { Readiness } from '../readiness.ts';
import { isStoreTransient, type Store } from '../storage/store.ts';
import { withinDeadline } from '../support/within-deadline.ts';
import { describeAdminRefusal } from './admin-access.ts';
import type { FeedFormat } from './build-merged-feed.ts';
import { renderReaderPage } from '../site/render-reader-pages.ts';
import { SiteRequestError, type SiteResponse } from '../site/site-pages.ts';
import { servedLimit, type FeedScope, type PublishedFeeds } from './published-feeds.ts';
import { createRateLimiter, type RateLimiter } from './rate-limit.ts';
import { readRequestTarget, routeUnderBase } from './request-target.ts';
import { sendDocument } from './send-document.ts';
import { clientAddress } from './client-address.ts';
import { rateLimitKey } from '../support/ip-ranges.ts';
import { handleReaderRoute, type ReaderRoutesDeps } from './reader-routes.ts';
import { handleUnsubscribe } from './unsubscribe-page.ts';

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 500;

export interface HttpServerDeps {
  published: PublishedFeeds;
  store: Store;
  logger: Logger;
  /** Signs unsubscribe tokens. */
  secret: string;
  /** The HTML of a digest's next run, or null for an unknown digest id. */
  previewDigest?: (digestId: string) => Promise<string | null>;
  /** Cache-Control max-age for feeds and pages: the poll interval. */
  maxAgeSeconds: number;
  /** GET /metrics; absent, the route is 404. */
  metrics?: Metrics;
  /** GET /readyz. */
  readiness?: () => Promise<Readiness>;
  /** How long /healthz and /readyz wait for the store before answering 503 (default PROBE_DEADLINE_MS). */
  probeDeadlineMs?: number;
  /** server.adminNetworks: the socket addresses allowed /metrics and digest previews. */
  adminNetworks: readonly string[];
  /** server.trustedProxies: proxies whose X-Forwarded-For names the client the rate limits count. */
  trustedProxies: readonly string[];
  /** The clock Last-Modified is read against (an If-Modified-Since later than now is ignored); default the real one. */
  now?: () => Date;
  /** /subscribe, /subscribe/confirm and /preferences; absent, they are 404. */
  readerRoutes?: Omit<ReaderRoutesDeps, 'limiter' | 'client' | 'site'>;
}

export interface RunningServer {
  /** The base URL it listens on, e.g. http://127.0.0.1:8080 */
  url: string;
  server: Server;
  /**
   * Stops accepting, lets requests in flight finish for up to `graceMs` (default 10 s), then drops
   * the rest; resolves once their handlers have returned too (those of clients gone included), or at the deadline.
   */
  close(graceMs?: number): Promise<void>;
}

/**
 * On every response. Nothing here runs script: the policy forbids all of it, inline too; the
 * pages' own <style> and the digest's inline styles are the only exceptions. Forms post here only.
 */
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; style-src 'unsafe-inline'; img-src https: http: data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};
/** Refused /unsubscribe requests (bad token, oversize), per client address: 10 at once, then 20 a minute. */
const UNSUBSCRIBE_LIMIT = { burst: 10, perMinute: 20 };
/** Signups per client address: 5 at once, then one a minute (each may send a mail). */
const SIGNUP_LIMIT = { burst: 5, perMinute: 1 };

const FORMATS: Record<string, FeedFormat> = { 'feed.xml': 'rss', 'feed.atom': 'atom', 'feed.json': 'json' };
const FEED_ROUTE = /^\/(?:(tags|feeds|columnists|outlets)\/([^/]+)\/)?(feed\.(?:xml|atom|json))$/;

const PREVIEW_ROUTE = /^\/digests\/([^/]+)\/preview$/;
const FIXED_ROUTES = new Set([
  '/unsubscribe',
  '/subscribe',
  '/subscribe/confirm',
  '/preferences',
  '/healthz',
  '/readyz',
  '/metrics',
  '/opml',
  '/feeds.opml',
]);

/** True when `path` names one of the server's routes (whatever it then answers: a missing feed is still a route). */
function isRoute(path: string, deps: HttpServerDeps): boolean {
  return FIXED_ROUTES.has(path) || PREVIEW_ROUTE.test(path) || FEED_ROUTE.test(path) || deps.published.site.handles(path);
}

/** Starts listening on host:port (port 0 picks a free one). */
export async function startHttpServer(deps: HttpServerDeps, host: string, port: number): Promise<RunningServer> {
  const limiter = createRateLimiter(UNSUBSCRIBE_LIMIT);
  const signupLimiter = createRateLimiter(SIGNUP_LIMIT);
  // Handlers still running: one whose client went away runs on, and close() waits for it.
  const running = new Set<Promise<void>>();
  const server = createServer((req, res) => {
    const done = handle(req, res, deps, limiter, signupLimiter).catch((err: unknown) => {
      // The path only: a query may carry an unsubscribe token.
      const path = (req.url ?? '').split('?')[0];
      // The database down, restarting or busy is no bug of ours nor the client's: 503, try again.
      if (isStoreTransient(err) && !res.headersSent) {
        deps.logger.warn({ error: (err as Error).message, method: req.method, path }, 'http request: the database is unavailable');
        // The reason stays in the log: a public page need not learn the database's address.
        return sendUnavailable(res, 'the database does not answer; try again shortly');
      }
      deps.logger.error({ err, method: req.method, path }, 'http request failed');
      if (!res.headersSent) sendText(res, 500, 'Internal error; see the server log.\n');
      else res.destroy();
    });
    running.add(done);
    void done.finally(() => running.delete(done));
  });
  server.keepAliveTimeout = 65_000;
  // Slow clients (slowloris) may not hold a connection open: headers within 10 s, a request within 30 s.
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    const fail = (error: NodeJS.ErrnoException) => {
      const hint =
        error.code === 'EADDRINUSE'
          ? `port ${port} on ${host} is already in use; set server.port in the config or PORT`
          : error.code === 'EACCES'
            ? `not allowed to listen on ${host}:${port}; use a port above 1024`
            : error.code === 'EADDRNOTAVAIL'
              ? `${host} is not an address of this machine; set server.host (0.0.0.0 for all) or HOST`
              : error.message;
      reject(new Error(`http: cannot listen on ${host}:${port}: ${hint}`, { cause: error }));
    };
    server.once('error', fail);
    server.listen(port, host, () => {
      server.off('error', fail);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${shownHost}:${address.port}`,
    server,
    close: (graceMs = 10_000) =>
      new Promise<void>((resolve) => {
        // Requests in flight may finish within the grace period; a client that never completes
        // its request (a half-sent header keeps a socket "active") must not hold the exit.
        const deadline = performance.now() + graceMs;
        const force = setTimeout(() => server.closeAllConnections(), graceMs);
        server.close(() => {
          clearTimeout(force);
          // Handlers whose clients left finish too (within the same grace period): what the
          // caller closes next (the store) is never closed under one.
          let timer: NodeJS.Timeout | undefined;
          const giveUp = new Promise<void>((done) => (timer = setTimeout(done, Math.max(0, deadline - performance.now()))));
          void Promise.race([Promise.allSettled([...running]), giveUp]).then(() => {
            clearTimeout(timer);
            resolve();
          });
        });
        server.closeIdleConnections();
      }),
  };
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  deps: HttpServerDeps,
  limiter: RateLimiter,
  signupLimiter: RateLimiter,
): Promise<void> {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
  // Paths are matched exactly, as sent, against fixed routes only: no part of a URL ever names a file.
  const target = readRequestTarget(req.url ?? '/');
  if (!target) return sendText(res, 400, 'The request target must be a path such as /feed.xml.\n');
  const { url } = target;
  const path = routeUnderBase(target.path, deps.published.basePath, (candidate) => isRoute(candidate, deps));
  // Whom the rate limits count (asked only by a request they limit): the connection, or the
  // client a trusted proxy forwards for; an IPv6 client by its /64.
  const client = () => rateLimitKey(clientAddress(req.socket.remoteAddress, req.headers, deps.trustedProxies));
  // The one route that changes state: a signed unsubscribe, limited in size; refusals limited in rate.
  if (path === '/unsubscribe' && req.method !== 'GET' && req.method !== 'HEAD' && req.method !== 'POST') {
    // RFC 9110 §9.3.7: OPTIONS is answered with what is allowed; POST is (one-click, RFC 8058).
    res.setHeader('allow', 'GET, HEAD, POST');
    if (req.method === 'OPTIONS') return void res.writeHead(204).end();
    return sendText(res, 405, 'Only GET, HEAD and POST are served here.\n');
  }
  // HEAD as GET (RFC 9110 §9.3.2), which shows the page and changes nothing; Node sends no body for it.
  if (path === '/unsubscribe') {
    return handleUnsubscribe(req, res, url, {
      store: deps.store,
      basePath: deps.published.basePath,
      secret: deps.secret,
      limiter,
      frame: async (title, body) => renderReaderPage(await deps.published.site.context(), title, body),
      strings: async () => (await deps.published.site.context()).strings,
      digestName: (id) => deps.readerRoutes?.digestName(id) ?? null,
      client,
    });
  }
  const readers = deps.readerRoutes;
  if (
    readers &&
    (await handleReaderRoute(req, res, path, url, {
      ...readers,
      limiter: signupLimiter,
      client,
      site: () => deps.published.site.context(),
    }))
  )
    return;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('allow', 'GET, HEAD');
    return sendText(res, 405, 'Only GET and HEAD are served here.\n');
  }
  const preview = PREVIEW_ROUTE.exec(path);
  if (preview && deps.previewDigest) {
    if (refuseNonAdmin(req, res, '/digests/{id}/preview', deps.adminNetworks)) return;
    const id = safeDecode(preview[1]!);
    if (id === null) return sendText(res, 400, 'Malformed percent-encoding in the path.\n');
    const html = await deps.previewDigest(id);
    if (html === null) return sendText(res, 404, `No digest called "${id}".\n`);
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    return void res.end(html);
  }
  const probeMs = deps.probeDeadlineMs ?? PROBE_DEADLINE_MS;
  if (path === '/healthz') return health(res, deps.store, probeMs);
  if (path === '/readyz' && deps.readiness) {
    const readiness = await withinDeadline(deps.readiness(), probeMs);
    if (readiness === null) return sendJson(res, 503, { status: 'not ready', ready: false, reason: storeSilent(probeMs) });
    return sendJson(res, readiness.ready ? 200 : 503, { status: readiness.ready ? 'ready' : 'not ready', ...readiness });
  }
  if (path === '/metrics' && deps.metrics) {
    if (refuseNonAdmin(req, res, path, deps.adminNetworks)) return;
    // Bounded like the probes: a scrape held past Prometheus's timeout says nothing about why.
    const rendered = await withinDeadline(deps.metrics.render(), probeMs);
    if (rendered === null) return sendUnavailable(res, storeSilent(probeMs));
    const { contentType, body } = rendered;
    res.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store' });
    return void res.end(body);
  }
  if (path === '/opml' || path === '/feeds.opml')
    return sendDocument(req, res, await deps.published.opml(), deps.maxAgeSeconds, deps.now?.());
  const site = deps.published.site;
  if (site.handles(path)) {
    let answer: SiteResponse;
    try {
      answer = await site.page(path, url.searchParams);
    } catch (error) {
      if (!(error instanceof SiteRequestError)) throw error;
      const page = await site.badRequest(error.message);
      res.writeHead(400, { 'content-type': page.contentType, 'cache-control': 'no-store' });
      return void res.end(req.method === 'HEAD' ? undefined : page.identity);
    }
    if (answer.status === 404) {
      res.writeHead(404, { 'content-type': answer.document.contentType, 'cache-control': 'no-store' });
      return void res.end(req.method === 'HEAD' ? undefined : answer.document.identity);
    }
    return sendDocument(req, res, answer.document, deps.maxAgeSeconds, deps.now?.());
  }
  const route = FEED_ROUTE.exec(path);
  if (!route)
    return sendText(
      res,
      404,
      `Not found: ${path}\nFeeds: /feed.xml /feed.atom /feed.json /tags/{tag}/feed.xml /feeds/{id}/feed.xml /opml\n`,
    );
  const [, kind, rawName, file] = route;
  let scope: FeedScope = { kind: 'all' };
  if (kind) {
    const name = safeDecode(rawName!);
    if (name === null) return sendText(res, 400, 'Malformed percent-encoding in the path.\n');
    if (kind === 'columnists' || kind === 'outlets') {
      const page = await site.scope(kind, name);
      if (!page) return sendText(res, 404, `No ${kind === 'columnists' ? 'columnist' : 'outlet'} called "${name}".\n`);
      scope = { kind: 'page', ...page };
    } else {
      scope = kind === 'tags' ? { kind: 'tag', tag: name } : { kind: 'feed', feedId: name };
      if (!deps.published.exists(scope)) return sendText(res, 404, `No ${kind === 'tags' ? 'tag' : 'feed'} called "${name}".\n`);
    }
  }
  const limit = parseLimit(url.searchParams.get('limit'));
  if (limit === null) return sendText(res, 400, `limit must be a whole number from 1 to ${MAX_LIMIT}.\n`);
  // Rounded down to a bucket, so rotating limits cannot make a document per request.
  return sendDocument(req, res, await deps.published.feed(scope, FORMATS[file!]!, servedLimit(limit)), deps.maxAgeSeconds, deps.now?.());
}

/** Answers 403 (and says true) unless the client is in server.adminNetworks. */
function refuseNonAdmin(req: IncomingMessage, res: ServerResponse, page: string, adminNetworks: readonly string[]): boolean {
  const refusal = describeAdminRefusal(page, req.socket.remoteAddress, req.headers, adminNetworks);
  if (refusal) sendText(res, 403, refusal);
  return refusal !== null;
}

function safeDecode(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}

function parseLimit(value: string | null): number | null {
  if (value === null || value === '') return DEFAULT_LIMIT;
  if (!/^\d+$/.test(value)) return null;
  const limit = Number(value);
  return limit >= 1 && limit <= MAX_LIMIT ? limit : null;
}

/**
 * How long /healthz and /readyz wait for the store. A database gone silent (a partition: no
 * refusal, no reset) would otherwise hold the probe until the kernel gives up on the socket,
 * minutes later; a probe that answers 503 at once tells the orchestrator what is wrong.
 */
const PROBE_DEADLINE_MS = 5_000;
const storeSilent = (ms: number) => `the store did not answer within ${ms / 1000} s (is the database reachable?)`;

async function health(res: ServerResponse, store: Store, deadlineMs: number): Promise<void> {
  try {
    const answer = await withinDeadline(Promise.all([store.lastPollAt(), store.countFeeds(), store.countStories()]), deadlineMs);
    if (answer === null) return sendJson(res, 503, { status: 'error', error: storeSilent(deadlineMs) });
    const [lastPollAt, feeds, stories] = answer;
    sendJson(res, 200, { status: 'ok', lastPollAt: lastPollAt?.toISOString() ?? null, feeds, stories });
  } catch (error) {
    sendJson(res, 503, { status: 'error', error: `database does not answer: ${(error as Error).message}` });
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(`${JSON.stringify(body)}\n`);
}

/** How long a client is asked to wait when the database is unavailable (RFC 9110 §10.2.3). */
const UNAVAILABLE_RETRY_SECONDS = 10;

/** 503 with Retry-After: the store is unavailable for now. */
function sendUnavailable(res: ServerResponse, reason: string): void {
  res.writeHead(503, {
    'content-type': 'text/plain; charset=utf-8',
    'cache-control': 'no-store',
    'retry-after': String(UNAVAILABLE_RETRY_SECONDS),
  });
  res.end(`${reason}\n`);
}

function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
  res.end(text);
}
