/**
 * The scale-out mode end to end: real `columnwire run --roles …` processes on one PostgreSQL —
 * two schedulers (one also serving HTTP) and two workers, one of which is killed with SIGKILL
 * while it fetches. A request log kept by the feed server is the ground truth: no feed is ever
 * fetched by two workers at once, every feed is stored once (fetched again only if the killed worker had it in flight), nothing is fetched
 * again before it is due, and every column is stored once.
 */
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, message } from '../helpers/service.ts';
import { postgresBackend, schemaUrl } from '../helpers/store-backends.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';
import { untilWithin } from '../helpers/until.ts';

const FEEDS = 24;
const HOLD_MS = 700;
const dir = makeTempDir();
let server: Server;
let base = '';
const requests: Array<{ feed: string; start: number; end: number | null; completed: boolean }> = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const feed = /^\/(f\d+)\.xml$/.exec(req.url ?? '')?.[1];
    if (!feed) return void res.writeHead(404).end();
    const entry = { feed, start: Date.now(), end: null as number | null, completed: false };
    requests.push(entry);
    res.on('close', () => (entry.end = Date.now()));
    res.on('finish', () => (entry.completed = true));
    // Held a while, so a second fetch of the same feed at the same time could not go unseen.
    setTimeout(() => {
      res.writeHead(200, { 'content-type': 'application/rss+xml' })
        .end(`<?xml version="1.0"?><rss version="2.0"><channel><title>${feed}</title>
<item><title>The one column of ${feed} on the budget</title><link>https://${feed}.example.com/one</link><guid>${feed}-1</guid><pubDate>Fri, 04 Dec 2026 08:00:00 GMT</pubDate></item></channel></rss>`);
    }, HOLD_MS);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const until = untilWithin(60_000, 'cluster test');

describe('columnwire run --roles on PostgreSQL, several processes', () => {
  it('fetches every due feed once, never by two workers at once, through a worker killed mid-poll and two schedulers', async () => {
    const schema = await postgresBackend.newLocation();
    const databaseUrl = schemaUrl(schema);
    const config = join(dir, 'feeds.yaml');
    writeFileSync(
      config,
      [
        'server:',
        '  port: 0',
        'poll:',
        '  allowPrivateAddresses: true',
        '  concurrency: 4',
        '  perHostConcurrency: 16',
        '  timeoutSeconds: 3',
        '  parseTimeoutSeconds: 2',
        'feeds:',
        ...Array.from({ length: FEEDS }, (_, index) => `  - url: ${base}/f${index}.xml\n    id: f${index}`),
        '',
      ].join('\n'),
    );
    const env = {
      COLUMNWIRE_DATABASE_URL: databaseUrl,
      COLUMNWIRE_QUEUE_SCHEMA: `${schema}_jobs`,
      COLUMNWIRE_CLUSTER_TICK_SECONDS: '2',
    };
    const start = (name: string, roles: string) => startService(config, join(dir, name), env, ['run', '--roles', roles]);
    // The workers first, so the first planner tick finds both ready.
    const workers = [start('w1', 'worker'), start('w2', 'worker')];
    await Promise.all(workers.map((worker) => worker.waitForLog(message('columnwire started'), 'the worker started')));
    const web = start('s1', 'http,scheduler');
    const second = start('s2', 'scheduler');
    // Killed while fetches are in flight (each is held 700 ms): its leases die with it.
    await until(
      () => Promise.resolve(requests.length),
      (count) => count >= 6,
      'fetches in flight',
    );
    const killed = workers[0]!.child;
    const exited = new Promise((resolve) => killed.once('exit', resolve));
    killed.kill('SIGKILL');
    // Once it is gone: the signal takes a moment to land, and a fetch the worker began meanwhile
    // was still its own (CI saw one begin 2 ms after kill() returned).
    await exited;
    const killedAt = Date.now();
    const db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    try {
      const fetched = () =>
        db.query<{ n: string }>(`SELECT count(*) AS n FROM feeds WHERE last_success_at IS NOT NULL`).then((r) => Number(r.rows[0]!.n));
      await until(fetched, (count) => count === FEEDS, `all ${FEEDS} feeds fetched`);
      // Two more ticks: nothing is due again for 30 minutes, so nothing more is fetched.
      const seen = requests.length;
      await new Promise((resolve) => setTimeout(resolve, 5_000));
      expect(requests.length).toBe(seen);

      for (let index = 0; index < FEEDS; index++) {
        const ofFeed = requests.filter((request) => request.feed === `f${index}`).sort((a, b) => a.start - b.start);
        expect(ofFeed.filter((request) => request.completed).length, `f${index} never fetched to the end`).toBeGreaterThanOrEqual(1);
        // Fetched again only when the killed worker had it in flight (its answer went nowhere).
        if (ofFeed.length > 1) expect(ofFeed[0]!.start, `f${index} fetched twice, not for the kill`).toBeLessThanOrEqual(killedAt);
        expect(ofFeed.length, `f${index}`).toBeLessThanOrEqual(2);
        for (let later = 1; later < ofFeed.length; later++) {
          expect(ofFeed[later]!.start, `f${index} fetched twice at once`).toBeGreaterThanOrEqual(ofFeed[later - 1]!.end ?? Infinity);
        }
      }
      const stories = await db.query<{ n: string; distinct: string }>(
        `SELECT count(*) AS n, count(DISTINCT link) AS distinct FROM stories`,
      );
      expect(stories.rows[0]).toEqual({ n: String(FEEDS), distinct: String(FEEDS) });
      const leases = await db.query(`SELECT id FROM feeds WHERE lease_until IS NOT NULL OR queued_at IS NOT NULL`);
      expect(leases.rows).toEqual([]);
      // The schedulers shared the ticks: each feed queued once, plus what the killed worker held (its 4 loops), queued again.
      const queued = [...web.logs, ...second.logs]
        .filter((line) => line.msg === 'poll planner queued the due feeds')
        .reduce((sum, line) => sum + Number(line.queued), 0);
      const retried = requests.length - FEEDS;
      console.log(
        `cluster poll: ${FEEDS} feeds, ${requests.length} requests, ${retried} in flight at the kill and fetched again, ${queued} queued by the planners`,
      );
      expect(queued).toBeGreaterThanOrEqual(FEEDS + retried);
      expect(queued).toBeLessThanOrEqual(FEEDS + 4);
      // The HTTP role serves what the workers stored.
      const feed = (await (await fetch(`${await web.url()}/feed.json`)).json()) as { items: unknown[] };
      expect(feed.items).toHaveLength(FEEDS);
    } finally {
      await db.end();
    }
  }, 120_000);
});
