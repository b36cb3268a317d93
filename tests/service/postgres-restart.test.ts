/**
 * Issue 12: PostgreSQL restarted under a running cluster process (`pg_ctl restart -m fast` on a
 * server of the test's own, as an operator's upgrade or failover would): the process does not
 * crash, its pools reconnect, /healthz answers again, feeds added after the restart are planned,
 * fetched and stored, and nothing is stored twice.
 */
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterBinaries, startThrowawayCluster, type ThrowawayCluster } from '../helpers/postgres-server.ts';
import { message, startService } from '../helpers/service.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const dir = makeTempDir();
let feeds: Server;
let base = '';
let cluster: ThrowawayCluster | undefined;
const fetched: string[] = [];

beforeAll(async () => {
  feeds = createServer((req, res) => {
    const feed = /^\/(f\d+)\.xml$/.exec(req.url ?? '')?.[1];
    if (!feed) return void res.writeHead(404).end();
    fetched.push(feed);
    res.writeHead(200, { 'content-type': 'application/rss+xml' })
      .end(`<?xml version="1.0"?><rss version="2.0"><channel><title>${feed}</title>
<item><title>The column of ${feed}</title><link>https://${feed}.example.com/one</link><guid>${feed}-1</guid><pubDate>Fri, 04 Dec 2026 08:00:00 GMT</pubDate></item></channel></rss>`);
  });
  await new Promise<void>((resolve) => feeds.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(feeds.address() as AddressInfo).port}`;
});

afterAll(async () => {
  cluster?.stop();
  await new Promise<void>((resolve) => feeds.close(() => resolve()));
});

/** Polls `read` (retrying through connection errors) until `done`. */
async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string, timeoutMs = 60_000): Promise<T> {
  const started = Date.now();
  let last: unknown;
  for (;;) {
    try {
      const value = await read();
      if (done(value)) return value;
      last = value;
    } catch (error) {
      last = (error as Error).message;
    }
    if (Date.now() - started > timeoutMs)
      throw new Error(`postgres restart test: timed out waiting for ${what} (last: ${JSON.stringify(last)})`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const configYaml = (count: number) =>
  [
    'server:',
    '  port: 0',
    'poll:',
    '  allowPrivateAddresses: true',
    '  timeoutSeconds: 3',
    'feeds:',
    ...Array.from({ length: count }, (_, index) => `  - url: ${base}/f${index}.xml\n    id: f${index}`),
    '',
  ].join('\n');

// A server of its own is needed to restart one; CI installs PostgreSQL's binaries (.ci/run).
describe.runIf(clusterBinaries() !== undefined || process.env.CI === 'true')('a cluster process across a PostgreSQL restart', () => {
  it('keeps running, reconnects, and plans, fetches and stores feeds added after the restart, each once', async () => {
    cluster = await startThrowawayCluster();
    const admin = new pg.Client({ connectionString: cluster.adminUrl });
    await admin.connect();
    await admin.query('CREATE DATABASE columnwire_restart');
    await admin.end();
    const databaseUrl = cluster.adminUrl.replace(/\/postgres$/, '/columnwire_restart');
    const config = join(dir, 'feeds.yaml');
    writeFileSync(config, configYaml(3));
    const service = startService(
      config,
      join(dir, 'data'),
      { COLUMNWIRE_DATABASE_URL: databaseUrl, COLUMNWIRE_CLUSTER_TICK_SECONDS: '1' },
      ['run'],
    );
    const url = await service.url();
    const stories = async () => {
      const client = new pg.Client({ connectionString: databaseUrl });
      await client.connect();
      try {
        const { rows } = await client.query<{ n: string; links: string }>(
          'SELECT count(*) AS n, count(DISTINCT link) AS links FROM stories',
        );
        return { n: Number(rows[0]!.n), links: Number(rows[0]!.links) };
      } finally {
        await client.end();
      }
    };
    await until(stories, (count) => count.n === 3, 'the first three feeds stored');

    const startedAt = async () => {
      const client = new pg.Client({ connectionString: databaseUrl });
      await client.connect();
      try {
        return String((await client.query<{ at: Date }>('SELECT pg_postmaster_start_time() AS at')).rows[0]!.at.getTime());
      } finally {
        await client.end();
      }
    };
    const before = await startedAt();
    cluster.restart();
    expect(await startedAt(), 'the server restarted').not.toBe(before);
    // The service is still there, and answers again once its pool has reconnected.
    await until(
      async () => (await fetch(`${url}/healthz`)).status,
      (status) => status === 200,
      '/healthz after the restart',
    );
    writeFileSync(config, configYaml(5));
    service.child.kill('SIGHUP');
    await until(stories, (count) => count.n === 5, 'the two feeds added after the restart stored');
    expect(await stories()).toEqual({ n: 5, links: 5 });
    console.info(
      `across the restart: ${
        service.logs
          .filter((line) => Number(line.level) >= 40)
          .map((line) => line.msg)
          .join('; ') || 'no warning'
      }`,
    );
    expect(fetched.filter((feed) => feed === 'f3')).toHaveLength(1);
    expect(fetched.filter((feed) => feed === 'f4')).toHaveLength(1);
    expect(service.child.exitCode, service.stderr()).toBeNull();
    expect(service.logs.filter(message('columnwire crashed'))).toEqual([]);
    service.child.kill('SIGTERM');
    expect(await service.exited).toBe(0);
  }, 120_000);
});
