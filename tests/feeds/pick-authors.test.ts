/**
 * Issue 13: `columnists[].pickFrom` picks one columnist out of a multi-author feed. Such a feed
 * stores only the items a picking columnist signed (alone, with co-authors, under an alias,
 * "By …"), its unsigned items only when the columnist also claims them (`feeds:`), and says how
 * many it left out. A changed pick refetches the feed in full, past its ETag.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { diffConfig } from '../../src/config/diff-config.ts';
import { parseConfig } from '../../src/config/load.ts';
import { bylineNames, isPicked, pickItems } from '../../src/feeds/pick-authors.ts';
import { serveForTest } from '../helpers/feed-server.ts';
import { problemsOf } from '../helpers/config-problems.ts';
import { configYaml, startPollApp } from '../helpers/poll-app.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const dataRoot = makeTempDir();

/** An opinion section: many authors, some co-signed, one unsigned item. */
const SECTION: Array<[title: string, author: string | null]> = [
  ['Budgets again', 'Jane Doe'],
  ['The weather', 'John Roe'],
  ['Trains', 'J. Doe'],
  ['Two views on taxes', 'John Roe and Jane Doe'],
  ['Editorial: the mayor', null],
  ['Schools', 'By JANE DOÉ'],
  ['Letters', 'Readers, various'],
  ['Jane Doe Street renamed', 'Max Mustermann'],
];

function sectionRss(): string {
  const items = SECTION.map(
    ([title, author], i) =>
      `<item><title>${title}</title><link>https://paper.example/opinion/${i}</link><guid>op-${i}</guid>` +
      `<pubDate>Sun, 01 Jun 2025 0${i}:00:00 GMT</pubDate>${author === null ? '' : `<dc:creator>${author}</dc:creator>`}</item>`,
  ).join('');
  return `<?xml version="1.0"?><rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>Paper opinion</title>${items}</channel></rss>`;
}

/** Serves the section with an ETag, answering 304 to a request that already has it; counts full answers. */
function sectionServer() {
  const body = sectionRss();
  const counts = { full: 0, notModified: 0 };
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    if (req.headers['if-none-match'] === '"v1"') {
      counts.notModified++;
      return void res.writeHead(304).end();
    }
    counts.full++;
    res.writeHead(200, { 'content-type': 'application/rss+xml', etag: '"v1"' }).end(body);
  };
  return { handler, counts };
}

const janePicks = (extra = '') => `columnists:\n  - name: Jane Doe\n    aliases: ["J. Doe"]\n    pickFrom: [opinion]\n${extra}`;

describe('picking a columnist out of a multi-author feed', () => {
  it('stores only her columns, signed alone, co-signed, by alias or "By …", and counts the rest', async () => {
    const section = sectionServer();
    const server = await serveForTest({ '/opinion': section.handler });
    const poller = await startPollApp({ dataRoot, feeds: { opinion: server.url('/opinion') }, extraYaml: janePicks() });

    const outcome = await poller.pollOne('opinion');

    expect(outcome).toMatchObject({ kind: 'stored', added: 4, unpickedItems: 4 });
    const titles = (await poller.stories('opinion')).map((story) => story.title).sort();
    expect(titles).toEqual(['Budgets again', 'Schools', 'Trains', 'Two views on taxes']);
  });

  it('keeps the unsigned items too when she also claims the feed (feeds:)', async () => {
    const server = await serveForTest({ '/opinion': sectionServer().handler });
    const extra = janePicks().replace('pickFrom: [opinion]', 'pickFrom: [opinion]\n    feeds: [opinion]');
    const poller = await startPollApp({ dataRoot, feeds: { opinion: server.url('/opinion') }, extraYaml: extra });

    expect(await poller.pollOne('opinion')).toMatchObject({ kind: 'stored', added: 5, unpickedItems: 3 });
    expect((await poller.stories('opinion')).map((story) => story.title)).toContain('Editorial: the mayor');
  });

  it("reads an entry that inherits the feed's own author as unsigned, unless that author is hers", async () => {
    // Atom: entries without <author> take the feed's (RFC 4287 §4.2.1), here the outlet's desk.
    const atom = (feedAuthor: string, site = 'paper') =>
      `<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Paper opinion</title><id>urn:paper</id>` +
      `<updated>2025-06-01T09:00:00Z</updated><author><name>${feedAuthor}</name></author>` +
      [
        ['Desk: the mayor', null],
        ['Budgets again', 'Jane Doe'],
        ['The weather', 'John Roe'],
      ]
        .map(
          ([title, author], i) =>
            `<entry><title>${title} (${site})</title><id>urn:${site}:${i}</id><link href="https://${site}.example/${i}"/>` +
            `<updated>2025-06-01T0${i}:00:00Z</updated>${author === null ? '' : `<author><name>${author}</name></author>`}</entry>`,
        )
        .join('') +
      `</feed>`;
    const server = await serveForTest({
      '/desk': (_req: IncomingMessage, res: ServerResponse) =>
        void res.writeHead(200, { 'content-type': 'application/atom+xml' }).end(atom('Opinion Desk')),
      '/own': (_req: IncomingMessage, res: ServerResponse) =>
        void res.writeHead(200, { 'content-type': 'application/atom+xml' }).end(atom('Jane Doe', 'jane')),
    });
    const claimed = janePicks().replace('pickFrom: [opinion]', 'pickFrom: [opinion, own]\n    feeds: [opinion]');
    const poller = await startPollApp({ dataRoot, feeds: { opinion: server.url('/desk'), own: server.url('/own') }, extraYaml: claimed });
    expect(await poller.pollOne('opinion')).toMatchObject({ kind: 'stored', added: 2, unpickedItems: 1 });
    const kept = await poller.stories('opinion');
    expect(kept.map((story) => [story.title, story.author]).sort()).toEqual([
      ['Budgets again (paper)', 'Jane Doe'],
      // Kept as unsigned, so stored unsigned: hers (she claims the feed's unsigned stories), not the desk's.
      ['Desk: the mayor (paper)', null],
    ]);
    // Her own feed, whose entries inherit her name: kept as hers, though she claims no unsigned items there.
    expect(await poller.pollOne('own')).toMatchObject({ kind: 'stored', added: 2, unpickedItems: 1 });

    const unclaimed = await serveForTest({
      '/desk': (_req: IncomingMessage, res: ServerResponse) =>
        void res.writeHead(200, { 'content-type': 'application/atom+xml' }).end(atom('Opinion Desk')),
    });
    const strict = await startPollApp({ dataRoot, feeds: { opinion: unclaimed.url('/desk') }, extraYaml: janePicks() });
    expect(await strict.pollOne('opinion')).toMatchObject({ kind: 'stored', added: 1, unpickedItems: 2 });
  });

  it('keeps the items of every columnist picking the feed; other feeds are untouched', async () => {
    const server = await serveForTest({ '/opinion': sectionServer().handler, '/other': sectionServer().handler });
    const extra = janePicks('  - name: John Roe\n    pickFrom: [opinion]\n');
    const poller = await startPollApp({
      dataRoot,
      feeds: { opinion: server.url('/opinion'), other: server.url('/other') },
      extraYaml: extra,
    });

    const summary = await poller.poll();

    const byFeed = new Map(summary.results.map(({ feed, outcome }) => [feed.id, outcome]));
    expect(byFeed.get('opinion')).toMatchObject({ kind: 'stored', itemCount: 5, unpickedItems: 3 });
    expect(byFeed.get('other')).toMatchObject({ kind: 'stored', itemCount: SECTION.length, unpickedItems: 0 });
  });

  it('refetches in full, past the ETag, when the pick changes, and stores what it now keeps', async () => {
    const section = sectionServer();
    const server = await serveForTest({ '/opinion': section.handler });
    const poller = await startPollApp({ dataRoot, feeds: { opinion: server.url('/opinion') }, extraYaml: janePicks() });
    await poller.pollOne('opinion');
    expect(await poller.pollOne('opinion')).toEqual({ kind: 'not-modified' });
    expect(section.counts).toEqual({ full: 1, notModified: 1 });

    const before = poller.app.config;
    const after = parseConfig(
      configYaml(
        { opinion: server.url('/opinion') },
        { allowPrivateAddresses: true, timeoutSeconds: 5 },
        janePicks('  - name: John Roe\n    pickFrom: [opinion]\n'),
      ),
      'feeds.yaml',
    );
    expect(diffConfig(before, after).feedsToFetch).toEqual(['opinion']);
    await poller.app.reconfigure(after);
    expect((await poller.feed('opinion')).etag).toBeNull();

    expect(await poller.pollOne('opinion')).toMatchObject({ kind: 'stored', added: 1, duplicates: 4, unpickedItems: 3 });
    expect(section.counts.full).toBe(2);
    expect((await poller.stories('opinion')).map((story) => story.title)).toContain('The weather');

    // The same pick again: validators kept, a 304.
    await poller.app.reconfigure(after);
    expect(await poller.pollOne('opinion')).toEqual({ kind: 'not-modified' });
  });

  it('reports a pickFrom naming no feed on its line', () => {
    const yaml = configYaml(
      { opinion: 'https://paper.example/opinion.xml' },
      {},
      'columnists:\n  - name: Jane Doe\n    pickFrom: [opnion]\n',
    );
    expect(problemsOf(yaml)).toEqual([expect.stringMatching(/columnists\[0\]\.pickFrom\[0\] no feed has the id "opnion"/)]);
  });
});

describe('bylineNames / isPicked', () => {
  const pick = { authorKeys: ['jane doe'], keepUnsigned: false, names: ['Jane Doe'] };

  it('reads each person of a byline', () => {
    expect(bylineNames('Jane Doe; John Roe & Zoë Smith')).toEqual(expect.arrayContaining(['jane doe', 'john roe', 'zoe smith']));
    expect(bylineNames('By Jane Doe')).toContain('jane doe');
    for (const byline of [
      'Jane Doe - Staff Writer',
      'Jane Doe — The Times',
      'Jane Doe (Reuters)',
      'Opinion by Jane Doe',
      'By JANE DOE, Staff Writer',
    ])
      expect(bylineNames(byline)).toContain('jane doe');
    expect(bylineNames('   ')).toEqual([]);
    expect(bylineNames(null)).toEqual([]);
  });

  it('never picks a byline that only mentions her in passing or is a longer name', () => {
    for (const author of ['Jane Doetsch', 'Mary Jane Doe', 'Jane', 'Doe', 'Jane Doe-Smith']) expect(isPicked({ author }, pick)).toBe(false);
  });

  it('holds for hostile bylines: never throws, never picks one without her name', () => {
    const hostile = [
      '\u0000',
      ','.repeat(10_000),
      ' and '.repeat(5_000),
      '<b>Jane</b>',
      '\uD800',
      'j'.repeat(100_000),
      ' '.repeat(200_000) + ',',
    ];
    for (const author of hostile) expect(isPicked({ author }, pick)).toBe(false);
    const signed = (author: string) => ({ author, authorKey: author.toLowerCase() });
    expect(pickItems([signed('x'), signed('Jane Doe')], pick)).toEqual({ items: [signed('Jane Doe')], leftOut: 1, keptIndexes: [1] });
    expect(pickItems([signed('x')], undefined)).toEqual({ items: [signed('x')], leftOut: 0, keptIndexes: [0] });
  });
});
