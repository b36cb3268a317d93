import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.ts';
import { parseConfig } from '../../src/config/load.ts';
import { createLogger } from '../../src/logger.ts';
import { serveForTest, type Handler } from '../helpers/feed-server.ts';
import { configYaml, rssFeed } from '../helpers/poll-app.ts';
import { runCli } from '../helpers/run-cli.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const root = makeTempDir();
const FEEDS = 40;
const ROUNDS = 3;

/** A feed with 30 items plus one new item on every request, so every fetch writes. */
function growingFeed(name: string): Handler {
  let requests = 0;
  return (_req, res) => {
    requests++;
    // Dated now, so retention keeps them.
    const pubDate = new Date().toUTCString();
    const fresh = `<item><title>${name} fresh ${requests}</title><link>https://${name}.example/fresh/${requests}</link><pubDate>${pubDate}</pubDate></item>`;
    res.writeHead(200, { 'content-type': 'application/rss+xml' });
    res.end(
      rssFeed(name, 30)
        .replace(/<pubDate>[^<]*<\/pubDate>/g, `<pubDate>${pubDate}</pubDate>`)
        .replace('</channel>', `${fresh}</channel>`),
    );
  };
}

describe('two columnwire poll processes at once', () => {
  it('fail no feed and back none off: a lock wait is never a feed error', async () => {
    const names = Array.from({ length: FEEDS }, (_, n) => `writer${n}`);
    const server = await serveForTest(Object.fromEntries(names.map((name) => [`/${name}.xml`, growingFeed(name)])));
    const configPath = join(root, 'feeds.yaml');
    const yaml = configYaml(Object.fromEntries(names.map((name) => [name, server.url(`/${name}.xml`)])));
    writeFileSync(configPath, yaml);
    const dataDir = join(root, 'data');
    const args = ['--config', configPath, '--data', dataDir, 'poll', '--force'];
    for (let round = 1; round <= ROUNDS; round++) {
      const results = await Promise.all([runCli(args), runCli(args)]);
      console.log(results.map((result) => result.stdout.trim().split('\n').at(-1)).join('\n'));
      for (const result of results) {
        expect(result.code).toBe(0);
        expect(result.stdout).not.toMatch(/failed:|locked/);
        expect(result.stdout).toContain(`${FEEDS} feeds:`);
        expect(result.stdout).toContain(' 0 failed');
      }
    }
    const app = await createApp({
      config: parseConfig(yaml, configPath),
      dataDir,
      logger: createLogger({ level: 'silent' }),
      syncFeeds: false,
    });
    try {
      const feeds = await app.store.listFeeds();
      expect(feeds).toHaveLength(FEEDS);
      expect(feeds.filter((feed) => feed.consecutiveErrors > 0 || feed.waitReason === 'backoff' || feed.lastError !== null)).toEqual([]);
      // Every fetch stored its fresh item: 30 + one per request, for every feed.
      expect(server.requests).toHaveLength(FEEDS * 2 * ROUNDS);
      expect(await app.store.countStories()).toBe(FEEDS * (30 + 2 * ROUNDS));
    } finally {
      await app.close();
    }
  }, 180_000);
});
