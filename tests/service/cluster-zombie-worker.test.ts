/**
 * A worker stopped (SIGSTOP: a paused VM, a process swapped out, a long GC) while it fetches a
 * feed, past its lease; the planner gives the feed to another worker, which stores what it
 * fetches. Then the stopped worker resumes (SIGCONT) and its fetch answers: the lease's fencing
 * token keeps it from writing anything (README, "How work is shared"), the other worker's
 * result stands, and the resumed worker carries on.
 */
import { writeFileSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { message, startService } from '../helpers/service.ts';
import { postgresBackend, schemaUrl } from '../helpers/store-backends.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';
import { untilWithin } from '../helpers/until.ts';

const dir = makeTempDir();
let server: Server;
let base = '';
/** The first fetch, held unanswered until the test answers it. */
let held: { res: ServerResponse; arrived: Promise<void>; arrive: () => void } | null = null;
let fetches = 0;

const rss = (title: string) => `<?xml version="1.0"?><rss version="2.0"><channel><title>Herald</title>
<item><title>${title}</title><link>https://herald.example.com/${title}</link><guid>${title}</guid></item></channel></rss>`;

beforeAll(async () => {
  let arrive = () => {};
  const arrived = new Promise<void>((resolve) => (arrive = resolve));
  held = { res: null as unknown as ServerResponse, arrived, arrive };
  server = createServer((_req, res) => {
    fetches++;
    if (fetches === 1) {
      held!.res = res;
      return held!.arrive();
    }
    res.writeHead(200, { 'content-type': 'application/rss+xml' }).end(rss('taken-over'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))));

const until = untilWithin(45_000, 'zombie test');

describe('a worker stopped past its lease while it fetches', () => {
  it('writes nothing when it resumes; the worker that took the feed over keeps its result', async () => {
    const schema = await postgresBackend.newLocation();
    const databaseUrl = schemaUrl(schema);
    const config = join(dir, 'feeds.yaml');
    // Lease: 2 × (0.5 + 0.5) + 10 = 12 s; the planner takes the feed back 12 s after it ends.
    writeFileSync(
      config,
      [
        'server:',
        '  port: 0',
        'poll:',
        '  allowPrivateAddresses: true',
        '  timeoutSeconds: 0.5',
        '  parseTimeoutSeconds: 0.5',
        'feeds:',
        `  - url: ${base}/herald.xml`,
        '    id: herald',
        '',
      ].join('\n'),
    );
    const env = { COLUMNWIRE_DATABASE_URL: databaseUrl, COLUMNWIRE_QUEUE_SCHEMA: `${schema}_jobs`, COLUMNWIRE_CLUSTER_TICK_SECONDS: '2' };
    const start = (name: string, roles: string) => startService(config, join(dir, name), env, ['run', '--roles', roles]);
    const stalled = start('w1', 'worker');
    await stalled.waitForLog(message('columnwire started'), 'the first worker started');
    start('s', 'scheduler');
    await held!.arrived;
    stalled.child.kill('SIGSTOP');
    const other = start('w2', 'worker');
    await other.waitForLog(message('columnwire started'), 'the second worker started');

    const db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    try {
      const titles = async () => (await db.query<{ title: string }>(`SELECT title FROM stories ORDER BY id`)).rows.map((row) => row.title);
      await until(titles, (list) => list.length > 0, 'the feed taken over and stored');
      expect(await titles()).toEqual(['taken-over']);

      // The stopped worker's fetch answers, and it runs again.
      held!.res.writeHead(200, { 'content-type': 'application/rss+xml' }).end(rss('zombie'));
      stalled.child.kill('SIGCONT');
      await stalled.waitForLog(message('feed lease taken over while polling; this result is dropped'), 'the zombie dropped its result');
      expect(await titles()).toEqual(['taken-over']);
      const feed = await db.query(`SELECT last_error, consecutive_errors, lease_owner FROM feeds WHERE id = 'herald'`);
      expect(feed.rows[0]).toMatchObject({ last_error: null, consecutive_errors: 0, lease_owner: null });
      expect(stalled.child.exitCode).toBe(null);
      expect(fetches).toBe(2);
    } finally {
      await db.end();
    }
  }, 60_000);
});
