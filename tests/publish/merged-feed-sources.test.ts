/**
 * The outlet where readers show it (issue 10 §2), through the real HTTP server: each RSS item
 * names its primary source feed in RSS 2.0's `<source url="FEED">Outlet</source>`, each Atom
 * entry in RFC 4287 §4.2.11 `<source>` (id, title, self link), beside the columnwire:
 * extensions. The url is the configured feed URL as a public document may show it: a private
 * feed's user, password and token never reach a subscriber. Read back strictly (saxes) and
 * with rss-parser, a real client library.
 */
import Parser from 'rss-parser';
import { describe, expect, it } from 'vitest';
import type { FeedFormat } from '../../src/publish/build-merged-feed.ts';
import { item } from '../helpers/items.ts';
import { readMergedFeed, type Decoded } from '../helpers/read-merged-feed.ts';
import { startServedApp, type ServedApp } from '../helpers/served-app.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const root = makeTempDir();
const HOSTILE_OUTLET = `Smith & <Jones> "Weekly" ]]></source></item><item><title>Injected</title>`;
const TOKEN = 'Tk9-private-Q7';
const PASSWORD = 'Pw-private-88';
const PRIVATE_URL = `https://reader:${PASSWORD}@members.example.com/feed?page=1&token=${TOKEN}`;
const PRIVATE_PUBLIC = 'https://members.example.com/feed?page=1';

const CONFIG = `title: Test Columns
baseUrl: https://columns.example.net
server:
  port: 0
feeds:
  - url: https://times.example.com/jane/rss
    id: jane
    title: Jane Doe
    outlet: The Times
    tags: [politics]
  - url: ${PRIVATE_URL}
    id: members
    title: Members only
    outlet: The Members' Letter
    tags: [politics]
  - url: https://hostile.example.org/feed
    id: hostile
    outlet: '${HOSTILE_OUTLET.replaceAll("'", "''")}'
    tags: [politics]
  - url: https://untitled.example.org/feed
    id: untitled
    tags: [politics]
`;

const PATHS: Array<readonly [string, FeedFormat]> = [
  ['/feed.xml', 'rss'],
  ['/feed.atom', 'atom'],
  ['/tags/politics/feed.xml', 'rss'],
  ['/tags/politics/feed.atom', 'atom'],
];

/** A served app where each feed brought one column; `shared` appeared in jane first, then members. */
async function seeded(): Promise<ServedApp> {
  const served = await startServedApp(root, CONFIG);
  const at = (hour: number): Date => new Date(Date.UTC(2026, 10, 20, hour));
  const shared = item({ id: 'shared', title: 'Shared column', link: 'https://times.example.com/opinion/shared', published: at(6) });
  await served.save(
    'jane',
    [item({ id: 'j', title: 'Jane column', link: 'https://times.example.com/opinion/j', published: at(10) }), shared],
    at(11),
  );
  await served.save(
    'members',
    [item({ id: 'm', title: 'Members column', link: 'https://members.example.com/m', published: at(9) }), shared],
    at(12),
  );
  await served.save(
    'hostile',
    [item({ id: 'h', title: 'Hostile column', link: 'https://hostile.example.org/h', published: at(8) })],
    at(12),
  );
  await served.save(
    'untitled',
    [item({ id: 'u', title: 'Untitled column', link: 'https://untitled.example.org/u', published: at(7) })],
    at(12),
  );
  return served;
}

function byTitle(entries: Decoded[]): Map<string, Decoded> {
  return new Map(entries.map((entry) => [entry.title, entry]));
}

/** Title (outlet, else feed title, else id) and public URL of each story's primary source feed. */
const EXPECTED: Record<string, { title: string; url: string }> = {
  'Jane column': { title: 'The Times', url: 'https://times.example.com/jane/rss' },
  'Members column': { title: "The Members' Letter", url: PRIVATE_PUBLIC },
  'Hostile column': { title: HOSTILE_OUTLET, url: 'https://hostile.example.org/feed' },
  'Untitled column': { title: 'untitled', url: 'https://untitled.example.org/feed' },
  // In two feeds: RSS allows one <source>, so the first it appeared in; the other stays in columnwire:source.
  'Shared column': { title: 'The Times', url: 'https://times.example.com/jane/rss' },
};

describe('merged feeds name each story’s source feed in the standard <source>', () => {
  it('in RSS <source url> and Atom <source> (id, title, self link), for every story, keeping the extensions', async () => {
    const served = await seeded();
    for (const [path, format] of PATHS) {
      const response = await served.get(path);
      expect(response.status, path).toBe(200);
      const text = await response.text();
      const entries = byTitle(readMergedFeed(format, text).entries);
      expect([...entries.keys()].sort(), path).toEqual(Object.keys(EXPECTED).sort());
      for (const [title, { title: outlet, url }] of Object.entries(EXPECTED)) {
        const origin = format === 'rss' ? { title: outlet, url, id: null } : { title: outlet, url, id: url };
        expect(entries.get(title)!.origin, `${path}: ${title}`).toEqual(origin);
      }
      const shared = entries.get('Shared column')!;
      expect(shared.sources.map((source) => [source.feed, source.outlet])).toEqual([
        ['jane', 'The Times'],
        ['members', "The Members' Letter"],
      ]);
      expect(entries.get('Hostile column')!.outlet, path).toBe(HOSTILE_OUTLET);
      // The private feed's password and token are in no document anyone can fetch.
      expect(text, path).not.toContain(TOKEN);
      expect(text, path).not.toContain(PASSWORD);
      expect(text, path).not.toContain('reader:');
    }
    // As written: the RSS 2.0 form readers display, with the hostile outlet escaped once.
    const rss = await (await served.get('/feed.xml')).text();
    expect(rss).toContain('<source url="https://times.example.com/jane/rss">The Times</source>');
    expect(rss).toContain(
      '<source url="https://hostile.example.org/feed">Smith &amp; &lt;Jones&gt; "Weekly" ]]&gt;&lt;/source&gt;&lt;/item&gt;&lt;item&gt;&lt;title&gt;Injected&lt;/title&gt;</source>',
    );
  });

  it('is what rss-parser, a real client library, reads as the item source', async () => {
    const served = await seeded();
    // keepArray: the element as xml2js read it (text as `_`, attributes as `$`), not only its text.
    const parser = new Parser<Record<string, unknown>, { source?: unknown }>({
      customFields: { item: [['source', 'source', { keepArray: true }]] },
    });
    const rss = await parser.parseString(await (await served.get('/feed.xml')).text());
    const rssSources = new Map(rss.items.map((entry) => [entry.title, entry.source]));
    for (const [title, { title: outlet, url }] of Object.entries(EXPECTED)) {
      expect(rssSources.get(title), title).toEqual([{ _: outlet, $: { url } }]);
    }
    const atom = await parser.parseString(await (await served.get('/feed.atom')).text());
    const atomSources = new Map(atom.items.map((entry) => [entry.title, entry.source]));
    for (const [title, { title: outlet, url }] of Object.entries(EXPECTED)) {
      expect(atomSources.get(title), title).toEqual([
        { id: [url], title: [{ _: outlet, $: { type: 'text' } }], link: [{ $: { rel: 'self', href: url } }] },
      ]);
    }
  });

  it('leave JSON Feed as it was: the outlet in _columnwire, authors the columnist only', async () => {
    const served = await seeded();
    const feed = (await (await served.get('/feed.json')).json()) as {
      items: Array<{ title: string; authors?: Array<{ name: string }>; _columnwire: { outlet: string | null } }>;
    };
    const jane = feed.items.find((entry) => entry.title === 'Jane column')!;
    expect(jane.authors).toEqual([{ name: 'Jane Doe' }]);
    expect(jane._columnwire.outlet).toBe('The Times');
    expect(JSON.stringify(feed)).not.toContain(TOKEN);
  });
});
