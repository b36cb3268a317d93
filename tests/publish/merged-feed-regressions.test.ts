/**
 * The reproduced merged-feed bugs of issue 9 §2, through the real HTTP server and the real
 * `columnwire export`: a tracking link (`?id=42&ref=rss`) or an outlet with `&` and `<` made
 * RSS malformed; a title with two `]]>` injected an <item>; a title that was escaped markup
 * became live HTML in Atom; `javascript:`, `data:` and `vbscript:` links were republished.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Parser from 'rss-parser';
import { describe, expect, it } from 'vitest';
import type { FeedFormat } from '../../src/publish/build-merged-feed.ts';
import { item } from '../helpers/items.ts';
import { readMergedFeed, type Decoded } from '../helpers/read-merged-feed.ts';
import { runCli } from '../helpers/run-cli.ts';
import { startServedApp, type ServedApp } from '../helpers/served-app.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const root = makeTempDir();
const OUTLET = 'Smith & <Jones> "Weekly"';
const config = (outlet: string): string => `title: Test Columns
baseUrl: https://columns.example.net
server:
  port: 0
feeds:
  - url: https://times.example.com/jane/rss
    id: jane
    title: Jane Doe
    outlet: '${outlet}'
    tags: [politics]
`;
const TRACKING = 'https://times.example.com/opinion/trains?id=42&ref=rss';
// Two `]]>`: xml-js escaped only the first, so the second closed the CDATA and the rest was markup.
const INJECTION =
  'Harmless]]>x]]></title></item><item><title>Injected</title><description><script>alert(1)</script></description></item><item><title>x';
// A title that was `&lt;img src=x onerror=alert(1)&gt;` in its source feed: text, never markup.
const ESCAPED_MARKUP = '<img src=x onerror=alert(1)>';
const BAD_LINKS = { js: 'javascript:alert(document.cookie)', data: 'data:text/html,<script>alert(1)</script>', vb: 'VBScript:msgbox(1)' };
const FILES: Record<FeedFormat, string> = { rss: 'feed.xml', atom: 'feed.atom', json: 'feed.json' };
const PATHS = ['', '/tags/politics', '/feeds/jane'].flatMap((prefix) =>
  (['rss', 'atom', 'json'] as const).map((format) => [`${prefix}/${FILES[format]}`, format] as const),
);

const STORIES = {
  tracking: item({ id: 'track', title: 'Trains, again & again', link: TRACKING, published: new Date('2026-11-20T10:00:00Z') }),
  injection: item({
    id: 'cdata',
    title: INJECTION,
    link: 'https://times.example.com/opinion/cdata',
    published: new Date('2026-11-20T09:00:00Z'),
  }),
  markup: item({
    id: 'markup',
    title: ESCAPED_MARKUP,
    link: 'https://times.example.com/opinion/markup',
    published: new Date('2026-11-20T08:00:00Z'),
  }),
  badLinks: Object.entries(BAD_LINKS).map(([id, link], n) =>
    item({ id, title: `Column with a ${id} link`, link, published: new Date(Date.UTC(2026, 10, 19, 12 - n)) }),
  ),
};

const ALL = [STORIES.tracking, STORIES.injection, STORIES.markup, ...STORIES.badLinks];

/** A served app with `items` from jane; the outlet is the hostile one unless a test is about something else. */
async function seeded(items = ALL, outlet = OUTLET): Promise<ServedApp> {
  const served = await startServedApp(root, config(outlet));
  await served.save('jane', items);
  return served;
}

/** Every path's document, read strictly (fails on the first one malformed). */
async function readAll(served: ServedApp): Promise<Array<{ path: string; format: FeedFormat; text: string; entries: Decoded[] }>> {
  const documents = [];
  for (const [path, format] of PATHS) {
    const response = await served.get(path);
    expect(response.status, path).toBe(200);
    const text = await response.text();
    let entries: Decoded[];
    try {
      entries = readMergedFeed(format, text).entries;
    } catch (error) {
      throw new Error(`${path}: ${(error as Error).message}`, { cause: error });
    }
    documents.push({ path, format, text, entries });
  }
  return documents;
}

function entryTitled(entries: Decoded[], title: string): Decoded {
  const found = entries.filter((entry) => entry.title === title);
  expect(found, `entries titled ${JSON.stringify(title)}`).toHaveLength(1);
  return found[0]!;
}

function checkTracking(entries: Decoded[]): void {
  const tracked = entryTitled(entries, 'Trains, again & again');
  expect(tracked).toMatchObject({ link: TRACKING, outlet: OUTLET, sources: [{ feed: 'jane', outlet: OUTLET, url: TRACKING }] });
}

function checkBadLinks(format: FeedFormat, text: string, entries: Decoded[]): void {
  for (const id of Object.keys(BAD_LINKS)) {
    const entry = entryTitled(entries, `Column with a ${id} link`);
    expect(entry.id).toMatch(/^urn:columnwire:story:[0-9a-f]{32}$/);
    // Atom entries need an alternate link (RFC 4287 §4.1.1): the story's card, not the home page.
    expect(entry.link).toBe(format === 'atom' ? `https://columns.example.net/stories/${entry.id.split(':').pop()}` : null);
    expect(entry.sources).toEqual([expect.objectContaining({ feed: 'jane', url: null })]);
  }
  expect(text).not.toMatch(/javascript:|data:text|vbscript:/i);
}

/** What every document of the full set must say, whatever the scope and format. */
function checkDocument(format: FeedFormat, text: string): void {
  const { entries } = readMergedFeed(format, text);
  expect(entries).toHaveLength(6);
  checkTracking(entries);
  expect(entryTitled(entries, INJECTION).link).toBe('https://times.example.com/opinion/cdata');
  entryTitled(entries, ESCAPED_MARKUP);
  checkBadLinks(format, text, entries);
}

describe('merged feeds with hostile stories, as served (every scope, every format)', () => {
  it('stay well-formed with a tracking link (?id=42&ref=rss) and an outlet with & < and "', async () => {
    const served = await seeded([STORIES.tracking]);
    for (const { entries } of await readAll(served)) checkTracking(entries);
    // A reader gets the link with its & (newsboat used to drop it).
    const text = await (await served.get('/feed.xml')).text();
    expect(text).toContain('<link>https://times.example.com/opinion/trains?id=42&amp;ref=rss</link>');
    expect((await new Parser().parseString(text)).items[0]!.link).toBe(TRACKING);
  });

  it('inject no item from a title with two "]]>", and give the title back exactly', async () => {
    const served = await seeded([STORIES.injection, STORIES.tracking], 'The Times');
    for (const { path, entries } of await readAll(served)) {
      expect(
        entries.map((entry) => entry.title),
        path,
      ).toEqual(['Trains, again & again', INJECTION]);
    }
    const lenient = await new Parser().parseString(await (await served.get('/feed.xml')).text());
    expect(lenient.items.map((entry) => entry.title)).toEqual(['Trains, again & again', INJECTION]);
  });

  it('write titles as plain text: a title that was escaped markup stays text (Atom type="text")', async () => {
    const served = await seeded([STORIES.markup], 'The Times');
    for (const { path, format, text, entries } of await readAll(served)) {
      expect(
        entries.map((entry) => entry.title),
        path,
      ).toEqual([ESCAPED_MARKUP]);
      if (format === 'atom') expect(text, path).toContain('<title type="text">&lt;img src=x onerror=alert(1)&gt;</title>');
      if (format !== 'json') expect(text, path).not.toContain('<img');
    }
  });

  it('drop javascript:, data: and vbscript: links from items, entries and sources, keeping the entries and their ids', async () => {
    const served = await seeded(STORIES.badLinks, 'The Times');
    for (const { format, text, entries } of await readAll(served)) checkBadLinks(format, text, entries);
  });
});

describe('columnwire export with hostile stories', () => {
  it('writes well-formed RSS, Atom and JSON with every field intact and no unsafe link', async () => {
    const served = await seeded();
    const configPath = join(root, `export-${Date.now()}.yaml`);
    writeFileSync(configPath, config(OUTLET));
    const results = await Promise.all(
      (['rss', 'atom', 'json'] as const).map(async (format) => {
        const result = await runCli(['--config', configPath, '--data', served.app.dataDir, 'export', '--format', format]);
        return { format, ...result };
      }),
    );
    for (const { format, code, stdout, stderr } of results) {
      expect(code, `export --format ${format}: ${stderr}`).toBe(0);
      checkDocument(format, stdout.replace(/\n$/, ''));
    }
  }, 60_000);
});
