/**
 * Config drift in the scale-out mode: a worker started (or restarted by its supervisor, or sent
 * SIGHUP) with another feeds.yaml than the scheduler's. Every process must read the same file
 * (README, "Scaling out"), but a stale copy on one worker's machine must not reconfigure the
 * cluster: the feed list in PostgreSQL is the scheduler's, so the worker neither retires the
 * feeds it lacks nor moves a feed back to an old URL, and a job for a feed it lacks is handed
 * back (and said so) for a worker that has it, rather than left queued for minutes in silence.
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

const dir = makeTempDir();
let server: Server;
let base = '';
const requests: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    requests.push(req.url ?? '');
    const feed = /^\/(\w+)\.xml$/.exec(req.url ?? '')?.[1] ?? 'x';
    res.writeHead(200, { 'content-type': 'application/rss+xml' })
      .end(`<?xml version="1.0"?><rss version="2.0"><channel><title>${feed}</title>
<item><title>The column of ${feed}</title><link>https://${feed}.example.com/one</link><guid>${feed}-1</guid></item></channel></rss>`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** A config of `feeds`, each `id=path`. */
const configOf = (feeds: string[]) =>
  [
    'server:',
    '  port: 0',
    'poll:',
    '  allowPrivateAddresses: true',
    '  timeoutSeconds: 2',
    '  parseTimeoutSeconds: 1',
    'feeds:',
    ...feeds.map((feed) => `  - url: ${base}/${feed.split('=')[1]}.xml\n    id: ${feed.split('=')[0]}`),
    '',
  ].join('\n');

const until = untilWithin(30_000, 'drift test');

describe('a worker reading another feeds.yaml than the scheduler', () => {
  it("leaves the scheduler's feed list alone, at start and on SIGHUP, and hands back the jobs of feeds it lacks", async () => {
    const schema = await postgresBackend.newLocation();
    const databaseUrl = schemaUrl(schema);
    const current = join(dir, 'current.yaml');
    const stale = join(dir, 'stale.yaml');
    writeFileSync(current, configOf(['f0=f0', 'f1=f1', 'f2=f2', 'f3=f3']));
    // An older copy: f2 and f3 not added yet, f1 still at its old address.
    writeFileSync(stale, configOf(['f0=f0', 'f1=old1']));
    const env = { COLUMNWIRE_DATABASE_URL: databaseUrl, COLUMNWIRE_QUEUE_SCHEMA: `${schema}_jobs`, COLUMNWIRE_CLUSTER_TICK_SECONDS: '2' };
    const start = (config: string, name: string, roles: string) => startService(config, join(dir, name), env, ['run', '--roles', roles]);
    const scheduler = start(current, 's', 'http,scheduler');
    await scheduler.waitForLog(message('columnwire started'), 'the scheduler started');
    const drifted = start(stale, 'w-stale', 'worker');
    await drifted.waitForLog(message('columnwire started'), 'the stale worker started');

    const db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    try {
      const feedList = async () =>
        (
          await db.query<{ id: string; in_config: number; configured_url: string }>(
            `SELECT id, in_config, configured_url FROM feeds ORDER BY id`,
          )
        ).rows.map((row) => `${row.id} ${row.in_config} ${row.configured_url.replace(base, '')}`);
      const expected = ['f0 1 /f0.xml', 'f1 1 /f1.xml', 'f2 1 /f2.xml', 'f3 1 /f3.xml'];
      expect(await feedList()).toEqual(expected);

      // Alone, it is given f2 or f3 soon: it says why it skips it and hands it back.
      const skipped = await drifted.waitForLog(
        message('poll job for a feed not in this feeds.yaml; handed back (every process must read the same feeds.yaml)'),
        'a skipped job',
      );
      expect(['f2', 'f3']).toContain(skipped.feedId);
      expect(skipped.config).toBe(stale);

      // A reload of the stale file changes nothing either.
      drifted.child.kill('SIGHUP');
      await drifted.waitForLog(message('config reloaded'), 'the stale worker reloaded');
      expect(await feedList()).toEqual(expected);

      // A worker with the current file takes what the stale one handed back, at the next ticks.
      const fresh = start(current, 'w-current', 'worker');
      await fresh.waitForLog(message('columnwire started'), 'the current worker started');
      const fetched = () =>
        db.query<{ n: string }>(`SELECT count(*) AS n FROM feeds WHERE last_success_at IS NOT NULL`).then((r) => Number(r.rows[0]!.n));
      await until(fetched, (count) => count === 4, 'all 4 feeds fetched');
      expect(requests).not.toContain('/old1.xml');
      expect(drifted.child.exitCode).toBe(null);
    } finally {
      await db.end();
    }
  }, 60_000);
});
