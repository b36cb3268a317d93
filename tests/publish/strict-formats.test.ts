/**
 * Every published document, validated as outside testers would: seeded hostile source feeds
 * (RSS, Atom, JSON Feed; tests/helpers/hostile-source-feeds.ts) are served by a node:http
 * fixture server, polled into a real SQLite store, and each document the real HTTP server
 * then serves (site-wide, per tag, per feed, per columnist and per outlet, in all three
 * formats, and /opml) goes through strict validators: RFC 4287's RELAX NG schema with
 * Debian's jing and its prose rules, RSS 2.0 as the W3C validator reads it, JSON Feed 1.1
 * (read by JSON.parse and by Python's json module), OPML 2.0. FUZZ_SEED=N runs another seed.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.ts';
import { parseConfig } from '../../src/config/load.ts';
import { pollAll } from '../../src/feeds/poll-all.ts';
import { createLogger } from '../../src/logger.ts';
import { buildMergedFeed } from '../../src/publish/build-merged-feed.ts';
import type { Story } from '../../src/model.ts';
import { parseOpml } from '../../src/config/parse-opml.ts';
import { planOpmlImport } from '../../src/config/plan-opml-import.ts';
import { buildOpml, type OpmlFeed } from '../../src/publish/build-opml.ts';
import { publishableLink } from '../../src/publish/merged-entry.ts';
import { serveBody, startFeedServer } from '../helpers/feed-server.ts';
import { DEBIAN_PYTHON } from '../helpers/feed-readers.ts';
import { hostileSourceFeed, type SourceFormat } from '../helpers/hostile-source-feeds.ts';
import { streamFor } from '../helpers/prng.ts';
import {
  absoluteIri,
  atomRules,
  jingMissing,
  jsonFeedRules,
  opmlRules,
  rssRules,
  validateAtomSchema,
} from '../helpers/strict-validators.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const SEED = Number(process.env.FUZZ_SEED ?? 20261207);
const FORMATS: SourceFormat[] = ['rss', 'atom', 'json'];
const FEEDS = 6;
const ITEMS = 30;
const run = promisify(execFile);
const root = makeTempDir('strict-formats-');
const missing = jingMissing();
// Under CI the validator must be there (.ci/run installs jing); elsewhere the schema check is skipped, the rest runs.
const schemaIt = missing && !process.env.CI ? it.skip : it;
if (missing && !process.env.CI) console.warn(`strict-format tests: the RELAX NG check is skipped: ${missing} (.ci/run installs it)`);

/** Python's json module reads the document and gives back its item ids. */
async function pythonIds(document: string): Promise<string[]> {
  const script = 'import json,sys\nprint(json.dumps([i["id"] for i in json.load(sys.stdin)["items"]]))';
  const child = run(DEBIAN_PYTHON, ['-c', script], { maxBuffer: 64 << 20 });
  child.child.stdin!.end(document);
  return JSON.parse((await child).stdout) as string[];
}

describe(`published documents under strict validators (seed ${SEED})`, () => {
  const documents = new Map<string, string>();
  const contentTypes = new Map<string, string | null>();

  beforeAll(async () => {
    const sources = await startFeedServer();
    const feeds = Array.from({ length: FEEDS }, (_, index) => {
      const format = FORMATS[index % FORMATS.length]!;
      const id = `${format}-${index}`;
      sources.setRoute(`/${id}`, serveBody(hostileSourceFeed(streamFor(SEED, 'feed', index), format, index, ITEMS)));
      return { id, url: sources.url(`/${id}`), format };
    });
    const yaml = [
      'title: Strict & <formats> "columns"',
      'baseUrl: https://columns.example.net/',
      'server:\n  port: 0',
      'poll:\n  allowPrivateAddresses: true\n  timeoutSeconds: 20',
      'feeds:',
      ...feeds.flatMap((feed, index) => [
        `  - id: ${feed.id}`,
        `    url: "${feed.url}"`,
        ...(index % 2 === 0 ? [`    outlet: "Outlet ${index % 3} & <Co>"`] : []),
        ...(index % 3 === 1 ? [`    title: "Feed ${index} – مقالات"`] : []),
        `    tags: [politics, "tag ${index % 2}"]`,
      ]),
    ].join('\n');
    const app = await createApp({
      config: parseConfig(yaml, 'feeds.yaml'),
      dataDir: mkdtempSync(join(root, 'app-')),
      logger: createLogger({ level: 'silent' }),
    });
    const server = await app.startServer();
    try {
      const summary = await pollAll(app.config, app.poll, { mode: 'manual' });
      expect(summary.results.map((result) => [result.feed.id, result.outcome.kind])).toEqual(feeds.map((feed) => [feed.id, 'stored']));
      const get = async (path: string): Promise<string> => {
        const response = await fetch(new URL(path, server.url));
        expect(response.status, path).toBe(200);
        contentTypes.set(path.split('?')[0]!, response.headers.get('content-type'));
        return response.text();
      };
      const opml = await get('/opml');
      documents.set('/opml', opml);
      const columnistFeeds = [...opml.matchAll(/xmlUrl="https:\/\/columns\.example\.net(\/columnists\/[^"]+)\.xml"/g)].map(
        (match) => match[1]!,
      );
      const outlets = [...(await get('/outlets')).matchAll(/\/outlets\/([^"/?#&]+)"/g)].map((match) => `/outlets/${match[1]}/feed`);
      expect(columnistFeeds.length).toBeGreaterThan(2);
      expect(outlets.length).toBeGreaterThan(0);
      const bases = [
        '/feed',
        '/tags/politics/feed',
        '/tags/tag-1/feed',
        ...feeds.map((feed) => `/feeds/${feed.id}/feed`),
        ...columnistFeeds,
        ...outlets,
      ];
      for (const base of new Set(bases))
        for (const extension of ['xml', 'atom', 'json']) documents.set(`${base}.${extension}`, await get(`${base}.${extension}?limit=500`));
    } finally {
      await server.close();
      await app.close();
      await sources.close();
    }
  }, 60_000);

  const named = (extension: string): Array<[string, string]> => [...documents].filter(([path]) => path.endsWith(extension));

  it('serves each format with its registered media type in UTF-8, and names its own address as self', () => {
    const types: Record<string, string> = {
      xml: 'application/rss+xml; charset=utf-8',
      atom: 'application/atom+xml; charset=utf-8',
      json: 'application/feed+json; charset=utf-8',
    };
    for (const [path, document] of documents) {
      if (path === '/opml') {
        expect(contentTypes.get(path)).toBe('text/x-opml; charset=utf-8');
        continue;
      }
      const extension = path.slice(path.lastIndexOf('.') + 1);
      expect(contentTypes.get(path), path).toBe(types[extension]);
      // W3C's validator warns when the self link is not where the document was fetched from.
      const self =
        extension === 'json'
          ? (JSON.parse(document) as { feed_url?: string }).feed_url
          : /<(?:atom:)?link[^>]*rel="self"[^>]*>/.exec(document)?.[0].match(/href="([^"]*)"/)?.[1];
      expect(self, path).toBe(`https://columns.example.net${path}`);
    }
  });

  it('links each feed to its own page on the site (RSS channel link, Atom alternate, JSON home_page_url)', () => {
    // RFC 4287 §4.2.7.2: an alternate link is an alternate version of the feed; the politics feed's is /tags/politics, not the home page.
    for (const [path, document] of documents) {
      if (path === '/opml') continue;
      const page = path.replace(/\/feed\.(xml|atom|json)$/, '').replace(/^\/feeds\/[^/]+$/, '');
      const link = path.endsWith('.json')
        ? (JSON.parse(document) as { home_page_url?: string }).home_page_url
        : path.endsWith('.atom')
          ? /<link rel="alternate" href="([^"]*)"\/>/.exec(document)?.[1]
          : /<link>([^<]*)<\/link>/.exec(document)?.[1];
      expect(link, path).toBe(page ? `https://columns.example.net${page}` : 'https://columns.example.net/');
    }
  });

  schemaIt('every Atom document is valid against RFC 4287 Appendix B (jing)', async () => {
    const atom = new Map(named('.atom'));
    expect(atom.size).toBeGreaterThan(5);
    expect(await validateAtomSchema(mkdtempSync(join(root, 'jing-')), atom)).toEqual([]);
  });

  it('every Atom document keeps RFC 4287 rules the schema cannot say', () => {
    for (const [path, document] of named('.atom')) expect(atomRules(document), path).toEqual([]);
  });

  it('gives every Atom feed its own id (RFC 4287 §4.2.6: a universally unique identifier for the feed)', () => {
    const ids = named('.atom').map(([path, document]) => [path, /<id>([^<]*)<\/id>/.exec(document)![1]!] as const);
    const seen = new Map<string, string>();
    for (const [path, id] of ids) {
      expect(seen.get(id), `${path} has the id of ${seen.get(id)}`).toBeUndefined();
      seen.set(id, path);
    }
    expect(seen.get('https://columns.example.net/')).toBe('/feed.atom');
  });

  it('every RSS document passes the RSS 2.0 rules the W3C validator applies', () => {
    for (const [path, document] of named('.xml')) expect(rssRules(document), path).toEqual([]);
  });

  it('every JSON Feed is JSON Feed 1.1, and Python json reads the same items', async () => {
    for (const [path, document] of named('.json')) {
      expect(jsonFeedRules(document), path).toEqual([]);
      const ids = (JSON.parse(document) as { items: Array<{ id: string }> }).items.map((item) => item.id);
      expect(await pythonIds(document), path).toEqual(ids);
    }
  });

  it('the OPML is OPML 2.0: a title, RFC 822 dates, text on every outline, absolute URLs', () => {
    expect(opmlRules(documents.get('/opml')!)).toEqual([]);
  });
});

describe('JSON Feed 1.1 rules on a plain story', () => {
  const story: Story = {
    id: 1,
    publicId: 'urn:columnwire:story:1',
    title: 'A headline alone',
    link: 'https://news.example.com/a',
    canonicalUrl: null,
    author: 'Jane Doe',
    published: new Date('2026-01-02T03:04:05Z'),
    claimedPublished: null,
    updated: new Date('2026-01-02T03:04:05Z'),
    summary: null,
    content: null,
    categories: [],
    firstSeenAt: new Date('2026-01-02T03:04:05Z'),
    feedId: 'jane',
    sources: [],
  };
  const document = (stories: Story[]): string =>
    buildMergedFeed(stories, {
      format: 'json',
      title: 'Columns',
      baseUrl: 'https://columns.example.net',
      sources: new Map(),
      now: new Date(0),
    });

  it('gives a headline-only story an empty content_text: one of content_html and content_text must be present', () => {
    expect(jsonFeedRules(document([story]))).toEqual([]);
    expect((JSON.parse(document([story])) as { items: unknown[] }).items[0]).toMatchObject({ content_text: '' });
  });

  it('names the feed author in 1.1 `authors` as well as 1.0 `author`', () => {
    expect(JSON.parse(document([]))).toMatchObject({ authors: [{ name: 'Columns', url: 'https://columns.example.net/' }] });
  });
});

describe('links as RFC 3986 writes them (what W3C and RFC 3987 checks accept)', () => {
  it.each([
    ['https://news.example.com/a|b^c{d}e`f[g]', 'https://news.example.com/a%7Cb%5Ec%7Bd%7De%60f%5Bg%5D'],
    ['https://news.example.com/?q={x}|[y]', 'https://news.example.com/?q=%7Bx%7D%7C%5By%5D'],
    ['https://news.example.com/a#one#two[3]', 'https://news.example.com/a#one%23two%5B3%5D'],
    ['https://news.example.com/%zz%41', 'https://news.example.com/%25zz%41'],
    ['https://bücher.example/ü b', 'https://xn--bcher-kva.example/%C3%BC%20b'],
    ['https://[::1]:8080/x', 'https://[::1]:8080/x'],
  ])('publishes %s as %s', (link, published) => {
    expect(publishableLink(link)).toBe(published);
    expect(absoluteIri(publishableLink(link)!)).toBe(true);
  });

  it('lists http(s) site links in the OPML as URIs and leaves out the others', () => {
    const feed = (id: string, siteLink: string): OpmlFeed => ({
      source: { id, url: `https://feeds.example.org/${id}?a=[1]`, title: id, outlet: null, tags: [] },
      url: `https://feeds.example.org/${id}?a=[1]`,
      title: null,
      siteLink,
    });
    const opml = buildOpml('Columns', [feed('a', 'https://site.example/a|b#c#d'), feed('b', 'javascript:alert(1)')], new Date(0));
    expect(opmlRules(opml)).toEqual([]);
    expect(opml).toContain('xmlUrl="https://feeds.example.org/a?a=%5B1%5D" htmlUrl="https://site.example/a%7Cb#c%23d"');
    expect(opml).not.toContain('javascript:');
  });

  it('writes tags holding "," or "/" into the OPML category so that each reads back as one tag', () => {
    const source = { id: 'a', url: 'https://feeds.example.org/a', title: 'A', outlet: null, tags: ['econ', 'left,right', 'eu/uk', '100%'] };
    const opml = buildOpml('Columns', [{ source, url: source.url, title: null, siteLink: null }], new Date(0));
    expect(opml).toContain('category="/econ,/left%2Cright,/eu%2Fuk,/100%25"');
    // `opml import` makes tags of names as tagOf does ("left,right" → "left-right"): one tag each, never split in two.
    expect(planOpmlImport(parseOpml(opml), [], []).entries[0]?.tags).toEqual(['econ', 'left-right', 'eu-uk', '100']);
  });

  it('writes a well-formed OPML whatever characters the names hold (a byline with U+FFFE, a title with controls)', () => {
    const source = { id: 'a', url: 'https://feeds.example.org/a', title: 'Tab\there\u0001 \uD800', outlet: 'Out\nlet\uFFFE', tags: ['t'] };
    const bare = { id: 'b', url: 'https://feeds.example.org/b', title: '\uFFFE\u0001', outlet: null, tags: [] };
    const feeds = [
      { source, url: source.url, title: null, siteLink: null },
      { source: bare, url: bare.url, title: 'Polled \uDC00title', siteLink: null },
    ];
    const opml = buildOpml('Columns\u0000', feeds, new Date(0), {
      columnists: {
        label: 'Columnists',
        feeds: [
          { name: '\u2F53\uFFFE', xmlUrl: 'https://c.example/x.xml', htmlUrl: 'https://c.example/x' },
          { name: '\uFFFF', xmlUrl: 'https://c.example/y.xml', htmlUrl: 'https://c.example/y' },
        ],
      },
    });
    expect(opmlRules(opml)).toEqual([]);
    expect(opml).toContain('text="Tab&#9;here "');
    expect(opml).toContain('description="Out&#10;let"');
    expect(opml).toContain('text="\u2F53"');
    expect(opml).toContain('text="Polled title"');
  });
});

describe('the validators themselves', () => {
  const atom = (entry: string, head = '<author><name>Site</name></author>'): string =>
    `<feed xmlns="http://www.w3.org/2005/Atom"><id>https://c.example/</id><title>T</title><updated>2026-01-01T00:00:00Z</updated>${head}<entry><id>urn:x:1</id><title>t</title><updated>2026-01-01T00:00:00Z</updated>${entry}</entry></feed>`;
  const rss = (item: string, channel = '<link>https://c.example/</link>'): string =>
    `<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel><title>T</title>${channel}<description>d</description><atom:link href="https://c.example/feed.xml" rel="self"/><item>${item}</item></channel></rss>`;
  const json = (item: Record<string, unknown>): string =>
    JSON.stringify({ version: 'https://jsonfeed.org/version/1.1', title: 'T', items: [{ id: '1', content_text: '', ...item }] });

  it.each([
    ['an Atom entry without author in a feed without one', atomRules(atom('<link href="https://c.example/1"/>', '')), 'no author'],
    [
      'two alternate links of one type',
      atomRules(atom('<link href="https://c.example/1"/><link rel="alternate" href="https://c.example/2"/>')),
      'two alternate',
    ],
    ['no link and no content', atomRules(atom('')), 'neither an alternate link nor content'],
    ['a relative id', atomRules(atom('<link href="https://c.example/1"/>').replace('urn:x:1', '/1')), 'not an absolute IRI'],
    [
      'a date without zone',
      atomRules(atom('<link href="https://c.example/1"/><published>2026-01-01T00:00:00</published>')),
      'not RFC 3339',
    ],
    ['content with src and a body', atomRules(atom('<content src="https://c.example/x">x</content>')), 'is not empty'],
    [
      'an RSS date with a two-digit year',
      rssRules(rss('<title>t</title><pubDate>Thu, 01 Jan 26 00:00:00 GMT</pubDate>')),
      'four-digit year',
    ],
    [
      'an RSS date with the wrong weekday',
      rssRules(rss('<title>t</title><pubDate>Fri, 01 Jan 2026 00:00:00 GMT</pubDate>')),
      'wrong weekday',
    ],
    ['a permalink guid that is no URL', rssRules(rss('<title>t</title><guid>urn:x:1</guid>')), 'permalink guid'],
    ['an item with neither title nor description', rssRules(rss('<link>https://c.example/1</link>')), 'neither title nor description'],
    ['a channel without link', rssRules(rss('<title>t</title>', '')), '<link> missing'],
    [
      'two item links',
      rssRules(rss('<title>t</title><link>https://c.example/1</link><link>https://c.example/2</link>')),
      'more than one <link>',
    ],
    ['a link with a raw "|"', rssRules(rss('<title>t</title><link>https://c.example/a|b</link>')), 'is not a URL'],
    ['a JSON item without content', jsonFeedRules(json({ content_text: undefined })), 'neither content_html nor content_text'],
    ['a JSON url that is relative', jsonFeedRules(json({ url: '/a' })), 'not an absolute URL'],
    ['a JSON null title', jsonFeedRules(json({ title: null })), 'not a string'],
    [
      'an OPML outline without text',
      opmlRules('<opml version="2.0"><head><title>T</title></head><body><outline type="rss" xmlUrl="https://c.example/f"/></body></opml>'),
      'no text',
    ],
    [
      'an OPML rss outline without xmlUrl',
      opmlRules('<opml version="2.0"><head><title>T</title></head><body><outline type="rss" text="x"/></body></opml>'),
      'without an absolute xmlUrl',
    ],
  ])('flag %s', (_, problems, expected) => {
    expect(problems.join('\n')).toContain(expected);
  });

  schemaIt('jing refuses an Atom entry without id and with an unknown Atom element', async () => {
    const bad = atom('<link href="https://c.example/1"/><colour>red</colour>').replace('<id>urn:x:1</id>', '');
    expect((await validateAtomSchema(mkdtempSync(join(root, 'jing-')), new Map([['bad', bad]]))).join('\n')).toMatch(/bad:\d+:\d+: error/);
  });
});
