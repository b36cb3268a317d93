/**
 * The ingest benchmark's moving parts: the feed server child process (and switching its
 * version), the raw `fetch` floor, the bodies for the parse floor, the bench config, and one
 * measured pollAll pass with its outcome totals.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { App } from '../src/app.ts';
import { countOutcomes, pollAll } from '../src/feeds/poll-all.ts';
import type { ServerMessage, ServerRequest } from './feed-server.ts';
import { feedPath, type FeedVersion } from './generate-feeds.ts';
import { runPool } from './measure.ts';

type Stats = Extract<ServerMessage, { type: 'stats' }>;
type Switched = Extract<ServerMessage, { type: 'version' }>;

export interface FeedServer {
  pid: number;
  port: number;
  urls: string[];
  bytes: number;
  generateMs: number;
  stats(): Promise<Stats>;
  /** Serves `version` of every feed from now on; resolves once the server has switched. */
  setVersion(version: FeedVersion): Promise<Switched>;
  close(): void;
}

/** Forks bench/feed-server.ts with `feeds` feeds under `node --import tsx` and waits for it to report its port. */
export function startFeedServer(feeds: number, timeoutMs = 120_000): Promise<FeedServer> {
  const child: ChildProcess = fork(fileURLToPath(new URL('./feed-server.ts', import.meta.url)), [String(feeds)], {
    execArgv: ['--import', 'tsx'], // not the parent's flags: a --cpu-prof run profiles the poller only
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const close = (): void => {
    if (child.exitCode === null && child.signalCode === null) child.kill();
  };
  process.once('exit', close);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`bench: feed server sent no port within ${timeoutMs} ms`)), timeoutMs);
    const fail = (error: Error): void => {
      clearTimeout(timer);
      close();
      reject(error);
    };
    child.once('error', (cause) => fail(new Error('bench: cannot start the feed server', { cause })));
    child.once('exit', (code, signal) => fail(new Error(`bench: feed server exited early (code ${code}, signal ${signal})`)));
    child.once('message', (message: ServerMessage) => {
      if (message.type !== 'ready') return fail(new Error(`bench: unexpected first message from the feed server: ${message.type}`));
      clearTimeout(timer);
      child.removeAllListeners('exit');
      const urls = Array.from({ length: message.feeds }, (_, feed) => `http://127.0.0.1:${message.port}${feedPath(feed)}`);
      // One question at a time: the bench awaits each answer before it asks again.
      const ask = <T extends ServerMessage['type']>(request: ServerRequest, answer: T): Promise<Extract<ServerMessage, { type: T }>> =>
        new Promise((settle) => {
          const onMessage = (reply: ServerMessage): void => {
            if (reply.type !== answer) return;
            child.off('message', onMessage);
            settle(reply as Extract<ServerMessage, { type: T }>);
          };
          child.on('message', onMessage);
          child.send(request);
        });
      resolve({
        pid: child.pid!,
        port: message.port,
        urls,
        bytes: message.bytes,
        generateMs: message.generateMs,
        stats: () => ask({ type: 'stats' }, 'stats'),
        setVersion: (version) => ask({ type: 'version', version }, 'version'),
        close,
      });
    });
  });
}

/** What a raw fetch pass saw. */
export interface RawResult {
  statuses: Map<number, number>;
  bytes: number;
  etags: Array<string | null>;
}

/** The floor: plain fetch of every URL, `concurrency` at a time, each body read to the end. */
export async function fetchRaw(urls: readonly string[], concurrency: number, etags?: ReadonlyArray<string | null>): Promise<RawResult> {
  const result: RawResult = { statuses: new Map(), bytes: 0, etags: urls.map(() => null) };
  await runPool(urls, concurrency, async (url, index) => {
    const etag = etags?.[index];
    const response = await fetch(url, etag ? { headers: { 'if-none-match': etag } } : {});
    result.bytes += (await response.arrayBuffer()).byteLength;
    result.statuses.set(response.status, (result.statuses.get(response.status) ?? 0) + 1);
    result.etags[index] = response.headers.get('etag');
  });
  return result;
}

/** Every feed's body as bytes, fetched once (untimed): the parse floor's input, decoded in the floor as ours decodes it. */
export async function fetchBodies(urls: readonly string[], concurrency: number): Promise<Uint8Array[]> {
  const bodies: Uint8Array[] = urls.map(() => new Uint8Array());
  await runPool(urls, concurrency, async (url, index) => {
    const response = await fetch(url);
    if (response.status !== 200) throw new Error(`bench: ${url} answered ${response.status}, expected 200`);
    bodies[index] = new Uint8Array(await response.arrayBuffer());
  });
  return bodies;
}

/** feeds.yaml text for the bench: every served feed, concurrency shared with the host limit. */
export function benchConfigYaml(urls: readonly string[], concurrency: number): string {
  const feeds = urls.map((url, index) => `  - url: ${url}\n    id: bench-${String(index).padStart(4, '0')}`);
  return [
    'title: Columnwire bench',
    // Generated dates are fixed (2023–2025): retention would turn them into tombstones.
    'retentionDays: 0',
    'poll:',
    `  concurrency: ${concurrency}`,
    `  perHostConcurrency: ${concurrency}`,
    '  allowPrivateAddresses: true',
    'feeds:',
    ...feeds,
    '',
  ].join('\n');
}

/** One manual poll cycle over every feed, with outcome totals and the items it parsed. */
export async function pollPass(app: App) {
  const summary = await pollAll(app.config, app.poll, { mode: 'manual' });
  let items = 0;
  const errors: string[] = [];
  for (const { feed, outcome } of summary.results) {
    if (outcome.kind === 'stored') items += outcome.itemCount;
    if (outcome.kind === 'failed') errors.push(`${feed.id}: ${outcome.error}`);
  }
  return { totals: countOutcomes(summary.results), items, errors };
}
