/**
 * One story per column, through the real poll path into both stores: the same column under
 * every spelling of its link, with new guids or an edited title, is one story; two columns that
 * share a guid, a title or a link's path stay two, whichever feed or fetch brings them. The
 * merged feeds are read back strictly: never two entries with one id.
 */
import { describe, expect, it, onTestFinished } from 'vitest';
import { createApp, databasePath, type App } from '../../src/app.ts';
import { parseConfig } from '../../src/config/load.ts';
import { pollAll } from '../../src/feeds/poll-all.ts';
import { createLogger } from '../../src/logger.ts';
import type { Story } from '../../src/model.ts';
import { buildMergedFeed, type FeedFormat } from '../../src/publish/build-merged-feed.ts';
import { serveBody, serveForTest, type FeedServer } from '../helpers/feed-server.ts';
import { configYaml, startPollApp, type PollApp } from '../helpers/poll-app.ts';
import { readMergedFeed } from '../helpers/read-merged-feed.ts';
import { postgresBackend, schemaUrl, sqliteBackend } from '../helpers/store-backends.ts';
import { intBetween, mulberry32, pick } from '../helpers/prng.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const dataRoot = makeTempDir();

interface Entry {
  title: string;
  link?: string;
  guid?: string;
  /** `isPermaLink="false"` on the guid. */
  opaque?: boolean;
  origLink?: string;
  author?: string;
  /** Day of June 2025. */
  day?: number;
  /** The date, when not in June 2025. */
  date?: Date;
  text?: string;
}

const escape = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;');

function rss(name: string, entries: readonly Entry[]): string {
  const items = entries.map((entry, index) =>
    [
      '<item>',
      `<title>${escape(entry.title)}</title>`,
      entry.link ? `<link>${escape(entry.link)}</link>` : '',
      entry.origLink ? `<feedburner:origLink>${escape(entry.origLink)}</feedburner:origLink>` : '',
      entry.guid ? `<guid${entry.opaque ? ' isPermaLink="false"' : ''}>${escape(entry.guid)}</guid>` : '',
      entry.author ? `<dc:creator>${escape(entry.author)}</dc:creator>` : '',
      `<pubDate>${(entry.date ?? new Date(Date.UTC(2025, 5, entry.day ?? 1, index % 10))).toUTCString()}</pubDate>`,
      `<description>${escape(entry.text ?? `${entry.title}, in full.`)}</description>`,
      '</item>',
    ].join(''),
  );
  return `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:feedburner="http://rssnamespace.org/feedburner/ext/1.0">
<channel><title>${name}</title><link>https://${name}.example/</link><description>${name}</description>
${items.join('\n')}
</channel></rss>
`;
}

interface Harness {
  poll: PollApp;
  server: FeedServer;
  /** Serves `entries` as feed `id`'s next document (`note`: a comment that makes the bytes new). */
  serve(id: string, entries: readonly Entry[], note?: string): void;
  /** Polls every feed once, a minute later. */
  pollAll(): Promise<void>;
  /** A new app on the same data (a process restarted): later polls and reads go through it. */
  restart(): Promise<void>;
  /** Runs one SQL statement on the store, past it (`?` placeholders). */
  sql(statement: string, params?: readonly unknown[]): Promise<void>;
  /** Applies a config listing only `feedIds` (a feed removed, or added back). */
  reconfigure(feedIds: readonly string[]): Promise<void>;
  /** The stories, checked against the merged feeds: one entry per story, every id once. */
  stories(): Promise<Story[]>;
}

type BackendName = 'sqlite' | 'postgres';

async function start(backend: BackendName, feedIds: readonly string[]): Promise<Harness> {
  const server = await serveForTest();
  const schema = backend === 'postgres' ? await postgresBackend.newLocation() : null;
  const database = schema === null ? '' : `database: "${schemaUrl(schema)}"`;
  const extraYaml = `server:\n  host: 127.0.0.1\n  port: 0\n${database}`;
  const urls = (ids: readonly string[]) => Object.fromEntries(ids.map((id) => [id, server.url(`/${id}.xml`)]));
  const poll = await startPollApp({
    dataRoot,
    feeds: urls(feedIds),
    extraYaml,
  });
  for (const id of feedIds) server.setRoute(`/${id}.xml`, serveBody(rss(id, [])));
  let app: App = poll.app;
  return {
    poll,
    server,
    serve: (id, entries, note) => server.setRoute(`/${id}.xml`, serveBody(rss(id, entries) + (note ? `<!-- ${note} -->\n` : ''))),
    pollAll: async () => {
      poll.advance(60_000);
      const summary = await pollAll(app.config, app.poll, { mode: 'manual' });
      for (const result of summary.results) expect(result.outcome.kind, result.feed.id).not.toBe('failed');
    },
    restart: async () => {
      const next = await createApp({
        config: app.config,
        dataDir: app.dataDir,
        logger: createLogger({ level: 'silent' }),
        now: () => poll.clock.now,
        random: () => 0.5,
      });
      onTestFinished(() => next.close());
      app = next;
    },
    sql: (statement, params) =>
      schema === null ? sqliteBackend.exec(databasePath(app.dataDir), statement, params) : postgresBackend.exec(schema, statement, params),
    reconfigure: (ids) => app.reconfigure(parseConfig(configYaml(urls(ids), {}, extraYaml), 'feeds.yaml')),
    stories: async () => {
      const stories = await app.store.listStories({ limit: 1000 });
      const sources = new Map(app.config.feeds.map((feed) => [feed.id, feed]));
      for (const format of ['rss', 'atom', 'json'] as FeedFormat[]) {
        const text = buildMergedFeed(stories, {
          format,
          title: 'Columns',
          baseUrl: 'https://columns.example.net',
          sources,
          now: poll.clock.now,
        });
        const ids = readMergedFeed(format, text).entries.map((entry) => entry.id);
        expect(new Set(ids).size, `${format}: one entry per id`).toBe(ids.length);
        expect(ids).toHaveLength(stories.length);
      }
      // As served: the merged feed and the home page's story cards, one per story.
      const served = await app.startServer();
      try {
        const feed = readMergedFeed('rss', await (await fetch(`${served.url}/feed.xml?limit=500`)).text());
        expect(feed.entries.map((entry) => entry.id).sort()).toEqual(stories.map((story) => story.publicId).sort());
        const home = await (await fetch(`${served.url}/`)).text();
        const cards = new Set(home.match(/\/stories\/[^"?#<\s]+/g) ?? []);
        expect(cards.size).toBe(Math.min(stories.length, 20));
      } finally {
        await served.close();
      }
      return stories;
    },
  };
}

const titles = (stories: readonly Story[]): string[] => stories.map((story) => story.title ?? '').sort();
const sourcesOf = (story: Story | undefined): string[] => (story?.sources ?? []).map((source) => source.feedId).sort();

describe.each<BackendName>(['sqlite', 'postgres'])('story identity (%s)', (backend) => {
  it('folds every spelling of one column link into one story with a source per feed', async () => {
    const variants: Record<string, Entry> = {
      a: { title: 'The bridge must be rebuilt', link: 'http://www.example.com/opinion/bridge?utm_source=rss&utm_medium=feed#comments' },
      b: { title: 'The bridge must be rebuilt', link: 'https://EXAMPLE.com:443/opinion/bridge/?fbclid=abc&gclid=def' },
      c: { title: 'The bridge must be rebuilt', link: 'https://amp.example.com/amp/opinion/bridge?mc_cid=1&mc_eid=2&_ga=3' },
      d: {
        title: 'The bridge must be rebuilt',
        link: 'http://feedproxy.google.com/~r/ExampleOpinion/~3/aBcDeF/',
        origLink: 'https://example.com/opinion/bridge',
        guid: 'tag:example.com,2025:bridge',
        opaque: true,
      },
      e: { title: 'The bridge must be rebuilt', link: 'https://m.example.com/opinion/bridge?outputType=amp&cmpid=rss' },
      f: { title: 'The bridge must be rebuilt', link: 'https://example.com/opinion/%62ridge/index.html' },
      // Escaped twice by its feed: `&amp;` is left once the XML is read.
      g: { title: 'The bridge must be rebuilt', link: 'https://example.com/opinion/bridge?utm_source=rss&amp;utm_medium=feed' },
    };
    const h = await start(backend, Object.keys(variants));
    for (const [id, entry] of Object.entries(variants)) h.serve(id, [{ ...entry, author: `Columnist ${id}`, text: `Copy ${id}` }]);
    await h.pollAll();
    const stories = await h.stories();
    expect(stories).toHaveLength(1);
    expect(sourcesOf(stories[0])).toEqual(Object.keys(variants));
  });

  it('folds percent-encoding differences: %7E and ~, lower- and upper-case hex', async () => {
    const h = await start(backend, ['a', 'b', 'c']);
    h.serve('a', [{ title: 'A', link: 'https://example.com/~jane/caf%C3%A9-society' }]);
    h.serve('b', [{ title: 'B', link: 'https://example.com/%7Ejane/caf%c3%a9-society' }]);
    h.serve('c', [{ title: 'C', link: 'https://example.com/%7ejane/café-society' }]);
    await h.pollAll();
    expect(await h.stories()).toHaveLength(1);
  });

  it('keeps two columns whose links differ only in a parameter that names the article', async () => {
    const h = await start(backend, ['a', 'b']);
    h.serve('a', [
      { title: 'On trains', link: 'https://blog.example.com/?p=123&utm_source=rss' },
      { title: 'On buses', link: 'https://blog.example.com/?p=124&utm_source=rss' },
      { title: 'On trams', link: 'https://news.example.com/article.php?id=9' },
      { title: 'On ferries', link: 'https://news.example.com/article.php?id=10' },
      { title: 'On bikes', link: 'https://paper.example.com/view?article=77' },
    ]);
    h.serve('b', [
      { title: 'On trains', link: 'http://www.blog.example.com/?utm_campaign=x&p=123' },
      { title: 'On bikes', link: 'https://paper.example.com/view?article=78' },
    ]);
    await h.pollAll();
    const stories = await h.stories();
    expect(titles(stories)).toEqual(['On bikes', 'On bikes', 'On buses', 'On ferries', 'On trains', 'On trams']);
    expect(sourcesOf(stories.find((story) => story.title === 'On trains'))).toEqual(['a', 'b']);
  });

  it('never merges two outlets using the same guid for different columns', async () => {
    const h = await start(backend, ['a', 'b']);
    h.serve('a', [{ title: 'Outlet A on the budget', link: 'https://a.example/budget', guid: '1', opaque: true }]);
    h.serve('b', [{ title: 'Outlet B on the election', link: 'https://b.example/election', guid: '1', opaque: true }]);
    await h.pollAll();
    expect(titles(await h.stories())).toEqual(['Outlet A on the budget', 'Outlet B on the election']);
  });

  it.each([
    ['1', true],
    ['https://a.example/', false],
  ])('gives a new column its own story when the feed reuses the guid %s of an earlier one', async (guid, opaque) => {
    const h = await start(backend, ['a']);
    h.serve('a', [{ title: 'Why the bridge must be rebuilt', link: 'https://a.example/bridge', guid, opaque }]);
    await h.pollAll();
    const [bridge] = await h.stories();
    h.serve('a', [{ title: 'A budget built on sand', link: 'https://a.example/budget', guid, opaque, day: 3 }]);
    await h.pollAll();
    const tram: Entry = { title: 'Ten years of the tram', link: 'https://a.example/tram', guid, opaque, day: 5 };
    h.serve('a', [tram]);
    await h.pollAll();
    const stories = await h.stories();
    expect(titles(stories)).toEqual(['A budget built on sand', 'Ten years of the tram', 'Why the bridge must be rebuilt']);
    expect(stories.find((story) => story.id === bridge!.id)).toEqual(bridge);
    // Fetched again in new bytes, the newest column is known: nothing is written.
    h.serve('a', [tram], 'rebuilt');
    h.poll.advance(60_000);
    expect(await h.poll.pollOne('a')).toMatchObject({ kind: 'stored', added: 0, updated: 0, duplicates: 1 });
  });

  it('stores a new column under a guid whose earlier column retention pruned, and keeps the pruned one out', async () => {
    const h = await start(backend, ['a']);
    const old: Entry = { title: 'A column from the spring', link: 'https://a.example/spring', guid: '1', opaque: true };
    h.serve('a', [old]);
    await h.pollAll();
    h.poll.advance(120 * 24 * 3600 * 1000); // past retentionDays (90): the next cycle prunes it
    h.serve('a', [old], 'still listed');
    await h.pollAll();
    expect(await h.stories()).toEqual([]);
    const fresh: Entry = {
      title: 'A column from the autumn',
      link: 'https://a.example/autumn',
      guid: '1',
      opaque: true,
      date: h.poll.clock.now,
    };
    h.serve('a', [fresh]);
    await h.pollAll();
    expect(titles(await h.stories())).toEqual(['A column from the autumn']);
    h.serve('a', [fresh, old]);
    await h.pollAll();
    expect(titles(await h.stories())).toEqual(['A column from the autumn']);
  });

  it('edits in place when a guid keeps its column while two of link, title and date change', async () => {
    const h = await start(backend, ['a']);
    h.serve('a', [
      { title: 'Teh council got it wrong', link: 'https://a.example/teh-council', guid: 'c-1', opaque: true, day: 2 },
      { title: 'Moving house', link: 'https://old.example/moving', guid: 'c-2', opaque: true, day: 3 },
    ]);
    await h.pollAll();
    h.serve('a', [
      // The slug rewritten with the title, the date kept.
      { title: 'The council got it wrong', link: 'https://a.example/the-council', guid: 'c-1', opaque: true, day: 2 },
      // The site moved to a new domain, titles kept; the feed re-dated its items.
      { title: 'Moving house', link: 'https://new.example/moving', guid: 'c-2', opaque: true, day: 4 },
    ]);
    await h.pollAll();
    expect(titles(await h.stories())).toEqual(['Moving house', 'The council got it wrong']);
  });

  it('keeps every column where it was when a CMS numbers its items by position', async () => {
    const h = await start(backend, ['a']);
    const columns = [
      { title: 'Column about the harbour', link: 'https://a.example/harbour', day: 1 },
      { title: 'Column about the railway', link: 'https://a.example/railway', day: 2 },
      { title: 'Column about the library', link: 'https://a.example/library', day: 3 },
      { title: 'Column about the old mill', link: 'https://a.example/mill', day: 4 },
    ];
    const numbered = (shown: typeof columns): Entry[] =>
      shown.map((column, index) => ({ ...column, guid: String(index + 1), opaque: true }));
    h.serve('a', numbered(columns.slice(0, 2).reverse()));
    await h.pollAll();
    const first = await h.stories();
    h.serve('a', numbered(columns.slice(0, 3).reverse()));
    await h.pollAll();
    h.serve('a', numbered(columns.slice(0, 4).reverse()));
    await h.pollAll();
    const stories = await h.stories();
    expect(titles(stories)).toEqual(columns.map((column) => column.title).sort());
    for (const story of stories) expect(story.link).toBe(columns.find((column) => column.title === story.title)!.link);
    // The first two were never edited: their stories are as first stored.
    for (const story of first) expect(stories.find((other) => other.id === story.id)?.updated).toEqual(story.updated);
  });

  it('keeps one story for a column whose guid changes on every fetch', async () => {
    const h = await start(backend, ['a']);
    for (const guid of ['a1b2', 'c3d4', 'e5f6']) {
      h.serve('a', [{ title: 'The same column every time', link: 'https://a.example/same', guid, opaque: true }]);
      await h.pollAll();
    }
    expect(await h.stories()).toHaveLength(1);
  });

  it('keeps one story for a column whose opaque, URL-shaped guid changes with its tracking parameters', async () => {
    const h = await start(backend, ['a']);
    for (const tag of ['rss', 'email']) {
      h.serve('a', [
        {
          title: 'Tracking the tracker',
          link: `https://a.example/t?utm_source=${tag}`,
          guid: `https://a.example/t?utm_source=${tag}`,
          opaque: true,
        },
      ]);
      await h.pollAll();
    }
    expect(await h.stories()).toHaveLength(1);
  });

  it('updates a story in place when its title is corrected, link and guid the same', async () => {
    const h = await start(backend, ['a']);
    h.serve('a', [{ title: 'Teh council got it wrong', link: 'https://a.example/council', guid: 'c-1', opaque: true }]);
    await h.pollAll();
    h.serve('a', [{ title: 'The council got it wrong', link: 'https://a.example/council', guid: 'c-1', opaque: true }]);
    await h.pollAll();
    expect(titles(await h.stories())).toEqual(['The council got it wrong']);
  });

  it('keeps columns apart that share a common title but not their link', async () => {
    const h = await start(backend, ['a', 'b']);
    for (const id of ['a', 'b']) {
      h.serve(id, [
        { title: 'Letters', link: `https://${id}.example/letters/1`, author: 'The editor' },
        // A title long enough to be a key, by two authors: the same title by the same author
        // within three days is a re-issue (README, "Deduplication").
        { title: 'Weekly column', link: `https://${id}.example/weekly/1`, author: `Editor of ${id}` },
        { title: 'Untitled', link: `https://${id}.example/untitled/1`, author: 'The editor' },
        { title: 'Weekly column from the desk', link: `https://${id}.example/desk/1`, author: `Writer ${id}` },
      ]);
    }
    await h.pollAll();
    expect(await h.stories()).toHaveLength(8);
  });

  it('merges a repost in the columnist’s own feed (same title and author, a day later) as README promises', async () => {
    const h = await start(backend, ['outlet', 'personal']);
    h.serve('outlet', [{ title: 'Why I Changed My Mind On Zoning', link: 'https://outlet.example/zoning', author: 'Jane Doe', day: 2 }]);
    h.serve('personal', [
      { title: 'Why I changed my mind on “zoning”', link: 'https://jane.example/2025/06/zoning', author: 'jane doe', day: 3 },
    ]);
    await h.pollAll();
    const stories = await h.stories();
    expect(stories).toHaveLength(1);
    expect(sourcesOf(stories[0])).toEqual(['outlet', 'personal']);
  });

  it('merges reposts whose titles differ only in case, spacing, quote style or character references', async () => {
    const spellings = [
      'It’s Time for a Q&A on “Rents”',
      "it's time for a  Q&amp;A on 'rents'",
      'It&#8217;s time for a Q&#38;A on &quot;rents&quot;',
      '<![CDATA[It’s time for a Q&A on "rents"]]>',
    ];
    const ids = spellings.map((_, index) => `f${index}`);
    const h = await start(backend, ids);
    spellings.forEach((title, index) =>
      h.server.setRoute(
        `/${ids[index]}.xml`,
        serveBody(
          rss(ids[index]!, [
            { title: 'PLACEHOLDER', link: `https://site${index}.example/rents`, author: 'Jane Doe', day: 2 + (index % 2) },
          ]).replace('<title>PLACEHOLDER</title>', `<title>${title.replace(/&(?![a-z#0-9]+;)/gi, '&amp;')}</title>`),
        ),
      ),
    );
    await h.pollAll();
    const stories = await h.stories();
    expect(stories).toHaveLength(1);
    expect(sourcesOf(stories[0])).toEqual(ids);
  });

  it('moves a column between feeds, drops it and brings it back without a second story', async () => {
    const h = await start(backend, ['a', 'b']);
    const column: Entry = { title: 'A column on the move', link: 'https://a.example/move', guid: 'move-1', opaque: true };
    h.serve('a', [column]);
    await h.pollAll();
    h.serve('a', []);
    h.serve('b', [{ ...column, guid: 'other-cms-id' }]);
    await h.pollAll();
    h.serve('b', []);
    await h.pollAll();
    h.serve('a', [column]);
    await h.pollAll();
    const stories = await h.stories();
    expect(stories).toHaveLength(1);
    expect(sourcesOf(stories[0])).toEqual(['a', 'b']);
  });

  it('re-keys a column stored under an earlier canonical form when its feed is next read, so a copy elsewhere joins it', async () => {
    const h = await start(backend, ['a', 'b']);
    h.serve('a', [{ title: 'Stored before the upgrade', link: 'https://m.a.example/%7Ejane/col/index.html', guid: 'a-1', opaque: true }]);
    await h.pollAll();
    // As an installation of the previous version left it: the link keyed (and the source hashed) in its
    // old form, the document and its items known. The raised reading versions make the next poll read it.
    await h.sql(`UPDATE story_keys SET key = ? WHERE key LIKE 'u:%'`, ['u:https://m.a.example/%7Ejane/col/index.html']);
    await h.sql(`UPDATE story_sources SET content_hash = 'hashed-by-the-previous-version'`);
    await h.sql(`UPDATE feeds SET body_hash = NULL`);
    await h.sql(`DELETE FROM feed_item_digests`);
    h.poll.advance(60_000);
    expect(await h.poll.pollOne('a')).toMatchObject({ kind: 'stored', added: 0, updated: 1 });
    h.serve('b', [{ title: 'Its copy in another feed', link: 'https://a.example/~jane/col/', guid: 'b-1', opaque: true }]);
    await h.pollAll();
    const stories = await h.stories();
    expect(stories).toHaveLength(1);
    expect(sourcesOf(stories[0])).toEqual(['a', 'b']);
  });

  it('keeps one story when a feed is removed from the config and added back with its column', async () => {
    const h = await start(backend, ['a', 'b']);
    const column: Entry = { title: 'Removed and back again', link: 'https://a.example/back?utm_source=rss', guid: 'back', opaque: true };
    h.serve('a', [column]);
    h.serve('b', [{ ...column, link: 'https://www.a.example/back', guid: 'b-back' }]);
    await h.pollAll();
    await h.reconfigure(['b']);
    h.serve('b', [{ ...column, link: 'https://www.a.example/back', guid: 'b-back' }], 'a is gone');
    await h.pollAll();
    await h.reconfigure(['a', 'b']);
    h.serve('a', [{ ...column, guid: 'a-new-cms' }], 'a is back with new guids');
    await h.pollAll();
    const stories = await h.stories();
    expect(stories).toHaveLength(1);
    expect(sourcesOf(stories[0])).toEqual(['a', 'b']);
  });

  it('stores nothing new when a restarted app polls the same columns again, in new bytes', async () => {
    const h = await start(backend, ['a', 'b']);
    const columns: Entry[] = [
      { title: 'First of two', link: 'https://a.example/1?utm_source=rss', guid: 'x', opaque: true },
      { title: 'Second of two', link: 'https://m.a.example/2/?utm_source=rss', guid: 'x', opaque: true },
    ];
    h.serve('a', columns);
    h.serve('b', [{ title: 'Second of two', link: 'https://a.example/2', guid: 'b-2', opaque: true }]);
    await h.pollAll();
    const before = await h.stories();
    await h.restart();
    h.serve('a', columns, 'after the restart');
    h.serve('b', [{ title: 'Second of two', link: 'https://a.example/2', guid: 'b-2', opaque: true }], 'after the restart');
    await h.pollAll();
    const after = await h.stories();
    expect(after).toEqual(before);
    expect(titles(after)).toEqual(['First of two', 'Second of two']);
  });

  // Seeded: generated feeds list generated columns under every spelling and guid habit at once.
  it.each([1, 2, 3])('keeps one story per column over generated polls (seed %i)', async (seed) => {
    const random = mulberry32(seed * 7919);
    const hosts = ['paper.example.com', 'blog.example.org'];
    const columns = Array.from({ length: 12 }, (_, index) => ({
      host: pick(random, hosts),
      // Some columns are named by a query parameter alone: ?p=<n> must never be folded away.
      path: index % 3 === 0 ? `/?p=${100 + index}` : `/opinion/column-${index}-${pick(random, ['bridge', 'budget', 'tram'])}`,
      title: `Generated column number ${index} on ${pick(random, ['the bridge', 'the budget', 'the tram'])}`,
      author: pick(random, ['Jane Doe', 'John Roe', null]),
      day: 1 + index, // every column has a date of its own
    }));
    const habits = ['stable', 'changing', 'positional', 'homepage', 'link'] as const;
    const feeds = habits.map((habit, index) => ({ id: `g${index}`, habit }));
    const h = await start(
      backend,
      feeds.map((feed) => feed.id),
    );
    const spell = (column: (typeof columns)[number]): Pick<Entry, 'link' | 'origLink'> => {
      const [path, query] = column.path.split('?') as [string, string | undefined];
      const params = query ? [query] : [];
      for (let n = intBetween(random, 0, 2); n > 0; n--)
        params.splice(intBetween(random, 0, params.length), 0, pick(random, ['utm_source=rss', 'fbclid=x', 'mc_cid=1', 'gclid=2']));
      const spelledPath =
        path.replace(/o/, () => pick(random, ['o', '%6F', '%6f'])) + pick(random, ['', '/', '/index.html']).slice(path === '/' ? 1 : 0);
      const host = `${pick(random, ['', 'www.', 'm.', 'amp.'])}${random() < 0.2 ? column.host.toUpperCase() : column.host}`;
      const link = `${pick(random, ['http', 'https'])}://${host}${spelledPath}${params.length ? `?${params.join('&')}` : ''}${pick(random, ['', '#top'])}`;
      return random() < 0.2 ? { link: `http://feedproxy.google.com/~r/G/~3/${intBetween(random, 1, 1e6)}/`, origLink: link } : { link };
    };
    const listed = new Set<number>();
    for (let round = 0; round < 8; round++) {
      for (const feed of feeds) {
        const shown = columns
          .flatMap((column, index) => (random() < 0.4 ? [{ column, index }] : []))
          .sort((a, b) => b.column.day - a.column.day);
        h.serve(
          feed.id,
          shown.map(({ column, index }, position): Entry => {
            listed.add(index);
            const guid = {
              stable: `${feed.id}-${index}`,
              changing: `${feed.id}-${index}-${round}`,
              positional: String(position + 1),
              homepage: `https://${feed.id}.example/`,
              link: undefined,
            }[feed.habit];
            const title = random() < 0.3 ? column.title.toUpperCase().replace(/ /g, '  ') : column.title;
            return {
              title,
              ...spell(column),
              ...(guid ? { guid, opaque: true } : {}),
              ...(column.author ? { author: column.author } : {}),
              day: column.day,
            };
          }),
          `round ${round}`,
        );
      }
      await h.pollAll();
      const stories = await h.stories();
      // One story per column listed so far, each naming exactly one column.
      const named = stories.map((story) => columns.findIndex((column) => story.canonicalUrl === `https://${column.host}${column.path}`));
      expect(
        named.every((index) => index !== -1),
        JSON.stringify(stories.map((story) => story.canonicalUrl)),
      ).toBe(true);
      expect(new Set(named).size, 'no column stored twice').toBe(named.length);
      expect([...named].sort((a, b) => a - b)).toEqual([...listed].sort((a, b) => a - b));
      for (const story of stories)
        expect(story.title?.toLowerCase().replace(/ +/g, ' ')).toBe(columns[named[stories.indexOf(story)]!]!.title.toLowerCase());
    }
  });
});
