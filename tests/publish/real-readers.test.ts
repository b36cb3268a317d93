/**
 * What real readers see when they subscribe: Python feedparser and newsboat (Debian packages;
 * `.ci/run` installs them) read every published RSS and Atom feed of a store built from hostile
 * but realistic feeds through the real pipeline (a local feed server, a poll, the real HTTP
 * server). Each field must be what we stored (the JSON Feed of the same scope, which neither
 * reader reads, is the reference); ids must survive a re-poll and a restart, and an unchanged
 * feed must get a 304. Without the readers the tests are skipped with a warning, except under
 * CI=true, where they fail.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { createApp, type App } from '../../src/app.ts';
import { parseConfig } from '../../src/config/load.ts';
import { pollAll } from '../../src/feeds/poll-all.ts';
import { createLogger } from '../../src/logger.ts';
import type { RunningServer } from '../../src/publish/http-server.ts';
import { createNewsboat, feedReadersMissing, readWithFeedparser, type NewsboatItem } from '../helpers/feed-readers.ts';
import { serveBody, serveForTest, type FeedServer } from '../helpers/feed-server.ts';
import { START } from '../helpers/poll-app.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const missing = feedReadersMissing();
const onCi = process.env.CI === 'true';
if (missing && !onCi) console.warn(`real-reader tests skipped: ${missing} (apt-get install newsboat python3-feedparser; .ci/run does)`);

const root = makeTempDir();
const fixture = (name: string): string => readFileSync(new URL(`../fixtures/feeds/${name}`, import.meta.url), 'utf8');
const BETA = encodeURIComponent('бета');
/** Every scope a reader may subscribe to, each in RSS and Atom. */
const SCOPES = ['', '/columnists/jane-doe', '/columnists/anna', `/outlets/${BETA}`, '/tags/politics', '/feeds/gamma'];

interface JsonItem {
  id: string;
  url?: string;
  title: string;
  date_published: string;
  content_html?: string;
  authors?: Array<{ name: string }>;
}

/** A node:http proxy in front of the app (whose port changes on restart), recording each response's status; closed when the test ends. */
async function startRecordingProxy(target: () => string): Promise<{ origin: string; statuses: Map<string, number[]> }> {
  const statuses = new Map<string, number[]>();
  const server: Server = createServer((req, res) => {
    const upstream = request(`${target()}${req.url}`, { method: req.method, headers: req.headers }, (answer) => {
      const path = req.url ?? '';
      statuses.set(path, [...(statuses.get(path) ?? []), answer.statusCode ?? 0]);
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(async () => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  });
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, statuses };
}

function configFor(feeds: FeedServer): string {
  return `title: Hostile & <Columns>
baseUrl: https://columns.example.net
server:
  port: 0
poll:
  allowPrivateAddresses: true
retentionDays: 0
columnists:
  - name: Doe, Jane
    slug: jane-doe
  - name: Анна Петрова
    slug: anna
feeds:
  - id: alpha
    url: ${feeds.url('/alpha.xml')}
    outlet: 'Smith & Sons, <Ltd> "Weekly"'
    tags: [politics, café]
  - id: beta
    url: ${feeds.url('/beta.atom')}
    title: Бета блог
    outlet: Бета
    tags: [politics]
  - id: gamma
    url: ${feeds.url('/gamma.json')}
    tags: [misc]
`;
}

/** The app over `dataDir` with its server, on `clock` (START unless told); both closed when the test ends (or by `close`). */
async function startApp(
  configYaml: string,
  dataDir: string,
  clock = { now: START },
): Promise<{ app: App; server: RunningServer; close(): Promise<void> }> {
  const app = await createApp({
    config: parseConfig(configYaml, 'feeds.yaml'),
    dataDir,
    logger: createLogger({ level: 'silent' }),
    now: () => clock.now,
  });
  const server = await app.startServer();
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await server.close();
    await app.close();
  };
  onTestFinished(close);
  return { app, server, close };
}

async function servedFixtures(): Promise<FeedServer> {
  return serveForTest({
    '/alpha.xml': serveBody(fixture('readers-hostile-rss.xml')),
    '/beta.atom': serveBody(fixture('readers-hostile-atom.xml'), { headers: { 'content-type': 'application/atom+xml' } }),
    '/gamma.json': serveBody(fixture('readers-hostile.json'), { headers: { 'content-type': 'application/feed+json' } }),
  });
}

async function pollOnce(app: App): Promise<void> {
  const summary = await pollAll(app.config, app.poll, { mode: 'manual', force: true });
  const failed = summary.results.filter((result) => result.outcome.kind === 'failed').map((result) => result.feed.id);
  expect(failed).toEqual([]);
}

/** ISO 8601 to the second, as feedparser and newsboat keep dates. */
const toSecond = (iso: string): string => new Date(iso).toISOString().replace(/\.\d{3}Z$/, 'Z');
const authorOf = (item: JsonItem): string | null => item.authors?.[0]?.name ?? null;
const storyCard = (id: string): string => `https://columns.example.net/stories/${id.slice(id.lastIndexOf(':') + 1)}`;

describe.runIf(missing === null || onCi)('real feed readers (feedparser, newsboat)', () => {
  beforeAll(() => {
    if (missing) throw new Error(`real-reader tests: ${missing}; apt-get install newsboat python3-feedparser (.ci/run installs them)`);
  });

  it('read every RSS and Atom feed field by field as stored: titles, links, ids, authors, dates, content', async () => {
    const feeds = await servedFixtures();
    const started = await startApp(configFor(feeds), mkdtempSync(join(root, 'data-')));
    await pollOnce(started.app);
    const proxy = await startRecordingProxy(() => started.server.url);

    const urls = SCOPES.flatMap((scope) => [`${proxy.origin}${scope}/feed.xml`, `${proxy.origin}${scope}/feed.atom`]);
    const parsed = await readWithFeedparser(urls.map((url) => ({ url })));
    const newsboat = await Promise.all(urls.map((url) => createNewsboat(root, [url]).reload()));

    for (const [index, url] of urls.entries()) {
      const atom = url.endsWith('.atom');
      const reference = (await (await fetch(url.replace(/\.(xml|atom)$/, '.json'))).json()) as { items: JsonItem[] };
      const items = reference.items;
      expect(items.length, url).toBeGreaterThan(0);
      const read = parsed[index]!;
      expect([read.status, read.bozo, read.error], url).toEqual([200, false, null]);
      expect(
        read.entries.map((entry) => entry.id),
        url,
      ).toEqual(items.map((item) => item.id));
      for (const [n, entry] of read.entries.entries()) {
        const item = items[n]!;
        // Atom: an entry with no link of its own links its card on the site (RFC 4287 wants an alternate).
        const link = item.url ?? (atom ? storyCard(item.id) : null);
        expect(
          { title: entry.title, link: entry.link, author: entry.author, published: entry.published },
          `feedparser ${url} ${item.id}`,
        ).toEqual({ title: item.title, link, author: authorOf(item), published: toSecond(item.date_published) });
      }
      const cache = newsboat[index]!;
      expect(
        cache.feeds.map((feed) => feed.rssurl),
        url,
      ).toEqual([url]);
      const rows = new Map(cache.items.map((row) => [row.guid, row]));
      expect([...rows.keys()].sort(), url).toEqual(items.map((item) => item.id).sort());
      for (const item of items) {
        const row: NewsboatItem = rows.get(item.id)!;
        expect(
          { title: row.title, url: row.url, author: row.author, pubDate: new Date(row.pubDate * 1000).toISOString(), content: row.content },
          `newsboat ${url} ${item.id}`,
        ).toEqual({
          title: item.title,
          url: item.url ?? (atom ? storyCard(item.id) : ''),
          author: authorOf(item) ?? '',
          pubDate: new Date(toSecond(item.date_published)).toISOString(),
          content: item.content_html ?? '',
        });
      }
    }

    // The reference itself is what the pipeline stored, hostile parts included.
    const all = new Map(parsed[0]!.entries.map((entry) => [entry.title, entry]));
    expect(all.get('Bread & ]]> 🎉 שלום עולם')).toMatchObject({
      link: 'https://alpha.example/opinion/%C3%A7a-va/na%C3%AFve?a=1&b=2#part-2',
      author: 'Doe, Jane',
      published: '2025-06-01T10:00:00Z',
    });
    expect(all.get('Bell and escape in the title')).toMatchObject({ author: 'محمد علي' });
    expect(all.get('Bold claims & <tags>')).toMatchObject({
      link: 'https://beta.example/blog/posts/%D0%BF%D0%B5%D1%80%D0%B2%D1%8B%D0%B9?q=a&r=b',
      author: 'Анна Петрова',
      published: '2025-06-01T07:00:00Z',
    });
    // A relative link of the source's content, against its xml:base as feedparser reads the source.
    expect(all.get('Bold claims & <tags>')!.content.join('')).toContain('href="https://beta.example/other"');
    expect(all.get(`JSON & "quoted" 'single' \u202eRTL override`)).toMatchObject({
      link: 'https://gamma.example/p/1?x=1&y=%3C2%3E',
      author: 'Smith, John & Sons',
    });
    expect(all.get('No link at all')).toMatchObject({ link: null });
    // JSON Feed, which neither reader reads: its summary is plain text (JSON Feed 1.1), content_html the markup.
    const json = (await (await fetch(`${proxy.origin}/feed.json`)).json()) as { items: Array<JsonItem & { summary?: string }> };
    expect(json.items.find((item) => item.title === 'Bold claims & <tags>')).toMatchObject({
      summary: 'Summary & "quotes"',
      content_html:
        '<p>Content <img src="https://beta.example/pics/a.jpg" /> &amp; text, <a href="https://beta.example/other">another page</a></p>',
    });
    expect(json.items.filter((item) => item.summary !== undefined && /<\/?[a-z]/i.test(item.summary))).toEqual([]);
    const titles = parsed[0]!.entries.map((entry) => entry.title);
    expect(titles.filter((title) => title === '(untitled)')).toHaveLength(2);
    // The same column in alpha and beta, tracking parameters aside: one entry.
    expect(titles.filter((title) => title?.startsWith('Shared column'))).toEqual(['Shared column: trains & buses']);
    const stories = await started.app.store.listStories({ limit: 100 });
    expect(parsed[0]!.entries.map((entry) => entry.id).sort()).toEqual(stories.map((story) => story.publicId).sort());
  }, 30_000);
  it('see each column once across a re-poll and a restart, and get 304 for unchanged feeds', async () => {
    const feeds = await servedFixtures();
    const dataDir = mkdtempSync(join(root, 'data-'));
    // Time moves on between the steps, as between a reader's reloads. It must: newsboat (libcurl's
    // time condition) drops a 200 whose Last-Modified is not after its If-Modified-Since, yet keeps
    // its ETag, so with a clock stopped across the restart it would never see the new column.
    const clock = { now: START };
    const later = (minutes: number) => (clock.now = new Date(clock.now.getTime() + minutes * 60_000));
    let current = await startApp(configFor(feeds), dataDir, clock);
    await pollOnce(current.app);
    const proxy = await startRecordingProxy(() => current.server.url);
    const paths = ['/feed.xml', '/feed.atom', '/columnists/jane-doe/feed.xml', `/outlets/${BETA}/feed.atom`];
    const urls = paths.map((path) => `${proxy.origin}${path}`);
    // One profile per URL: newsboat keys its cache by guid alone, so one item in two subscribed feeds is one row.
    const readers = urls.map((url) => createNewsboat(root, [url]));
    const first = await Promise.all(readers.map((reader) => reader.reload()));
    const firstRead = await readWithFeedparser(urls.map((url) => ({ url })));

    // Newsboat keeps a feed's validators from its second fetch on (the first creates the row).
    await Promise.all(readers.map((reader) => reader.reload()));
    // A new column and an edited one, then a restart of the whole app over the same data.
    feeds.setRoute(
      '/alpha.xml',
      serveBody(
        fixture('readers-hostile-rss.xml')
          .replace('Long title</description>', 'Long title, edited</description>')
          .replace(
            '</channel>',
            '<item><title>A new column</title><link>https://alpha.example/opinion/new</link><dc:creator>Doe, Jane</dc:creator>' +
              '<pubDate>Mon, 02 Jun 2025 09:00:00 GMT</pubDate></item></channel>',
          ),
      ),
    );
    later(30);
    await pollOnce(current.app);
    await current.close();
    later(1);
    current = await startApp(configFor(feeds), dataDir, clock);
    later(30);
    await pollOnce(current.app);
    const after = await Promise.all(readers.map((reader) => reader.reload()));
    for (const [index, url] of urls.entries()) {
      const before = first[index]!.items;
      const now = after[index]!.items;
      // No guid twice, every guid seen before still there with its title, and only the new column added.
      expect(new Set(now.map((row) => row.guid)).size, url).toBe(now.length);
      const added = now.filter((row) => !before.some((old) => old.guid === row.guid)).map((row) => row.title);
      expect(added, url).toEqual(index === 3 ? [] : ['A new column']);
      for (const old of before) expect(now.find((row) => row.guid === old.guid)?.title, url).toBe(old.title);
    }
    const edited = after[0]!.items.find((row) => row.url === 'https://alpha.example/opinion/long');
    expect(edited?.content).toBe('Long title, edited');

    // Unchanged since the restart: both readers are told 304.
    proxy.statuses.clear();
    await Promise.all(readers.map((reader) => reader.reload()));
    for (const path of paths) expect(proxy.statuses.get(path), `newsboat ${path}`).toEqual([304]);
    const validators = await readWithFeedparser(urls.map((url) => ({ url })));
    const again = await readWithFeedparser(validators.map((read) => ({ url: read.url, etag: read.etag, modified: read.modified })));
    expect(again.map((read) => [read.status, read.entries.length])).toEqual(urls.map(() => [304, 0]));
    // feedparser with the validators from before the new column: the feed changed, so 200 with it.
    const changed = await readWithFeedparser(firstRead.map((read) => ({ url: read.url, etag: read.etag, modified: read.modified })));
    expect(changed.map((read) => read.status)).toEqual(urls.map((_, index) => (index === 3 ? 304 : 200)));
  }, 30_000);

  it('see a new column served by a process whose clock is behind (another process of a cluster, a clock stepped back)', async () => {
    const feeds = await servedFixtures();
    const dataDir = mkdtempSync(join(root, 'data-'));
    const clock = { now: START };
    let current = await startApp(configFor(feeds), dataDir, clock);
    await pollOnce(current.app);
    const proxy = await startRecordingProxy(() => current.server.url);
    const url = `${proxy.origin}/feed.xml`;
    const reader = createNewsboat(root, [url]);
    // Newsboat sends its validators from its third fetch on; the feed's Last-Modified is START's second.
    for (let fetch = 0; fetch < 2; fetch++) await reader.reload();
    feeds.setRoute(
      '/alpha.xml',
      serveBody(
        fixture('readers-hostile-rss.xml').replace(
          '</channel>',
          '<item><title>Behind the clock</title><link>https://alpha.example/opinion/behind</link>' +
            '<pubDate>Mon, 02 Jun 2025 09:00:00 GMT</pubDate></item></channel>',
        ),
      ),
    );
    // The new bytes are built by a process whose clock reads 10 minutes earlier: their Last-Modified
    // is before the reader's If-Modified-Since. libcurl drops such a 200 (keeping its ETag), so the
    // 200 goes without Last-Modified.
    await current.close();
    clock.now = new Date(START.getTime() - 10 * 60_000);
    current = await startApp(configFor(feeds), dataDir, clock);
    await pollOnce(current.app);
    proxy.statuses.clear();
    const { items } = await reader.reload();
    expect(proxy.statuses.get('/feed.xml')).toEqual([200]);
    expect(items.map((row) => row.title)).toContain('Behind the clock');
    // And from then on, 304 (the ETag alone).
    proxy.statuses.clear();
    await reader.reload();
    expect(proxy.statuses.get('/feed.xml')).toEqual([304]);
  }, 30_000);
});
