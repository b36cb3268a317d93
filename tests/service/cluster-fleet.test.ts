/**
 * A fleet as an operator starts it: two schedulers and three workers at once on a brand-new
 * database (the migrations and pg-boss's schema raced), then every one of their PostgreSQL
 * sessions ended by the server (pg_terminate_backend, as an operator or a failover would),
 * while they fetch and while they send a digest. Ground truth: the feed server's request log
 * and the SMTP server's messages. README ("How work is shared"): a killed connection delays
 * work, never doubles it: each feed fetched once and never twice at once, one run, each
 * recipient mailed once, every process still running and hearing wake-ups again.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresStore } from '../../src/storage/postgres/postgres-store.ts';
import { freshDatabase } from '../helpers/fresh-database.ts';
import { owedDigest } from '../helpers/owed-digest.ts';
import { startService, message, type RunningService } from '../helpers/service.ts';
import { smtpServerForTest } from '../helpers/smtp-server.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';
import { untilWithin } from '../helpers/until.ts';

const FEEDS = 12;
const dir = makeTempDir();
let server: Server;
let base = '';
const requests: Array<{ feed: string; start: number; end: number | null }> = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const feed = /^\/(f\d+)\.xml$/.exec(req.url ?? '')?.[1];
    if (!feed) return void res.writeHead(404).end();
    const entry = { feed, start: Date.now(), end: null as number | null };
    requests.push(entry);
    res.on('close', () => (entry.end = Date.now()));
    // Held a while, so two fetches of one feed at once could not go unseen.
    setTimeout(() => {
      res.writeHead(200, { 'content-type': 'application/rss+xml' })
        .end(`<?xml version="1.0"?><rss version="2.0"><channel><title>${feed}</title>
<item><title>The column of ${feed}</title><link>https://${feed}.example.com/one</link><guid>${feed}-1</guid></item></channel></rss>`);
    }, 300);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const until = untilWithin(40_000, 'fleet test');

const feedLine = (id: string) => `  - url: ${base}/${id}.xml\n    id: ${id}`;

/** Two schedulers (one serving HTTP) and three workers, all started at once. */
function startFleet(
  config: string,
  env: Record<string, string>,
  name: string,
): { schedulers: RunningService[]; workers: RunningService[] } {
  const start = (process: string, roles: string) => startService(config, join(dir, `${name}-${process}`), env, ['run', '--roles', roles]);
  return {
    schedulers: [start('s1', 'http,scheduler'), start('s2', 'scheduler')],
    workers: [start('w1', 'worker'), start('w2', 'worker'), start('w3', 'worker')],
  };
}

describe('a fleet of five processes on one new database', () => {
  it('migrates once, fetches each feed once and never twice at once, and carries on after its sessions are terminated', async () => {
    const database = await freshDatabase();
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
        ...Array.from({ length: FEEDS }, (_, index) => feedLine(`f${index}`)),
        '',
      ].join('\n'),
    );
    const { schedulers, workers } = startFleet(
      config,
      { COLUMNWIRE_DATABASE_URL: database.url, COLUMNWIRE_CLUSTER_TICK_SECONDS: '2' },
      'poll',
    );
    const fleet = [...schedulers, ...workers];
    await Promise.all(fleet.map((process) => process.waitForLog(message('columnwire started'), 'the process started')));
    const db = new pg.Client({ connectionString: database.url });
    await db.connect();
    try {
      const fetched = () =>
        db.query<{ n: string }>(`SELECT count(*) AS n FROM feeds WHERE last_success_at IS NOT NULL`).then((r) => Number(r.rows[0]!.n));
      await until(fetched, (count) => count === FEEDS, `all ${FEEDS} feeds fetched`);
      await db.end();

      // Every session of the fleet ended by the server, the LISTEN ones included.
      expect(await database.terminateSessions()).toBeGreaterThan(fleet.length);
      await Promise.all(
        workers.map((worker) =>
          worker.waitForLog(message('job wake-ups heard again (LISTEN); idle fetchers wait for them'), 'LISTEN made again'),
        ),
      );
      // A feed added and reloaded everywhere: planned, fetched and stored once.
      writeFileSync(config, `${readFileSync(config, 'utf8')}${feedLine('f99')}\n`);
      for (const process of fleet) process.child.kill('SIGHUP');
      const again = new pg.Client({ connectionString: database.url });
      await again.connect();
      try {
        const added = () =>
          again
            .query<{ n: string }>(`SELECT count(*) AS n FROM feeds WHERE id = 'f99' AND last_success_at IS NOT NULL`)
            .then((r) => Number(r.rows[0]!.n));
        await until(added, (count) => count === 1, 'the added feed fetched');
        const stories = await again.query<{ n: string; links: string }>(`SELECT count(*) AS n, count(DISTINCT link) AS links FROM stories`);
        expect(stories.rows[0]).toEqual({ n: String(FEEDS + 1), links: String(FEEDS + 1) });
        // Each migration applied once, however many processes raced to apply it.
        const versions = await again.query<{ n: string; distinct: string }>(
          `SELECT count(*) AS n, count(DISTINCT version) AS distinct FROM columnwire_schema`,
        );
        expect(versions.rows[0]!.n).toBe(versions.rows[0]!.distinct);
      } finally {
        await again.end();
      }
      for (const feed of [...new Set(requests.map((request) => request.feed))]) {
        expect(requests.filter((request) => request.feed === feed).length, `${feed} fetched more than once`).toBe(1);
      }
      for (const process of fleet) expect(process.child.exitCode, process.stderr()).toBe(null);
      // Through /healthz of the http process too.
      expect((await fetch(`${await schedulers[0]!.url()}/healthz`)).status).toBe(200);
    } finally {
      await db.end().catch(() => {});
    }
  }, 60_000);

  it('creates one run and mails each recipient once while every session is terminated twice mid-send', async () => {
    const database = await freshDatabase();
    const RECIPIENTS = 400;
    const { config } = await owedDigest(
      dir,
      'fleet',
      Array.from({ length: RECIPIENTS }, (_, index) => `reader${String(index).padStart(3, '0')}@example.org`),
      database.url,
    );
    const smtp = await smtpServerForTest();
    const cuts: Array<Promise<number>> = [];
    smtp.options = {
      afterMessage: ({ accepted }) => {
        if (accepted === 80 || accepted === 220) cuts.push(database.terminateSessions());
      },
    };
    const { schedulers, workers } = startFleet(
      config,
      { COLUMNWIRE_DATABASE_URL: database.url, COLUMNWIRE_CLUSTER_TICK_SECONDS: '2', SMTP_URL: smtp.url },
      'digest',
    );
    const fleet = [...schedulers, ...workers];
    const recipients = () => Promise.resolve(new Set(smtp.messages.flatMap((mail) => mail.rcptTo)).size);
    await until(recipients, (count) => count === RECIPIENTS, `all ${RECIPIENTS} recipients mailed`, 60_000);
    expect(cuts).toHaveLength(2);
    for (const ended of await Promise.all(cuts)) expect(ended).toBeGreaterThan(0);
    const store = await createPostgresStore(database.url);
    try {
      const finished = () => store.listDigestRuns('daily', 10);
      const runs = await until(finished, (list) => list[0]?.status === 'done', 'the run done', 30_000);
      // The one made two days ago, and one new.
      expect(runs).toHaveLength(2);
      const deliveries = await store.deliveries(runs[0]!.id);
      expect(deliveries).toHaveLength(RECIPIENTS);
      expect(deliveries.filter((delivery) => delivery.status !== 'sent')).toEqual([]);
      await smtp.settled();
      const copies = new Map<string, number>();
      for (const mail of smtp.messages) for (const to of mail.rcptTo) copies.set(to, (copies.get(to) ?? 0) + 1);
      expect([...copies].filter(([, count]) => count > 1)).toEqual([]);
      for (const process of fleet) expect(process.child.exitCode, process.stderr()).toBe(null);
    } finally {
      await store.close();
    }
  }, 120_000);
});
