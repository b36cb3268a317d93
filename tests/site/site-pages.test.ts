/**
 * Issue 13: the readers' site served by a real app over HTTP. Every page is read back by
 * html-validate (the recommended rules) and checked for what a reader sees: columnists merged
 * across aliases and feeds, outlets, tags, story cards, search, paging by cursor, their feeds,
 * 304s, the locale, and hostile titles, names, bios and queries escaped everywhere.
 */
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { HtmlValidate } from 'html-validate';
import { SaxesParser } from 'saxes';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.ts';
import { parseConfig } from '../../src/config/load.ts';
import { normalizeItems } from '../../src/feeds/normalize-items.ts';
import { createLogger } from '../../src/logger.ts';
import type { ParsedItem } from '../../src/model.ts';
import { createUnsubscribeToken } from '../../src/unsubscribe-token.ts';
import { item } from '../helpers/items.ts';
import { SERVED_AT, startServedApp, type ServedApp } from '../helpers/served-app.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const root = makeTempDir();
const validator = new HtmlValidate({
  extends: ['html-validate:recommended'],
  // long-title counts a title's escaped characters (&amp; as five): the pages cut titles at 70 themselves.
  rules: { 'long-title': 'off' },
});

const CONFIG = `title: Test Columns
baseUrl: https://columns.example.net
server:
  port: 0
site:
  pageSize: 5
columnists:
  - name: Jane Doe
    aliases: [J. Doe]
    slug: jane
    photo: https://img.example.com/jane.jpg
    bio: Writes about budgets & <b>money</b>.
    feeds: [jane]
feeds:
  - url: https://times.example.com/jane/rss
    id: jane
    title: Jane's column
    outlet: The Times
    tags: [politics, uk]
  - url: https://herald.example.com/opinion/rss
    id: herald
    outlet: The Herald
    tags: [politics]
  - url: https://solo.example.org/feed
    id: solo
    title: Sam Solo
    tags: [culture]
`;

const hoursAgo = (hours: number) => new Date(SERVED_AT.getTime() - hours * 3600_000);

async function seed(served: ServedApp): Promise<void> {
  await served.save('jane', [
    item({
      id: 'j1',
      title: 'The budget is a fiction',
      author: 'Jane Doe',
      summary: '<p>Why the numbers lie.</p>',
      published: hoursAgo(1),
    }),
    item({ id: 'j2', title: 'Unsigned but hers', author: null, published: hoursAgo(30) }),
  ]);
  await served.save('herald', [
    item({
      id: 'h1',
      title: 'Taxes, again',
      author: 'J. Doe',
      link: 'https://herald.example.com/h1?utm_source=rss',
      published: hoursAgo(2),
    }),
    item({ id: 'h2', title: 'Water for the city', author: 'Ann Smith', published: hoursAgo(3) }),
  ]);
  await served.save('solo', [item({ id: 's1', title: 'A play reviewed', author: null, published: hoursAgo(4) })]);
}

async function page(served: ServedApp, path: string, status = 200): Promise<string> {
  const response = await served.get(path);
  expect(response.status, path.slice(0, 60)).toBe(status);
  expect(response.headers.get('content-type'), path.slice(0, 60)).toBe('text/html; charset=utf-8');
  const html = await response.text();
  const report = await validator.validateString(html);
  const problems = report.results.flatMap((result) =>
    result.messages.map((message) => `${message.ruleId}: ${message.message} (line ${message.line})`),
  );
  expect(problems, `${path.slice(0, 60)} is valid HTML`).toEqual([]);
  expect(html).not.toContain('<script');
  return html;
}

/** The visible text of an HTML fragment's first element matching `tag` with this class, crudely. */
const titlesIn = (html: string) => [...html.matchAll(/<h[23]><a href="[^"]*">([^<]*)<\/a><\/h[23]>/g)].map((match) => match[1]);

describe('the readers site', () => {
  it('serves every page type as valid, script-free HTML with a favicon and the feeds of what it shows', async () => {
    const served = await startServedApp(root, CONFIG);
    await seed(served);
    const home = await page(served, '/');
    expect(titlesIn(home)).toEqual([
      'The budget is a fiction',
      'Taxes, again',
      'Water for the city',
      'A play reviewed',
      'Unsigned but hers',
    ]);
    expect(home).toContain('<link rel="icon" href="data:image/svg+xml,');
    expect(home).toContain(
      '<link rel="alternate" type="application/rss+xml" title="Test Columns (RSS)" href="https://columns.example.net/feed.xml">',
    );
    // The published link is the cleaned one.
    expect(home).toContain('href="https://herald.example.com/h1"');
    const jane = await page(served, '/columnists/jane');
    expect(jane).toContain(
      '<link rel="alternate" type="application/atom+xml" title="Test Columns: Jane Doe (Atom)" href="https://columns.example.net/columnists/jane/feed.atom">',
    );
    for (const path of ['/columnists', '/outlets', '/outlets/the-herald', '/tags/politics', '/search?q=budget', '/search', '/search?q=%22'])
      await page(served, path);
    await page(served, '/columnists/nobody', 404);
    await page(served, '/outlets/nowhere', 404);
    await page(served, '/tags/not-a-tag', 404);
    await page(served, '/stories/0123abcd', 404);
    await page(served, '/stories/..%2F..%2Fetc', 404);
  });

  it('makes one columnist of a name, its aliases and their unsigned feed, across outlets; one per other author', async () => {
    const served = await startServedApp(root, CONFIG);
    await seed(served);
    const index = await page(served, '/columnists');
    const names = [...index.matchAll(/<h2><a href="https:\/\/columns\.example\.net\/columnists\/([^"]+)">([^<]*)<\/a><\/h2>/g)].map(
      (match) => [match[1], match[2]],
    );
    // Newest column first; Sam Solo is named for the one-person feed that signs nothing.
    expect(names).toEqual([
      ['jane', 'Jane Doe'],
      ['ann-smith', 'Ann Smith'],
      ['sam-solo', 'Sam Solo'],
    ]);
    expect(index).toContain('<img src="https://img.example.com/jane.jpg" alt="" width="64" height="64">');
    const jane = await page(served, '/columnists/jane');
    expect(titlesIn(jane)).toEqual(['The budget is a fiction', 'Taxes, again', 'Unsigned but hers']);
    expect(jane).toContain('Writes about budgets &amp; &lt;b&gt;money&lt;/b&gt;.');
    expect(jane).toContain(
      '<a href="https://columns.example.net/outlets/the-times"><bdi>The Times</bdi></a>, <a href="https://columns.example.net/outlets/the-herald"><bdi>The Herald</bdi></a>',
    );
    expect(jane).toContain('3 columns');
    // Filtered by outlet and by tag.
    const herald = await page(served, '/columnists?outlet=the-herald');
    expect([...herald.matchAll(/columnists\/([a-z-]+)">/g)].map((match) => match[1])).toEqual(['jane', 'ann-smith']);
    const culture = await page(served, '/columnists?tag=culture');
    expect(
      [...culture.matchAll(/<h2><a href="https:\/\/columns\.example\.net\/columnists\/([a-z-]+)">/g)].map((match) => match[1]),
    ).toEqual(['sam-solo']);
    await page(served, '/columnists?outlet=nowhere', 404);
  });

  it('lists a new column and a new columnist on /columnists as soon as they are stored, every time', async () => {
    const served = await startServedApp(root, CONFIG);
    await seed(served);
    const slugs = (html: string) =>
      [...html.matchAll(/<h2><a href="https:\/\/columns\.example\.net\/columnists\/([a-z0-9-]+)">/g)].map((match) => match[1]);
    expect(slugs(await page(served, '/columnists'))).toEqual(['jane', 'ann-smith', 'sam-solo']);
    // The first read of the byline stats is on the store's own connection, the later ones on a read thread (SQLite).
    for (let round = 1; round <= 3; round++) {
      const published = new Date(SERVED_AT.getTime() + round * 60_000);
      await served.save('herald', [item({ id: `ann-${round}`, title: `Ann's column ${round}`, author: 'Ann Smith', published })]);
      const index = await page(served, '/columnists');
      expect(slugs(index)[0]).toBe('ann-smith');
      expect(index).toContain(`Ann&#39;s column ${round}`);
      await served.save('herald', [item({ id: `new-${round}`, title: `First of ${round}`, author: `Newcomer ${round}`, published })]);
      expect(slugs(await page(served, '/columnists'))).toContain(`newcomer-${round}`);
      expect(await page(served, `/columnists/newcomer-${round}`)).toContain(`First of ${round}`);
    }
  });

  it('keeps no page built from the directory of an older store: a poll committing while the byline count runs', async () => {
    const served = await startServedApp(root, CONFIG);
    await seed(served);
    expect(await page(served, '/columnists/jane')).toContain('3 columns');
    await served.save('jane', [item({ id: 'x', title: 'Fourth', author: 'Jane Doe', published: hoursAgo(0.5) })]);
    // The count reads the store, then a poll commits before the count is handed over (it runs on a read thread).
    const bylineStats = served.app.store.bylineStats.bind(served.app.store);
    let commitDuringCount = true;
    served.app.store.bylineStats = async () => {
      const stats = await bylineStats();
      if (commitDuringCount) {
        commitDuringCount = false;
        await served.save('jane', [item({ id: 'y', title: 'Fifth', author: 'Jane Doe', published: hoursAgo(0.25) })]);
      }
      return stats;
    };
    for (const path of ['/columnists/jane', '/columnists/jane', '/columnists', '/outlets/the-times']) {
      const html = await page(served, path);
      expect(html, path).toContain('Fifth');
      expect(html, path).toContain(path === '/outlets/the-times' ? '4 columns' : '5 columns');
    }
  });

  it("publishes each columnist's and outlet's own feeds, well-formed and holding only theirs", async () => {
    const served = await startServedApp(root, CONFIG);
    await seed(served);
    const rss = await (await served.get('/columnists/jane/feed.xml')).text();
    const parser = new SaxesParser();
    const titles: string[] = [];
    let inItemTitle = false;
    let depth: string[] = [];
    parser.on('opentag', (tag) => {
      depth.push(tag.name);
      inItemTitle = tag.name === 'title' && depth.at(-2) === 'item';
    });
    parser.on('text', (text) => void (inItemTitle && titles.push(text)));
    parser.on('closetag', () => {
      depth.pop();
      inItemTitle = false;
    });
    parser.write(rss).close();
    depth = [];
    expect(titles).toEqual(['The budget is a fiction', 'Taxes, again', 'Unsigned but hers']);
    expect(rss).toContain('<atom:link href="https://columns.example.net/columnists/jane/feed.xml" rel="self"');
    const json = (await (await served.get('/outlets/the-herald/feed.json')).json()) as { items: Array<{ title: string }> };
    expect(json.items.map((entry) => entry.title)).toEqual(['Taxes, again', 'Water for the city']);
    expect((await served.get('/columnists/nobody/feed.xml')).status).toBe(404);
    // /opml lists the columnists' feeds in a group of their own, after the sources.
    const opml = await (await served.get('/opml')).text();
    const outlines: Array<Record<string, string>> = [];
    const opmlParser = new SaxesParser();
    opmlParser.on('opentag', (tag) => void (tag.name === 'outline' && outlines.push(tag.attributes as Record<string, string>)));
    opmlParser.write(opml).close();
    const group = outlines.findIndex((outline) => outline.text === 'Columnists');
    expect(group).toBeGreaterThan(0);
    expect(outlines.slice(group + 1).map((outline) => [outline.text, outline.xmlUrl])).toEqual([
      ['Jane Doe', 'https://columns.example.net/columnists/jane/feed.xml'],
      ['Ann Smith', 'https://columns.example.net/columnists/ann-smith/feed.xml'],
      ['Sam Solo', 'https://columns.example.net/columnists/sam-solo/feed.xml'],
    ]);
  });

  it('gives columnists named in other scripts pages and feeds of their own, at addresses that keep', async () => {
    const served = await startServedApp(root, CONFIG);
    await served.save('herald', [
      item({ id: 'ru', title: 'Бюджет', author: 'Иван Петров', published: hoursAgo(2) }),
      item({ id: 'zh', title: '预算', author: '李明', published: hoursAgo(1) }),
    ]);
    const index = await page(served, '/columnists');
    const ivan = `/columnists/${encodeURIComponent('иван-петров')}`;
    const li = `/columnists/${encodeURIComponent('李明')}`;
    expect(index).toContain(`href="https://columns.example.net${ivan}"`);
    expect(index).toContain(`href="https://columns.example.net${li}"`);
    expect(titlesIn(await page(served, ivan))).toContain('Бюджет');
    expect(await (await served.get(`${li}/feed.xml`)).text()).toContain('<title>预算</title>');
    // Ivan writes again, newest now: the order changes, the addresses do not.
    await served.save('herald', [item({ id: 'ru2', title: 'Налоги', author: 'Иван Петров', published: hoursAgo(0.5) })]);
    const again = await page(served, ivan);
    expect(titlesIn(again)).toEqual(expect.arrayContaining(['Налоги', 'Бюджет']));
    expect(titlesIn(again)).not.toContain('预算');
  });

  it("shows a story's card with the columnist's other columns, where to read it, and where else it ran", async () => {
    const served = await startServedApp(root, CONFIG);
    await seed(served);
    // The same column in a second feed.
    await served.save('herald', [
      item({
        id: 'again',
        title: 'The budget is a fiction',
        author: 'Jane Doe',
        link: 'https://news.example.com/opinion/j1',
        published: hoursAgo(1),
      }),
    ]);
    const home = await page(served, '/');
    const card = /href="https:\/\/columns\.example\.net(\/stories\/[0-9a-f]{32})"/.exec(home)![1]!;
    const html = await page(served, card);
    expect(html).toContain('<h1>The budget is a fiction</h1>');
    expect(html).toContain('<a href="https://news.example.com/opinion/j1">Read it at The Times</a>');
    expect(html).toContain('Also in');
    expect(html).toContain('The Herald');
    expect(html).toContain('More by Jane Doe');
    expect(html).toContain('Taxes, again');
  });

  it('pages by cursor, stable while new columns arrive; a malformed cursor is a 400 saying what to send', async () => {
    const served = await startServedApp(root, CONFIG);
    const many: ParsedItem[] = Array.from({ length: 12 }, (_, i) =>
      item({ id: `m${i}`, title: `Column number ${i}`, published: hoursAgo(i + 1) }),
    );
    await served.save('jane', many);
    const first = await page(served, '/');
    expect(titlesIn(first)).toEqual(['Column number 0', 'Column number 1', 'Column number 2', 'Column number 3', 'Column number 4']);
    const next = /<a rel="next" href="https:\/\/columns\.example\.net(\/\?before=[0-9.]+)">Older columns<\/a>/.exec(first)![1]!;
    await served.save('jane', [item({ id: 'fresh', title: 'Fresh column', published: SERVED_AT })], SERVED_AT);
    const second = await page(served, next);
    expect(titlesIn(second)).toEqual(['Column number 5', 'Column number 6', 'Column number 7', 'Column number 8', 'Column number 9']);
    const bad = await served.get('/?before=yesterday');
    expect(bad.status).toBe(400);
    expect(await bad.text()).toMatch(/before must be a page cursor/);
    // Past the oldest column, the page says so; a page that does not page ignores a stray cursor.
    const past = await page(served, '/?before=1000.1');
    expect(titlesIn(past)).toEqual([]);
    expect(past).toContain('<p>No older columns.</p>');
    for (const path of ['/columnists?before=x', '/outlets?before=x', '/search?q=column&before=x'])
      expect((await served.get(path)).status, path).toBe(200);
  });

  it('searches with phrases and prefixes, highlights matches, and answers hostile queries with a clear empty result', async () => {
    const served = await startServedApp(root, CONFIG);
    await seed(served);
    const found = await page(served, '/search?q=numb*');
    expect(titlesIn(found)).toEqual(['The budget is a fiction']);
    expect(found).toContain('<mark>numbers</mark>');
    expect(titlesIn(await page(served, '/search?q=%22water+for+the%22'))).toEqual(['Water for the city']);
    for (const query of ['"', '*', '%3Cscript%3Ealert(1)%3C%2Fscript%3E', 'x'.repeat(10_000), '%00', 'NEAR(a+b)', "'%20OR%201=1"]) {
      const html = await page(served, `/search?q=${query}`);
      expect(html).not.toContain('<script>alert');
      expect(html).toMatch(/Nothing found for this search\.|Type one or more words/);
    }
    const reflected = await page(served, '/search?q=%22%3E%3Cimg+src%3Dx+onerror%3Dalert(1)%3E');
    expect(reflected).not.toContain('<img src=x');
    expect((await served.get('/search?q=budget&page=0')).status).toBe(400);
    expect((await served.get('/search?q=budget&page=9999')).status).toBe(400);
    // A phrase ending in a prefix: its next page and its search box ask for the same search.
    await served.save(
      'solo',
      Array.from({ length: 7 }, (_, i) => item({ id: `w${i}`, title: `Water for all ${i}`, published: hoursAgo(10 + i) })),
    );
    const phrase = await page(served, '/search?q=%22water+fo*%22');
    expect(titlesIn(phrase)).toHaveLength(5);
    expect(phrase).toContain('value="&quot;water fo*&quot;"');
    const second = /rel="next" href="https:\/\/columns\.example\.net(\/search\?[^"]+)"/.exec(phrase)![1]!.replaceAll('&amp;', '&');
    expect(titlesIn(await page(served, second))).toHaveLength(3);
  });

  it('names the columnists and outlets a search names, by name or alias, above the columns found', async () => {
    const served = await startServedApp(root, CONFIG);
    await seed(served);
    const named = async (query: string) => {
      const html = await page(served, `/search?q=${encodeURIComponent(query)}`);
      const line = (label: string) =>
        [...(new RegExp(`<p class="meta">${label}: (.*?)</p>`).exec(html)?.[1] ?? '').matchAll(/<a href="([^"]+)">/g)].map((match) =>
          match[1]!.replace('https://columns.example.net', ''),
        );
      return { columnists: line('Columnists'), outlets: line('Outlets') };
    };
    expect(await named('herald')).toEqual({ columnists: [], outlets: ['/outlets/the-herald'] });
    expect(await named('J. Doe')).toEqual({ columnists: ['/columnists/jane'], outlets: [] });
    expect(await named('jan*')).toEqual({ columnists: ['/columnists/jane'], outlets: [] });
    expect(await named('ANN smith')).toEqual({ columnists: ['/columnists/ann-smith'], outlets: [] });
    expect(await named('herald budget')).toEqual({ columnists: [], outlets: [] });
    await served.save('herald', [item({ id: 'zh', title: '中国经济增长放缓', author: '李明', published: hoursAgo(5) })]);
    expect(await named('李明')).toEqual({ columnists: [`/columnists/${encodeURIComponent('李明')}`], outlets: [] });
    const found = await page(served, `/search?q=${encodeURIComponent('经济')}`);
    expect(titlesIn(found)).toEqual(['中国经济增长放缓']);
    expect(found).toContain(`value="经济"`);
    expect((await named('herald')).outlets).toHaveLength(1);
    // Only the first page names them.
    expect(await page(served, '/search?q=herald&page=2')).not.toContain('Outlets:');
  });

  it('finds the columns of the outlets and columnists a search names: by outlet, by alias, unsigned ones', async () => {
    const served = await startServedApp(root, CONFIG);
    await seed(served);
    const found = async (query: string) => titlesIn(await page(served, `/search?q=${encodeURIComponent(query)}`)).sort();
    expect(await found('herald')).toEqual(['Taxes, again', 'Water for the city']);
    expect(await found('"the times"')).toEqual(['The budget is a fiction', 'Unsigned but hers']);
    // Her columns under her name, her alias and her unsigned feed; "J. Doe" signed one of them.
    const hers = ['Taxes, again', 'The budget is a fiction', 'Unsigned but hers'];
    expect(await found('jane doe')).toEqual(hers);
    expect(await found('J. Doe')).toEqual(hers);
    expect(await found('jan*')).toEqual(hers);
    // A feed's title names its unsigned columns' columnist.
    expect(await found('sam solo')).toEqual(['A play reviewed']);
    // Outlet and text words together.
    expect(await found('herald taxes')).toEqual(['Taxes, again']);
    expect(await found('times herald')).toEqual([]);
    // A story found by its outlet alone shows its own text, never a token.
    expect(await page(served, '/search?q=herald')).not.toMatch(/zq[afu][0-9a-f]{12}/);
    expect(await found('zq*')).toEqual([]);
  });

  it('keeps the home page while a crawler reads hundreds of story cards', async () => {
    const served = await startServedApp(root, CONFIG);
    await served.save(
      'solo',
      Array.from({ length: 300 }, (_, i) => item({ id: `c${i}`, title: `Card ${i}`, published: hoursAgo(i + 1) })),
    );
    await page(served, '/');
    let homeBuilds = 0;
    const listStories = served.app.store.listStories.bind(served.app.store);
    served.app.store.listStories = (query) => {
      if (!query.byline && !query.feedIds && !query.before) homeBuilds++;
      return listStories(query);
    };
    const cards = new Set<string>();
    for (let before: string | undefined = '/'; before;) {
      const html = await page(served, before);
      for (const match of html.matchAll(/href="https:\/\/columns\.example\.net(\/stories\/[0-9a-f]+)"/g)) cards.add(match[1]!);
      before = /rel="next" href="https:\/\/columns\.example\.net(\/\?before=[0-9.]+)"/.exec(html)?.[1];
    }
    expect(cards.size).toBe(300);
    for (const card of cards) expect((await served.get(card)).status).toBe(200);
    await page(served, '/');
    expect(homeBuilds).toBe(0);
  });

  it("keeps the home page and the feeds while a crawler reads hundreds of columnists' pages", async () => {
    const served = await startServedApp(root, CONFIG);
    await served.save(
      'herald',
      Array.from({ length: 300 }, (_, i) => item({ id: `w${i}`, title: `Writer ${i}`, author: `Writer ${i}`, published: hoursAgo(i + 1) })),
    );
    await page(served, '/');
    await (await served.get('/feed.xml')).arrayBuffer();
    let unscopedLists = 0;
    const listStories = served.app.store.listStories.bind(served.app.store);
    served.app.store.listStories = (query) => {
      if (!query.byline && !query.feedIds && !query.before) unscopedLists++;
      return listStories(query);
    };
    for (let i = 0; i < 300; i++) expect((await served.get(`/columnists/writer-${i}`)).status).toBe(200);
    await page(served, '/');
    await (await served.get('/feed.xml')).arrayBuffer();
    expect(unscopedLists).toBe(0);
  });

  it('offers no page after the last one it answers', async () => {
    const served = await startServedApp(root, CONFIG);
    await served.save(
      'solo',
      Array.from({ length: 260 }, (_, i) => item({ id: `m${i}`, title: `Memo ${i}`, published: hoursAgo(i + 1) })),
    );
    expect(await page(served, '/search?q=memo&page=49')).toContain('rel="next"');
    expect(await page(served, '/search?q=memo&page=50')).not.toContain('rel="next"');
  });

  it('escapes hostile titles, authors and excerpts on every page and in snippets', async () => {
    const served = await startServedApp(root, CONFIG);
    const hostile = '<img src=x onerror=alert(1)>"\'&';
    await served.save('herald', [
      item({
        id: 'x',
        title: `${hostile} budget`,
        author: hostile,
        summary: `&lt;script&gt;alert(1)&lt;/script&gt; budget ${hostile} bell &#7; stx &#2;budget&#3; nul &#0; c1 &#x85;`,
        link: 'javascript:alert(1)',
      }),
    ]);
    const paths = ['/', '/columnists', '/outlets', '/outlets/the-herald', '/tags/politics', '/search?q=budget', '/search?q=onerror'];
    const home = await page(served, '/');
    const slug = /columnists\/([a-z0-9-]+)"/.exec(home)![1]!;
    const card = /href="https:\/\/columns\.example\.net(\/stories\/[0-9a-f]{32})"/.exec(home)![1]!;
    for (const path of [...paths, `/columnists/${slug}`, card]) {
      const html = await page(served, path);
      expect(html, path).not.toContain('<img src=x');
      expect(html, path).not.toContain('javascript:');
      expect(html, path).not.toContain('<script>');
      // eslint-disable-next-line no-control-regex -- control characters are what is looked for
      expect(html, path).not.toMatch(/[\u0000-\u0008\u000E-\u001F\u007F-\u009F]/);
    }
  });

  it('cuts a long title or excerpt written without spaces between characters, never inside one (an emoji, a rare kanji)', async () => {
    const served = await startServedApp(root, CONFIG);
    // The cuts fall at 69 characters (a tab's title) and 240 (a list's excerpt), in UTF-16 code units.
    const title = `${'経'.repeat(68)}𠮷${'済'.repeat(20)}`;
    const summary = `${'政'.repeat(239)}😀${'策'.repeat(40)}`;
    await served.save('herald', [item({ id: 'cjk', title, summary: `<p>${summary}</p>` })]);
    const home = await page(served, '/');
    const card = /href="https:\/\/columns\.example\.net(\/stories\/[0-9a-f]{32})"/.exec(home)![1]!;
    const html = await page(served, card);
    expect(html).toContain(`<title>${'経'.repeat(68)}…</title>`);
    expect(home).toContain(`${'政'.repeat(239)}…`);
    for (const text of [home, html]) expect(text).not.toContain('\uFFFD');
  });

  it('isolates names and titles from the text around them: a right-to-left name or a direction override stays inside it', async () => {
    const served = await startServedApp(root, CONFIG);
    await served.save('herald', [
      item({ id: 'rtl', title: 'عن الميزانية', author: 'أحمد علي', published: new Date('2026-11-20T09:30:00Z') }),
      item({ id: 'rlo', title: 'Override', author: '\u202Eevil', published: new Date('2026-11-20T08:30:00Z') }),
    ]);
    const home = await page(served, '/');
    const metas = [...home.matchAll(/<p class="meta">(.*?)<\/p>/g)].map((match) => match[1]!);
    const rtl = metas.find((meta) => meta.includes('أحمد'))!;
    // Each part of "author · outlet · date" is an isolate of its own.
    expect(rtl).toMatch(/^<a href="[^"]+"><bdi>أحمد علي<\/bdi><\/a> · <a href="[^"]+"><bdi>The Herald<\/bdi><\/a> · <a /);
    const rlo = metas.find((meta) => meta.includes('evil'))!;
    expect(rlo).toContain('<bdi>\u202Eevil</bdi></a> · ');
    const index = await page(served, '/columnists');
    expect(index).toContain('<bdi>عن الميزانية</bdi>');
  });

  it('answers 304 to a page whose ETag the client has, and a new ETag after the store changes', async () => {
    const served = await startServedApp(root, CONFIG);
    await seed(served);
    for (const path of ['/', '/columnists', '/columnists/jane', '/outlets']) {
      const first = await served.get(path);
      await first.arrayBuffer();
      const etag = first.headers.get('etag')!;
      expect(first.headers.get('last-modified')).toBeTruthy();
      const again = await served.get(path, { 'if-none-match': etag });
      expect(again.status, path).toBe(304);
    }
    const before = (await served.get('/')).headers.get('etag');
    await served.save('jane', [item({ id: 'new', title: 'Newest', published: SERVED_AT })]);
    expect((await served.get('/')).headers.get('etag')).not.toBe(before);
  });

  it('moves Last-Modified when a page or feed changes, even for a column dated before the newest shown', async () => {
    const clock = { now: SERVED_AT };
    const served = await startServedApp(root, CONFIG, { now: () => clock.now });
    await seed(served);
    const story = /href="https:\/\/columns\.example\.net(\/stories\/[^"]+)"/.exec(await page(served, '/search?q=fiction'))![1]!;
    const paths = ['/', '/feed.xml', '/columnists/jane', story];
    const since = new Map<string, string>();
    for (const path of paths) {
      const first = await served.get(path);
      await first.arrayBuffer();
      since.set(path, first.headers.get('last-modified')!);
      const again = await served.get(path, { 'if-modified-since': since.get(path)! });
      expect(again.status, path).toBe(304);
    }
    // Found ten minutes later, dated before the newest column: on each of those pages and feeds.
    clock.now = new Date(SERVED_AT.getTime() + 600_000);
    await served.save('jane', [item({ id: 'late', title: 'Late but not least', author: 'Jane Doe', published: hoursAgo(1.5) })], clock.now);
    for (const path of paths) {
      const response = await served.get(path, { 'if-modified-since': since.get(path)! });
      expect(response.status, path).toBe(200);
      expect(await response.text(), path).toContain('Late but not least');
      expect(Date.parse(response.headers.get('last-modified')!), path).toBe(clock.now.getTime());
    }
  });

  it('sends no Last-Modified for bytes that replaced others within the second, nor for a search; their ETags still answer 304', async () => {
    const clock = { now: SERVED_AT };
    const served = await startServedApp(root, CONFIG, { now: () => clock.now });
    await seed(served);
    const first = await served.get('/tags/politics/feed.xml');
    await first.arrayBuffer();
    const lastModified = first.headers.get('last-modified')!;
    expect(Date.parse(lastModified)).toBe(SERVED_AT.getTime());
    // The same second: another column, other bytes.
    await served.save('jane', [item({ id: 'quick', title: 'Quick column', published: hoursAgo(0.5) })]);
    const changed = await served.get('/tags/politics/feed.xml', { 'if-modified-since': lastModified });
    expect(changed.status).toBe(200);
    expect(changed.headers.get('last-modified')).toBeNull();
    const etag = changed.headers.get('etag')!;
    expect((await served.get('/tags/politics/feed.xml', { 'if-none-match': etag })).status).toBe(304);
    // Built again a second later (a column of another tag changed the store), the same bytes: now they have a second of their own.
    clock.now = new Date(SERVED_AT.getTime() + 1000);
    await served.save('solo', [item({ id: 'other', title: 'Elsewhere', published: hoursAgo(40) })], clock.now);
    const later = await served.get('/tags/politics/feed.xml');
    expect(later.headers.get('etag')).toBe(etag);
    expect(Date.parse(later.headers.get('last-modified')!)).toBe(clock.now.getTime());
    // A search is built per request: its ETag alone validates it.
    const search = await served.get('/search?q=column');
    expect(search.headers.get('last-modified')).toBeNull();
    expect((await served.get('/search?q=column', { 'if-modified-since': new Date().toUTCString() })).status).toBe(200);
    expect((await served.get('/search?q=column', { 'if-none-match': search.headers.get('etag')! })).status).toBe(304);
  });

  it('answers no 304 for a changed page to an If-Modified-Since in the future or no HTTP date (RFC 9110 §13.1.3)', async () => {
    const clock = { now: SERVED_AT };
    const served = await startServedApp(root, CONFIG, { now: () => clock.now });
    await seed(served);
    await (await served.get('/')).arrayBuffer();
    clock.now = new Date(SERVED_AT.getTime() + 600_000);
    await served.save('jane', [item({ id: 'late', title: 'Late but not least', published: hoursAgo(0.5) })], clock.now);
    // A clock ahead (a cache's, or another process's), or what Date.parse reads but HTTP does not: "99999" is year 99999.
    for (const since of [
      'Fri, 01 Jan 2100 00:00:00 GMT',
      '99999',
      '2027',
      'Sat, 21 Nov 2026 12:10:00 GMT, Sun, 22 Nov 2026 00:00:00 GMT',
    ]) {
      const response = await served.get('/', { 'if-modified-since': since });
      expect(response.status, since).toBe(200);
      expect(await response.text(), since).toContain('Late but not least');
    }
    // The page's own Last-Modified still validates it, in each of the three HTTP-date forms (RFC 9110 §5.6.7).
    const lastModified = new Date((await served.get('/')).headers.get('last-modified')!);
    expect(lastModified.getTime()).toBe(clock.now.getTime());
    for (const since of ['Sat, 21 Nov 2026 12:10:00 GMT', 'Saturday, 21-Nov-26 12:10:00 GMT', 'Sat Nov 21 12:10:00 2026']) {
      expect((await served.get('/', { 'if-modified-since': since })).status, since).toBe(304);
    }
  });

  it('moves Last-Modified when a pruned column leaves a page or feed, though no date it shows moved', async () => {
    const served = await startServedApp(root, CONFIG);
    await seed(served);
    const since = new Map<string, string>();
    for (const path of ['/feed.xml', '/columnists/jane']) {
      const first = await served.get(path);
      expect(await first.text()).toContain('Unsigned but hers');
      since.set(path, first.headers.get('last-modified')!);
    }
    expect(await served.prune(hoursAgo(24))).toBe(1);
    for (const [path, lastModified] of since) {
      const response = await served.get(path, { 'if-modified-since': lastModified });
      expect(response.status, path).toBe(200);
      expect(await response.text(), path).not.toContain('Unsigned but hers');
    }
  });

  it('never answers 304 for a page or feed changed while served by another process (a restart)', async () => {
    const dataDir = mkdtempSync(join(root, 'restart-'));
    const clock = { now: SERVED_AT };
    const start = async () => {
      const app = await createApp({
        config: parseConfig(CONFIG, 'feeds.yaml'),
        dataDir,
        logger: createLogger({ level: 'silent' }),
        now: () => clock.now,
      });
      const server = await app.startServer();
      return { app, server, get: (path: string, headers: Record<string, string> = {}) => fetch(`${server.url}${path}`, { headers }) };
    };
    const first = await start();
    const state = { url: 'https://jane.example/feed', etag: null, lastModified: null, ttlMinutes: null, nextFetchAt: SERVED_AT };
    await first.app.store.saveFetched(
      'jane',
      normalizeItems(
        [item({ id: 'a', title: 'Fresh column', published: hoursAgo(1) }), item({ id: 'b', title: 'Old column', published: hoursAgo(30) })],
        SERVED_AT,
      ),
      state,
      SERVED_AT,
      null,
    );
    const since = new Map<string, string>();
    for (const path of ['/feed.xml', '/', '/columnists/jane']) since.set(path, (await first.get(path)).headers.get('last-modified')!);
    await first.app.store.pruneStories(hoursAgo(24));
    await first.server.close();
    await first.app.close();
    // The next process starts later, as any restart does.
    clock.now = new Date(SERVED_AT.getTime() + 5_000);
    const second = await start();
    try {
      for (const [path, lastModified] of since) {
        const response = await second.get(path, { 'if-modified-since': lastModified });
        expect(response.status, path).toBe(200);
        expect(await response.text(), path).not.toContain('Old column');
      }
    } finally {
      await second.server.close();
      await second.app.close();
    }
  });

  it('speaks the configured locale, with dates in the site time zone', async () => {
    const served = await startServedApp(root, CONFIG.replace('  pageSize: 5\n', '  pageSize: 5\n  locale: fr\n  timezone: Europe/Paris\n'));
    await served.save('jane', [item({ id: 'f', title: 'Chronique', published: new Date('2026-11-20T08:05:00Z') })]);
    const html = await page(served, '/');
    expect(html).toContain('<html lang="fr">');
    expect(html).toContain('Dernières chroniques');
    expect(html).toContain('20 nov. 2026, 09:05 UTC+1');
    expect(await page(served, '/columnists')).toContain('Chroniqueurs');
    // The unsubscribe page speaks it too, in the same layout.
    const token = createUnsubscribeToken({ address: 'lecteur@example.org', digestId: 'matin' }, served.app.secret);
    const unsubscribe = await page(served, `/unsubscribe?token=${token}`);
    expect(unsubscribe).toContain('<h1>Se désabonner ?</h1>');
    expect(unsubscribe).toContain('Ne plus envoyer la lettre « matin » à <strong>lecteur@example.org</strong> ?');
    expect(unsubscribe).toContain('<html lang="fr">');
    // Every label, the footer's too; a malformed request is a page in French, saying what was wrong.
    expect(html).toContain('<nav aria-label="Suivre ce site">');
    expect(html).not.toContain('aria-label="Subscribe"');
    const bad = await page(served, '/?before=hier', 400);
    expect(bad).toContain('<h1>Requête incorrecte</h1>');
    expect(bad).toMatch(/before must be a page cursor/);
    expect(await page(served, '/search?q=budget&page=0', 400)).toContain('<html lang="fr">');
  });
});
