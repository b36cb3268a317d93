import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databasePath } from '../../src/app.ts';
import { CLI, runCli } from '../helpers/run-cli.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const FEEDS = 40;
const ITEMS = 50;
const dir = makeTempDir();
let server: Server;
let served = 0;
let onServed: (() => void) | null = null;

function feedXml(feed: number): string {
  const items = Array.from(
    { length: ITEMS },
    (_, index) => `<item><title>Column ${index} of writer ${feed} on the state of things</title>
<link>https://writer${feed}.example.com/columns/${index}</link><guid>w${feed}-c${index}</guid>
<pubDate>${new Date(Date.UTC(2026, 10, 20, 0, index)).toUTCString()}</pubDate><description>${'Words. '.repeat(150)}</description></item>`,
  );
  return `<?xml version="1.0"?><rss version="2.0"><channel><title>Writer ${feed}</title><link>https://writer${feed}.example.com/</link>${items.join('')}</channel></rss>`;
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const feed = Number(/\/feed\/(\d+)/.exec(req.url ?? '')?.[1]);
    res.writeHead(200, { 'content-type': 'application/rss+xml', etag: `"f${feed}"` });
    res.end(feedXml(feed), () => {
      served++;
      onServed?.();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const feeds = Array.from({ length: FEEDS }, (_, feed) => `  - url: ${base}/feed/${feed}\n    id: writer-${feed}\n`).join('');
  writeFileSync(
    join(dir, 'feeds.yaml'),
    `poll:\n  allowPrivateAddresses: true\n  concurrency: 4\n  perHostConcurrency: 4\nfeeds:\n${feeds}`,
  );
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function storedPerFeed(): Array<{ id: string; etag: string | null; stories: number }> {
  const db = new BetterSqlite3(databasePath(join(dir, 'data')), { readonly: true });
  try {
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    return db
      .prepare(`SELECT f.id, f.etag, (SELECT count(*) FROM story_sources s WHERE s.feed_id = f.id) AS stories FROM feeds f`)
      .all() as never;
  } finally {
    db.close();
  }
}

describe('crash safety', () => {
  it('leaves every feed fully stored or untouched when the process is killed mid-poll', async () => {
    const args = [CLI, '--config', join(dir, 'feeds.yaml'), '--data', join(dir, 'data'), 'poll'];
    const child = spawn(process.execPath, args, { stdio: 'ignore', env: { ...process.env, LOG_LEVEL: 'silent' } });
    const exited = new Promise((resolve) => child.on('exit', resolve));
    // Kill as soon as a dozen feeds have been served: some stored, some in flight, most not fetched.
    onServed = () => {
      if (served >= 12) child.kill('SIGKILL');
    };
    await exited;
    onServed = null;

    const afterKill = storedPerFeed();
    for (const feed of afterKill) {
      expect([0, ITEMS]).toContain(feed.stories);
      expect(feed.etag !== null).toBe(feed.stories === ITEMS); // state and items commit together
    }
    expect(afterKill.filter((feed) => feed.stories === 0).length).toBeGreaterThan(0);

    const rerun = await runCli(['--config', join(dir, 'feeds.yaml'), '--data', join(dir, 'data'), 'poll']);
    expect(rerun.code).toBe(0);
    const final = storedPerFeed();
    expect(final.every((feed) => feed.stories === ITEMS)).toBe(true);
    const db = new BetterSqlite3(databasePath(join(dir, 'data')), { readonly: true });
    expect(db.prepare('SELECT count(*) AS n FROM stories').get()).toEqual({ n: FEEDS * ITEMS });
    db.close();
  });
});
