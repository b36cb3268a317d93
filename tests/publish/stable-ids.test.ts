/**
 * Published entry ids (issue 10 §1): derived from the story's identity, not its rowid, so they
 * are the same whichever database or config order built them, and a restored backup never hands
 * a new story an id readers already saw (newsboat takes a known id for "already read").
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createApp, databasePath, type App } from '../../src/app.ts';
import { parseConfig } from '../../src/config/load.ts';
import { pollAll } from '../../src/feeds/poll-all.ts';
import { createLogger } from '../../src/logger.ts';
import { buildMergedFeed, type FeedFormat } from '../../src/publish/build-merged-feed.ts';
import { serveBody, serveForTest, type FeedServer } from '../helpers/feed-server.ts';
import { configYaml, START, startPollApp } from '../helpers/poll-app.ts';
import { readMergedFeed } from '../helpers/read-merged-feed.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const dataRoot = makeTempDir();
const FORMATS: readonly FeedFormat[] = ['rss', 'atom', 'json'];

interface Entry {
  title: string;
  link?: string;
  guid: string;
}

function rss(name: string, entries: readonly Entry[]): string {
  const items = entries.map(
    (entry, index) => `
    <item>
      <title>${entry.title}</title>${entry.link ? `\n      <link>${entry.link}</link>` : ''}
      <guid isPermaLink="false">${entry.guid}</guid>
      <pubDate>Sun, 01 Jun 2025 0${index % 10}:00:00 GMT</pubDate>
      <description>${entry.title}, in full.</description>
    </item>`,
  );
  return `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>${name}</title><link>https://${name}.example/</link><description>${name}</description>${items.join('')}
</channel></rss>
`;
}

/** Every format's published documents, read back as title → id (titles are unique here). */
async function publishedIds(app: App): Promise<Map<string, string>> {
  const stories = await app.store.listStories({ limit: 1000 });
  const sources = new Map(app.config.feeds.map((feed) => [feed.id, feed]));
  const byFormat = FORMATS.map((format) => {
    const text = buildMergedFeed(stories, { format, title: 'Columns', baseUrl: 'https://columns.example.net', sources, now: START });
    if (format === 'rss') expect(text.match(/<guid isPermaLink="false">/g)).toHaveLength(stories.length);
    return new Map(readMergedFeed(format, text).entries.map((entry) => [entry.title, entry.id]));
  });
  expect(byFormat[1]).toEqual(byFormat[0]);
  expect(byFormat[2]).toEqual(byFormat[0]);
  return byFormat[0]!;
}

describe('published entry ids', () => {
  it('are identical from two databases built from the same feeds in opposite config order', async () => {
    const server = await serveForTest({
      '/alpha.xml': serveBody(
        rss('alpha', [
          { title: 'Shared column on trains', link: 'https://news.example/trains?utm_source=alpha', guid: 'alpha-1' },
          { title: 'Alpha only, one', link: 'https://alpha.example/1', guid: 'alpha-2' },
          { title: 'Alpha only, two', link: 'https://alpha.example/2', guid: 'alpha-3' },
          { title: 'Alpha column with no link at all', guid: 'tag:alpha.example,2025:4' },
        ]),
      ),
      '/beta.xml': serveBody(
        rss('beta', [
          { title: 'Beta only, one', link: 'https://beta.example/1', guid: 'beta-1' },
          { title: 'Shared column on trains', link: 'https://news.example/trains', guid: 'beta-2' },
        ]),
      ),
    });
    const feeds = { alpha: server.url('/alpha.xml'), beta: server.url('/beta.xml') };
    // One fetch at a time, so config order is the order stories are stored in (and rowids differ).
    const forward = await startPollApp({ dataRoot, feeds, poll: { concurrency: 1 } });
    const backward = await startPollApp({ dataRoot, feeds: { beta: feeds.beta, alpha: feeds.alpha }, poll: { concurrency: 1 } });
    await forward.poll();
    await backward.poll();
    const ids = await publishedIds(forward.app);
    expect(ids.size).toBe(5);
    expect(await publishedIds(backward.app)).toEqual(ids);
    expect(new Set(ids.values()).size).toBe(5);
    for (const id of ids.values()) expect(id).toMatch(/^urn:columnwire:story:[0-9a-f]{32}$/);
  });

  it('are never taken by a different new story after a backup is restored', async () => {
    const old = [
      { title: 'First column', link: 'https://jane.example/1', guid: '1' },
      { title: 'Second column', link: 'https://jane.example/2', guid: '2' },
    ];
    const server = await serveForTest({ '/jane.xml': serveBody(rss('jane', old)) });
    const dataDir = mkdtempSync(join(dataRoot, 'restore-'));
    const backup = join(dataRoot, `backup-${Date.now()}.db`);
    let app = await openApp(server, dataDir);
    await pollAll(app.config, app.poll, { mode: 'manual' });
    await app.store.backup(backup);

    const third = { title: 'Third column, later pulled', link: 'https://jane.example/3', guid: '3' };
    server.setRoute('/jane.xml', serveBody(rss('jane', [third, ...old])));
    await pollAll(app.config, app.poll, { mode: 'manual' });
    const seen = await publishedIds(app);
    expect(seen.size).toBe(3);
    await app.close();

    // Restore as README describes: stop, put the backup in place of the database, start.
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${databasePath(dataDir)}${suffix}`, { force: true });
    copyFileSync(backup, databasePath(dataDir));
    app = await openApp(server, dataDir);
    const fourth = { title: 'Fourth column, brand new', link: 'https://jane.example/4', guid: '4' };
    server.setRoute('/jane.xml', serveBody(rss('jane', [fourth, ...old])));
    await pollAll(app.config, app.poll, { mode: 'manual' });
    const after = await publishedIds(app);
    expect(after.size).toBe(3);
    expect([...seen.values()]).not.toContain(after.get(fourth.title));
    for (const title of [old[0]!.title, old[1]!.title]) expect(after.get(title)).toBe(seen.get(title));

    // The pulled story coming back is the same story: it gets the id readers saw for it.
    server.setRoute('/jane.xml', serveBody(rss('jane', [fourth, third, ...old])));
    await pollAll(app.config, app.poll, { mode: 'manual', force: true });
    expect((await publishedIds(app)).get(third.title)).toBe(seen.get(third.title));
  });
});

/** The app over `dataDir` (kept across restarts), polling the one feed on `server`. */
async function openApp(server: FeedServer, dataDir: string): Promise<App> {
  const app = await createApp({
    config: parseConfig(configYaml({ jane: server.url('/jane.xml') }), 'feeds.yaml'),
    dataDir,
    logger: createLogger({ level: 'silent' }),
    now: () => START,
    random: () => 0.5,
  });
  onTestFinished(() => app.close());
  return app;
}
