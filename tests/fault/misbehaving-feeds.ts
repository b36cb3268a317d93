/**
 * The feed server of the fault-injection suite: 50 feeds on 127.0.0.1 that grow and
 * misbehave at random but reproducibly. Feed F's n-th request draws from its own seeded
 * stream (growth, then fault or document), so a request gets the same treatment whatever
 * order concurrent requests arrive in. Faults: delays, hangs, dropped connections, bodies cut
 * off mid-way (an error) or truncated at a connection close (legal framing: the service keeps
 * the complete items), garbage bytes, 5xx, 429, redirects on the server, and one-off
 * redirects to private addresses; three feeds turn into redirects to private addresses
 * for good once the service has stored them. A trap server on 127.0.0.2 counts connections
 * that must never happen. A tripwire holds every request from the moment N have been answered
 * in a generation, so the test can kill the service mid-poll.
 */
import { once } from 'node:events';
import type { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createFeedModels, etagOf, publish, renderFeed, versionOf, versionOfEtag, type FeedModel } from './feed-model.ts';
import { intBetween, streamFor, weighted } from '../helpers/prng.ts';

/** What a request can be answered with when it draws a fault. */
type FaultKind =
  'delay' | 'hang' | 'drop' | 'cut-body' | 'truncated' | 'garbage' | 'garbage-tail' | '5xx' | '429' | 'redirect' | 'redirect-private';

export type ServedKind = FaultKind | 'ok' | 'not-modified' | 'redirect-hop' | 'turned-private' | 'held';

/**
 * Faults by weight. About half leave the fetch a success (a slow document, a redirect, a body
 * cut at a connection close), so the feed stays in rotation; the rest fail it, and it backs off.
 */
const FAULTS: ReadonlyArray<readonly [FaultKind, number]> = [
  ['delay', 16],
  ['truncated', 12],
  ['garbage-tail', 8],
  ['redirect', 12],
  ['hang', 4],
  ['drop', 9],
  ['cut-body', 8],
  ['garbage', 6],
  ['5xx', 10],
  ['429', 7],
  ['redirect-private', 8],
];
/** Chance that a request (in chaos) publishes new items first. */
const GROWTH = 0.6;

export interface Tripwire {
  /** Fires on the first request arriving once this many have been answered in the generation. */
  afterAnswered: number;
  fire(): void;
}

export interface MisbehavingFeedServer {
  origin: string;
  feeds: FeedModel[];
  /** The configured URL of a feed. */
  url(feed: FeedModel): string;
  /** 'calm': no growth and no faults (turned feeds stay turned). */
  mode: 'chaos' | 'calm';
  /** While true, arriving requests are held unanswered (the service is about to be killed). */
  hold: boolean;
  tripwire: Tripwire | null;
  /** Starts counting answered requests afresh (a new service process). */
  newGeneration(): void;
  answeredInGeneration(): number;
  /** Requests by what they got. */
  kinds: Map<ServedKind, number>;
  /** Connections to the trap on 127.0.0.2: the address guard must refuse before connecting. */
  trapConnections(): number;
  close(): Promise<void>;
}

/** Starts the server and the trap; `changes` gets 'change' after every answered request. */
export async function startMisbehavingFeeds(options: {
  seed: number;
  count: number;
  changes: EventEmitter;
}): Promise<MisbehavingFeedServer> {
  const { seed, changes } = options;
  const feeds = createFeedModels(seed, options.count, new Date());
  const byId = new Map(feeds.map((feed) => [feed.id, feed]));
  const kinds = new Map<ServedKind, number>();
  const note = (kind: ServedKind) => kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
  const state = { generation: 0, answered: 0, trapConnections: 0 };
  const trap = await startTrap(() => void state.trapConnections++);
  // IP literals the guard refuses before any connection (127.0.0.2 is loopback, but not in the allow-list).
  const privateTargets = [
    'http://10.0.0.1/feeds/moved',
    'http://169.254.169.254/latest/meta-data/',
    `http://127.0.0.2:${trap?.port ?? 9}/feeds/moved`,
    'http://192.168.0.1/feed.xml',
  ];

  const server: MisbehavingFeedServer = {
    origin: '',
    feeds,
    url: (feed) => `${server.origin}/feeds/${feed.id}`,
    mode: 'chaos',
    hold: false,
    tripwire: null,
    newGeneration() {
      state.generation++;
      state.answered = 0;
    },
    answeredInGeneration: () => state.answered,
    kinds,
    trapConnections: () => state.trapConnections,
    close: async () => {
      await Promise.all([closeServer(http), trap ? closeServer(trap.server) : undefined]);
    },
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const path = (req.url ?? '/').split('?')[0]!;
    const feed = byId.get(/^\/feeds\/([a-z0-9-]+)(?:\/|$)/.exec(path)?.[1] ?? '');
    if (server.tripwire && state.answered >= server.tripwire.afterAnswered) {
      const tripwire = server.tripwire;
      server.tripwire = null;
      server.hold = true;
      tripwire.fire();
    }
    if (server.hold) {
      note('held'); // never answered: the socket dies with the service
      return;
    }
    const generation = state.generation;
    res.on('close', () => {
      if (state.generation === generation) state.answered++;
      changes.emit('change');
    });
    if (!feed) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('no such feed');
      return;
    }
    const sentVersion = versionOfEtag(feed, req.headers['if-none-match']);
    if (sentVersion !== null) feed.acked.add(sentVersion);
    if (feed.pendingHops.delete(path)) return serveDocument(feed, req, res, 'redirect-hop');
    feed.requests++;
    const random = streamFor(seed, 'request', feed.id, feed.requests);
    if (feed.turnsPrivate && !feed.turned && feed.acked.size > 0) feed.turned = true;
    if (feed.turned) return redirectPrivate(res, random, true);
    if (server.mode === 'chaos' && random() < GROWTH) publish(feed, seed, random() < 0.3 ? 2 : 1, new Date());
    const kind = server.mode === 'calm' || random() >= feed.faultRate ? 'ok' : weighted(random, FAULTS);
    misbehave(kind, feed, req, res, random);
  };

  const misbehave = (kind: FaultKind | 'ok', feed: FeedModel, req: IncomingMessage, res: ServerResponse, random: () => number): void => {
    const document = () => renderFeed(feed, versionOf(feed));
    switch (kind) {
      case 'delay': {
        const timer = setTimeout(() => serveDocument(feed, req, res, 'delay'), intBetween(random, 200, 2500));
        res.on('close', () => clearTimeout(timer));
        return;
      }
      case 'hang': // the service's timeout ends it
        note('hang');
        return;
      case 'drop':
        note('drop');
        req.socket.destroy();
        return;
      case 'cut-body': {
        // Content-Length promises the whole body; the connection closes half-way: an error for the client.
        note('cut-body');
        const { body } = document();
        res.writeHead(200, { 'content-type': 'application/rss+xml', etag: etagOf(feed, versionOf(feed)), 'content-length': body.length });
        res.write(body.subarray(0, Math.floor(body.length * (0.1 + 0.8 * random()))), () => res.destroy());
        return;
      }
      case 'truncated': {
        // No Content-Length, Connection: close: the body ends where the connection closes (RFC 9112 §6.3),
        // so the cut-off document is all the client gets; it keeps the complete items.
        note('truncated');
        const { body, items } = document();
        const cut = Math.floor(body.length * (0.1 + 0.85 * random()));
        for (const { item, end } of items) if (end <= cut) feed.served.add(item.link);
        req.socket.write(`HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nConnection: close\r\n\r\n`);
        req.socket.end(body.subarray(0, cut));
        return;
      }
      case 'garbage':
      case 'garbage-tail': {
        note(kind);
        const garbage = Buffer.from(Array.from({ length: intBetween(random, 50, 3000) }, () => Math.floor(random() * 256)));
        let body = garbage;
        if (kind === 'garbage-tail') {
          const full = document();
          const cut = Math.floor(full.body.length * (0.1 + 0.85 * random()));
          for (const { item, end } of full.items) if (end <= cut) feed.served.add(item.link);
          body = Buffer.concat([full.body.subarray(0, cut), garbage]);
        }
        res.writeHead(200, { 'content-type': 'application/rss+xml; charset=utf-8', 'content-length': body.length }).end(body);
        return;
      }
      case '5xx': {
        note('5xx');
        const status = [500, 502, 503][intBetween(random, 0, 2)]!;
        const headers = status === 503 && random() < 0.5 ? { 'retry-after': String(intBetween(random, 1, 120)) } : {};
        res.writeHead(status, { 'content-type': 'text/html', ...headers }).end('<h1>The server is having a bad day</h1>');
        return;
      }
      case '429': {
        note('429');
        const retryAfter =
          random() < 0.5 ? String(intBetween(random, 1, 600)) : new Date(Date.now() + intBetween(random, 1, 600) * 1000).toUTCString();
        res.writeHead(429, { 'content-type': 'text/plain', 'retry-after': retryAfter }).end('slow down');
        return;
      }
      case 'redirect': {
        // Temporary ones to an alternate path; permanent ones move the feed (its stored URL changes).
        note('redirect');
        const status = [301, 302, 307, 308][intBetween(random, 0, 3)]!;
        const target = `/feeds/${feed.id}/${status === 301 || status === 308 ? 'moved' : 'alt'}-${feed.requests}`;
        feed.pendingHops.add(target);
        res.writeHead(status, { location: target, 'content-type': 'text/plain' }).end();
        return;
      }
      case 'redirect-private':
        return redirectPrivate(res, random, false);
      case 'ok':
        return serveDocument(feed, req, res, 'ok');
    }
  };

  /**
   * A redirect the guard must refuse without connecting. A one-off permanent one must not move the
   * feed there for good (tests/fault/private-redirect.test.ts): later requests come back here.
   */
  const redirectPrivate = (res: ServerResponse, random: () => number, turned: boolean): void => {
    note(turned ? 'turned-private' : 'redirect-private');
    const status = [301, 302, 307, 308][intBetween(random, 0, 3)]!;
    res
      .writeHead(status, { location: privateTargets[intBetween(random, 0, privateTargets.length - 1)]!, 'content-type': 'text/plain' })
      .end();
  };

  /** The current document, or 304 when the client already has it. */
  const serveDocument = (feed: FeedModel, req: IncomingMessage, res: ServerResponse, kind: ServedKind): void => {
    if (res.destroyed) return;
    const etag = etagOf(feed, versionOf(feed));
    if (req.headers['if-none-match'] === etag) {
      note('not-modified');
      res.writeHead(304, { etag }).end();
      return;
    }
    note(kind);
    const { body, items } = renderFeed(feed, versionOf(feed));
    for (const { item } of items) feed.served.add(item.link);
    const type = feed.format === 'atom' ? 'application/atom+xml' : 'application/rss+xml; charset=utf-8';
    res.writeHead(200, { 'content-type': type, etag, 'content-length': body.length }).end(body);
  };

  const http = createServer(handle);
  // A client killed mid-request resets its sockets; that is the point here, not a failure.
  http.on('clientError', (_error, socket) => socket.destroy());
  http.listen(0, '127.0.0.1');
  await once(http, 'listening');
  server.origin = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  return server;
}

/** A server on 127.0.0.2 (loopback, but not allowed) counting connections; null where that address cannot be bound. */
async function startTrap(onConnection: () => void): Promise<{ server: Server; port: number } | null> {
  const server = createServer((_req, res) => res.writeHead(418).end());
  server.on('connection', onConnection);
  server.listen(0, '127.0.0.2');
  try {
    await once(server, 'listening');
  } catch {
    return null;
  }
  return { server, port: (server.address() as AddressInfo).port };
}

async function closeServer(server: Server): Promise<void> {
  const closed = once(server, 'close');
  server.close();
  server.closeAllConnections();
  await closed;
}
