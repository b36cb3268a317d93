/**
 * What the readers' site asks the store (issue 13): pages of stories by cursor, a columnist's
 * stories by byline, per-byline counts, one story by its public id, and full-text search with
 * phrases, prefixes and hostile queries: the same tests on SQLite (FTS5) and PostgreSQL.
 */
import BetterSqlite3 from 'better-sqlite3';
import { beforeEach, describe, expect, it } from 'vitest';
import { normalizeItems } from '../../src/feeds/normalize-items.ts';
import type { ParsedItem } from '../../src/model.ts';
import { parseSearchQuery, type SearchTerm } from '../../src/site/search-query.ts';
import { SEARCH_CANDIDATES, SNIPPET_MARK, type Store } from '../../src/storage/store.ts';
import { item } from '../helpers/items.ts';
import { postgresBackend, sqliteBackend, storeBackends } from '../helpers/store-backends.ts';
import { postgresMigrations } from '../../src/storage/postgres/migrations.ts';
import { authorToken, feedToken, unsignedToken } from '../../src/search-tokens.ts';

const NOW = new Date('2026-11-21T12:00:00Z');
const state = { url: 'https://a.example.com/feed', etag: null, lastModified: null, ttlMinutes: null, nextFetchAt: NOW };
const hoursAgo = (hours: number) => new Date(NOW.getTime() - hours * 3600_000);

/** A search of terms as the site makes them (with tokens), the first page of ten. */
const searchTerms = (store: Store, terms: SearchTerm[]) => store.searchStories({ terms, limit: 10, offset: 0, now: NOW });

describe.each(storeBackends)('the $name store for the site', (backend) => {
  let store: Store;

  beforeEach(async () => {
    store = await backend.open(await backend.newLocation());
    await store.syncFeeds(['a', 'b'].map((id) => ({ id, url: `https://${id}.example.com/feed`, title: null, outlet: null, tags: [] })));
    return () => store.close();
  });

  const save = (feedId: string, items: ParsedItem[], now = NOW) => store.saveFetched(feedId, normalizeItems(items, now), state, now, null);
  const search = (query: string, limit = 10, offset = 0) =>
    store.searchStories({ terms: parseSearchQuery(query), limit, offset, now: NOW });

  it('pages newest first by cursor, stable while newer stories arrive', async () => {
    await save(
      'a',
      Array.from({ length: 7 }, (_, i) => item({ id: `p${i}`, published: hoursAgo(i) })),
    );
    const first = await store.listStories({ limit: 3 });
    expect(first.map((story) => story.title)).toEqual([
      'Column p0 about the budget',
      'Column p1 about the budget',
      'Column p2 about the budget',
    ]);
    await save('a', [item({ id: 'newer', published: NOW })]);
    const last = first.at(-1)!;
    const second = await store.listStories({ limit: 3, before: { published: last.published, id: last.id } });
    expect(second.map((story) => story.title)).toEqual([
      'Column p3 about the budget',
      'Column p4 about the budget',
      'Column p5 about the budget',
    ]);
    // Two stories at the same instant are told apart by id: none is skipped or repeated.
    await save('b', [item({ id: 'same1', published: hoursAgo(10) }), item({ id: 'same2', published: hoursAgo(10) })]);
    const all: string[] = [];
    let before;
    for (;;) {
      const page = await store.listStories({ limit: 2, ...(before ? { before } : {}) });
      if (page.length === 0) break;
      all.push(...page.map((story) => story.publicId));
      before = { published: page.at(-1)!.published, id: page.at(-1)!.id };
    }
    expect(all).toHaveLength(10);
    expect(new Set(all).size).toBe(10);
  });

  it("reads one columnist's stories by author key, and their unsigned stories by feed", async () => {
    await save('a', [
      item({ id: 'j1', author: 'Jane Doe', published: hoursAgo(1) }),
      item({ id: 'j2', author: 'JANE  DOE', published: hoursAgo(2) }),
      item({ id: 'x', author: 'Someone Else', published: hoursAgo(3) }),
    ]);
    await save('b', [
      item({ id: 'unsigned', author: null, published: hoursAgo(4) }),
      item({ id: 'other', author: null, published: hoursAgo(5) }),
    ]);
    const stories = await store.listStories({ limit: 10, byline: { authorKeys: ['jane doe'], feedIds: ['b'] } });
    expect(stories.map((story) => story.title)).toEqual([
      'Column j1 about the budget',
      'Column j2 about the budget',
      'Column unsigned about the budget',
      'Column other about the budget',
    ]);
    const stats = await store.bylineStats();
    const jane = stats.find((stat) => stat.authorKey === 'jane doe')!;
    expect(jane).toMatchObject({ feedId: 'a', stories: 2, author: 'Jane Doe' });
    expect(jane.latest).toMatchObject({ title: 'Column j1 about the budget', published: hoursAgo(1) });
    expect(stats.find((stat) => stat.authorKey === null)).toMatchObject({ feedId: 'b', stories: 2 });
  });

  it('counts stories per byline and feed, each with its newest story (the later stored of two at the same instant)', async () => {
    await save('a', [
      item({ id: 'tie1', author: 'Jane Doe', published: hoursAgo(1) }),
      item({ id: 'old', author: 'jane doe', published: hoursAgo(9) }),
      item({ id: 'ann', author: 'Ann Smith', published: hoursAgo(4) }),
      item({ id: 'unsigned-a', author: null, published: hoursAgo(6) }),
    ]);
    await save('a', [item({ id: 'tie2', author: 'JANE DOE', published: hoursAgo(1) })]);
    await save('b', [
      item({ id: 'jane-b', author: 'Jane Doe', published: hoursAgo(3) }),
      item({ id: 'unsigned-b1', author: null, published: hoursAgo(7) }),
      item({ id: 'unsigned-b2', author: null, published: hoursAgo(5) }),
    ]);
    const byline = (await store.bylineStats()).sort((x, y) => `${x.authorKey}/${x.feedId}`.localeCompare(`${y.authorKey}/${y.feedId}`));
    const stats = byline.map((stat) => [stat.authorKey, stat.feedId, stat.stories, stat.author, stat.latest.title, stat.latest.published]);
    const title = (id: string) => `Column ${id} about the budget`;
    expect(stats).toEqual([
      ['ann smith', 'a', 1, 'Ann Smith', title('ann'), hoursAgo(4)],
      ['jane doe', 'a', 3, 'JANE DOE', title('tie2'), hoursAgo(1)],
      ['jane doe', 'b', 1, 'Jane Doe', title('jane-b'), hoursAgo(3)],
      [null, 'a', 1, null, title('unsigned-a'), hoursAgo(6)],
      [null, 'b', 2, null, title('unsigned-b2'), hoursAgo(5)],
    ]);
    const [story] = await store.listStories({ limit: 1, byline: { authorKeys: ['jane doe'], feedIds: [] } });
    expect((await store.bylineStats()).find((stat) => stat.authorKey === 'jane doe' && stat.feedId === 'a')?.latest.publicId).toBe(
      story!.publicId,
    );
  });

  it('finds a story by its public id, and nothing for an unknown one', async () => {
    await save('a', [item({ id: 'one' })]);
    const [story] = await store.listStories({ limit: 1 });
    expect((await store.storyByPublicId(story!.publicId))?.title).toBe('Column one about the budget');
    expect(await store.storyByPublicId('urn:columnwire:story:0000')).toBeNull();
    expect(await store.storyByPublicId("' OR 1=1 --")).toBeNull();
  });

  it('searches titles, authors and text: words, phrases, prefixes; ranked; snippets mark the match', async () => {
    await save('a', [
      item({
        id: 's1',
        title: 'The budget is a fiction',
        author: 'Jane Doe',
        summary: '<p>Why the <b>numbers</b> lie &amp; mislead.</p>',
        published: hoursAgo(1),
      }),
      item({
        id: 's2',
        title: 'Climate and the city',
        author: 'Ann Smith',
        summary: '<p>Flooded streets: the budget fiction again.</p>',
        published: hoursAgo(2),
      }),
      item({
        id: 's3',
        title: 'Élections municipales',
        author: 'Zoë Martin',
        summary: '<p>Le vote des villes.</p>',
        published: hoursAgo(3),
      }),
    ]);
    const titles = async (query: string) => (await search(query)).map((hit) => hit.story.title);
    // Both match; the one with the words in its title ranks first.
    expect(await titles('budget fiction')).toEqual(['The budget is a fiction', 'Climate and the city']);
    expect(await titles('"budget fiction"')).toEqual(['Climate and the city']);
    expect(await titles('"budget is a fiction"')).toEqual(['The budget is a fiction']);
    expect(await titles('numb*')).toEqual(['The budget is a fiction']);
    expect(await titles('smith')).toEqual(['Climate and the city']);
    expect(await titles('ville*')).toEqual(['Élections municipales']);
    expect(await titles('zoë')).toEqual(['Élections municipales']);
    expect(await titles('nothing-matches-this')).toEqual([]);
    // Each hit's snippet is its own (SQLite 3.53 once gave every hit the first one's).
    const budget = await search('budget*');
    expect(budget).toHaveLength(2);
    for (const hit of budget) {
      const story = await store.storyByPublicId(hit.story.publicId);
      const own = `${story!.title} ${story!.author} ${story!.summary}`.toLowerCase();
      for (const word of hit.snippet
        .replaceAll(SNIPPET_MARK.start, ' ')
        .replaceAll(SNIPPET_MARK.end, ' ')
        .toLowerCase()
        .match(/\p{L}+/gu) ?? [])
        expect(own, hit.snippet).toContain(word);
    }
    const [hit] = await search('numbers');
    expect(hit!.snippet).toContain(`${SNIPPET_MARK.start}numbers${SNIPPET_MARK.end}`);
    expect(hit!.snippet).toContain('lie & mislead');
    expect(hit!.snippet).not.toMatch(/<b>|&amp;/);
  });

  it('finds Chinese and Japanese words inside text written without spaces, and shows them unspaced', async () => {
    await save('a', [
      item({
        id: 'ja',
        title: '日本の経済政策について',
        author: '山田太郎',
        summary: '<p>円安と物価の行方を考える。</p>',
        published: hoursAgo(1),
      }),
      item({ id: 'zh', title: '中国经济增长放缓', author: '李明', summary: '<p>专家认为AI经济仍有潜力。</p>', published: hoursAgo(2) }),
      item({ id: 'en', title: 'Economy notes', summary: '<p>Nothing in Japanese here.</p>', published: hoursAgo(3) }),
      item({ id: 'hw', title: 'ﾃｽﾄの𠮷野家', summary: '<p>iPhone発売とAI技術、2024年の予算。</p>', published: hoursAgo(4) }),
    ]);
    const titles = async (query: string) => (await search(query)).map((hit) => hit.story.title);
    expect(await titles('経済')).toEqual(['日本の経済政策について']);
    expect(await titles('経済政策')).toEqual(['日本の経済政策について']);
    expect(await titles('物価')).toEqual(['日本の経済政策について']);
    expect(await titles('山田')).toEqual(['日本の経済政策について']);
    expect(await titles('经济')).toEqual(['中国经济增长放缓']);
    expect(await titles('ai经济')).toEqual(['中国经济增长放缓']);
    expect(await titles('政策経済')).toEqual([]);
    expect(await titles('economy')).toEqual(['Economy notes']);
    // Half-width katakana and ideographs beyond the basic block, alike on both backends.
    expect(await titles('ﾃｽﾄ')).toEqual(['ﾃｽﾄの𠮷野家']);
    expect(await titles('𠮷野')).toEqual(['ﾃｽﾄの𠮷野家']);
    const [mixed] = await search('発売');
    expect(mixed!.snippet.replaceAll(SNIPPET_MARK.start, '').replaceAll(SNIPPET_MARK.end, '')).toContain(
      'iPhone発売とAI技術、2024年の予算',
    );
    const [hit] = await search('物価');
    // Marked as one match on both backends (their snippets are made alike, search-snippet.ts).
    expect(hit!.snippet).toContain(`${SNIPPET_MARK.start}物価${SNIPPET_MARK.end}`);
    expect(hit!.snippet.replaceAll(SNIPPET_MARK.start, '').replaceAll(SNIPPET_MARK.end, '')).toContain('円安と物価の行方');
  });

  it('finds the words a reader sees, read alike on both backends: decomposed accents, entities, punctuation, no script or style text', async () => {
    await save('a', [
      // Decomposed (NFD), as text pasted from macOS arrives.
      item({ id: 'nfd', title: 'Ame\u0301lie and the cre\u0300me bru\u0302le\u0301e', published: hoursAgo(1) }),
      item({
        id: 'styled',
        title: 'Gallery post',
        summary: '<style>#gallery-1{margin:auto}.zyzzyva{color:red}</style><script>var xylophone = 1</script><p>Visible words only.</p>',
        published: hoursAgo(2),
      }),
      item({
        id: 'mail',
        title: 'Write to me',
        summary: '<p>Email pat@example.com, see example.org/path, pi is 3.14.</p>',
        published: hoursAgo(3),
      }),
      // A plain-text title whose `<script>` is characters (RSS titles are text), and an author with one.
      item({
        id: 'literal',
        title: 'Why <script> tags still matter in html-typed feeds',
        author: 'Ann <b>Lee</b>',
        published: hoursAgo(4),
      }),
      item({
        id: 'entities',
        title: 'Entities',
        summary: '<p>Caf&eacute; culture, don&#8217;t &amp; won&#x2019;t, &lt;tags&gt; na&iuml;ve</p>',
        published: hoursAgo(5),
      }),
      // A bare ampersand before letters and ";": no entity a reader decodes (`&T;`).
      item({ id: 'att', title: 'Phone bills', summary: '<p>Why AT&T; raises its prices</p>', published: hoursAgo(6) }),
    ]);
    const titles = async (query: string) => (await search(query)).map((hit) => hit.story.title);
    const nfd = 'Ame\u0301lie and the cre\u0300me bru\u0302le\u0301e';
    expect(await titles('Amélie')).toEqual([nfd]);
    expect(await titles('crème brûlée')).toEqual([nfd]);
    expect(await titles('"crème brûlée"')).toEqual([nfd]);
    for (const hidden of ['zyzzyva', 'xylophone', 'margin', 'auto']) expect(await titles(hidden), hidden).toEqual([]);
    expect(await titles('visible')).toEqual(['Gallery post']);
    for (const query of ['pat@example.com', 'pat', 'example', 'path', '3.14', '14', '"example org path"'])
      expect(await titles(query), query).toEqual(['Write to me']);
    for (const query of ['script', 'tags still matter', '"html typed feeds"', 'lee'])
      expect(await titles(query), query).toEqual(['Why <script> tags still matter in html-typed feeds']);
    for (const query of ['café', 'culture', 'don', 'won', 'tags', 'naïve'])
      expect(await titles(query), query).toEqual(
        query === 'tags' ? ['Why <script> tags still matter in html-typed feeds', 'Entities'] : ['Entities'],
      );
    expect(await titles('eacute')).toEqual([]);
    expect(await titles('"AT&T raises"')).toEqual(['Phone bills']);
  });

  it('reads a hostile excerpt in linear time: thousands of unclosed scripts, entities and tags', async () => {
    const summary = `${'&#1234567; &#x1F600; &bogus; &#'.repeat(700)}${'<script '.repeat(1000)}${'<b'.repeat(4000)} tail`;
    await save('a', [item({ id: 'hostile', title: 'Hostile', summary, published: hoursAgo(1) })]);
    expect((await search('hostile')).map((hit) => hit.story.title)).toEqual(['Hostile']);
  });

  it('finds stories by the tokens of who wrote them and which feeds carried them, as alternatives to a word', async () => {
    await save('a', [
      item({
        id: 'p1',
        title: 'Harbour lights',
        author: 'Jane Doe',
        summary: '<p>The lighthouse keeper retires.</p>',
        published: hoursAgo(1),
      }),
      item({ id: 'p2', title: 'Budget day', author: null, summary: '<p>Numbers again.</p>', published: hoursAgo(2) }),
    ]);
    await save('b', [item({ id: 'm1', title: 'Le budget', author: 'J. Doe', summary: '<p>Les chiffres.</p>', published: hoursAgo(3) })]);
    const sorted = async (...terms: Array<[string, string[]]>) =>
      (
        await store.searchStories({
          terms: terms.map(([words, tokens]) => ({ words: words.split(' '), prefix: false, tokens })),
          limit: 10,
          offset: 0,
          now: NOW,
        })
      )
        .map((hit) => hit.story.title)
        .sort();
    // An outlet searched: the feeds it names.
    expect(await sorted(['planet', [feedToken('a')]])).toEqual(['Budget day', 'Harbour lights']);
    expect(await sorted(['daily planet', [feedToken('a')]])).toEqual(['Budget day', 'Harbour lights']);
    // A columnist searched: her bylines (aliases too) and her unsigned feed.
    const jane = [authorToken('jane doe'), authorToken('j doe'), unsignedToken('a')];
    expect(await sorted(['jane', jane])).toEqual(['Budget day', 'Harbour lights', 'Le budget']);
    // Each word is the word or its tokens: an outlet and a word of the text together.
    expect(await sorted(['planet', [feedToken('a')]], ['lighthouse', []])).toEqual(['Harbour lights']);
    expect(await sorted(['planet', [feedToken('a')]], ['budget', []])).toEqual(['Budget day']);
    expect(await sorted(['budget', []])).toEqual(['Budget day', 'Le budget']);
    expect(await sorted(['nowhere', [feedToken('nowhere')]])).toEqual([]);
    // Found by its tokens alone, a story's snippet is its own text, never a token.
    const hits = await searchTerms(store, [{ words: ['monde'], prefix: false, tokens: [feedToken('b')] }]);
    expect(hits).toHaveLength(1);
    expect(hits[0]!.snippet.replaceAll(SNIPPET_MARK.start, '').replaceAll(SNIPPET_MARK.end, '')).toContain('Les chiffres');
    expect(hits[0]!.snippet).not.toMatch(/zq[afu]/);
    // The tokens are reached only through a term's tokens, never by a reader's words.
    expect(await search('zq*')).toEqual([]);
    // Nor by one FTS5 folds to them: accents are removed in its index (ẑ, ž, ź are z there).
    for (const query of ['ẑq*', 'žq*', 'Źq*', `ẑ${feedToken('a').slice(1)}`]) expect(await search(query)).toEqual([]);
    expect(await search(feedToken('a'))).toEqual([]);
    // One without text shows its title.
    await save('b', [
      item({ id: 'm2', title: 'Title only column', author: 'Tom Bare', summary: null, content: null, published: hoursAgo(4) }),
    ]);
    const bare = await searchTerms(store, [{ words: ['xyz'], prefix: false, tokens: [authorToken('tom bare')] }]);
    expect(bare.map((hit) => hit.snippet)).toEqual(['Title only column']);
    // Bylines in any script: the database's token is the one JavaScript makes.
    for (const [id, author] of [
      ['r1', 'Иван Петров'],
      ['c1', '李明'],
      ['z1', 'Zoë Ünal'],
    ] as const) {
      const [normalized] = normalizeItems([item({ id, author, published: hoursAgo(5) })], NOW);
      await save('b', [item({ id, author, published: hoursAgo(5) })]);
      const found = await searchTerms(store, [{ words: ['xyz'], prefix: false, tokens: [authorToken(normalized!.authorKey!)] }]);
      expect(found.map((hit) => hit.story.author)).toEqual([author]);
    }
    // The same column in another feed gets that feed's token too.
    await save('c', [
      item({
        id: 'p1',
        title: 'Harbour lights',
        author: 'Jane Doe',
        summary: '<p>The lighthouse keeper retires.</p>',
        published: hoursAgo(1),
      }),
    ]);
    expect(await sorted(['gazette', [feedToken('c')]])).toEqual(['Harbour lights']);
    expect(await sorted(['planet', [feedToken('a')]], ['gazette', [feedToken('c')]])).toEqual(['Harbour lights']);
    // An edit keeps them.
    await save('a', [
      item({ id: 'p2', title: 'Budget day, revised', author: null, summary: '<p>Numbers again.</p>', published: hoursAgo(2) }),
    ]);
    expect(await sorted(['jane', jane])).toEqual(['Budget day, revised', 'Harbour lights', 'Le budget']);
  });

  describe('when the newest columns of an outlet a word names fill the candidates', () => {
    /** 2,100 newer columns of feed a (outlet "Planet") by `author`, none with the words searched. */
    const fillWithOutlet = (author = 'Ann Other') =>
      save(
        'a',
        Array.from({ length: SEARCH_CANDIDATES + 100 }, (_, index) =>
          item({
            id: `n${index}`,
            title: `Column number ${index}`,
            author,
            summary: '<p>The housing stock and the market for it.</p>',
            published: hoursAgo(1 + index / 100),
          }),
        ),
      );
    const planet: SearchTerm = { words: ['planet'], prefix: false, tokens: [feedToken('a')] };
    const everything = (terms: SearchTerm[]) => store.searchStories({ terms, limit: 5_000, offset: 0, now: NOW });

    it('finds an older column with the word in its title, and keeps every one of the newest', async () => {
      // Stored first (lower ids), ten days old, from another feed: one with the word in its
      // title, fifty with it in their text only.
      await save('b', [
        item({ id: 'old', title: 'Planet of the tides', author: 'Sam Sea', published: hoursAgo(240) }),
        ...Array.from({ length: 50 }, (_, index) =>
          item({
            id: `text${index}`,
            title: `Other column ${index}`,
            summary: '<p>Saving the planet again.</p>',
            published: hoursAgo(240),
          }),
        ),
      ]);
      await fillWithOutlet();
      const hits = await searchTerms(store, [planet]);
      expect(hits[0]!.story.title).toBe('Planet of the tides');
      expect(hits.slice(1).map((hit) => hit.story.author)).toEqual(Array(9).fill('Ann Other'));
      // Every one of the 2,000 newest stays; the older ones found by their text alone do not crowd them.
      const all = await everything([planet]);
      expect(all).toHaveLength(SEARCH_CANDIDATES + 1);
      expect(new Set(all.map((hit) => hit.story.id)).size).toBe(SEARCH_CANDIDATES + 1);
      expect(all.filter((hit) => hit.story.author === 'Ann Other')).toHaveLength(SEARCH_CANDIDATES);
      // A word that names nothing is unchanged: the word alone, anywhere.
      expect(await search('planet')).toHaveLength(10);
    });

    it('finds it with a phrase that no newest column holds, and with a second word that names a columnist', async () => {
      await save('b', [
        item({ id: 'old1', title: 'Planet view: the housing market cools', author: 'Sam Sea', published: hoursAgo(240) }),
        item({ id: 'old2', title: 'Why I still read the Planet', author: 'Jane Doe', published: hoursAgo(250) }),
      ]);
      // Hers too: the newest columns of both names fill the candidates.
      await fillWithOutlet('Jane Doe');
      const titles = async (terms: SearchTerm[]) => (await everything(terms)).map((hit) => hit.story.title);
      expect(await titles([planet, { words: ['housing', 'market'], prefix: false }])).toEqual(['Planet view: the housing market cools']);
      // "janet" is only an alias: the column is hers by its byline's token.
      const hers = await titles([planet, { words: ['janet'], prefix: false, tokens: [authorToken('jane doe')] }]);
      expect(hers).toHaveLength(SEARCH_CANDIDATES + 1);
      expect(hers).toContain('Why I still read the Planet');
    });

    it('keeps a phrase that names the outlet whole in the title, on both backends alike', async () => {
      await save('b', [
        item({ id: 'old1', title: 'Planet lights return', published: hoursAgo(240) }),
        item({ id: 'old2', title: 'Lights over the planet', summary: '<p>The planet lights again.</p>', published: hoursAgo(241) }),
      ]);
      await fillWithOutlet();
      const found = (await everything([{ words: ['planet', 'lights'], prefix: false, tokens: [feedToken('a')] }])).map(
        (hit) => hit.story.title,
      );
      expect(found).toHaveLength(SEARCH_CANDIDATES + 1);
      expect(found).toContain('Planet lights return');
    });
  });

  it('pages search results and answers hostile queries with nothing, never an error', async () => {
    await save(
      'a',
      Array.from({ length: 5 }, (_, i) => item({ id: `h${i}`, title: `Budget column ${i}`, published: hoursAgo(i) })),
    );
    const first = await search('budget', 2, 0);
    const rest = await search('budget', 10, 2);
    expect(first).toHaveLength(2);
    expect(rest).toHaveLength(3);
    expect(new Set([...first, ...rest].map((hit) => hit.story.id)).size).toBe(5);
    // Newer wins among equals.
    expect(first[0]!.story.title).toBe('Budget column 0');
    for (const query of [
      '"',
      '*',
      '***',
      '"""',
      "'",
      '\\',
      'AND',
      'budget OR',
      'NEAR(budget column)',
      '-budget',
      'budget:*',
      ')(',
      'x'.repeat(10_000),
      'a b c d e f g h i j k l m n o p',
      '\u0000\u0002\u0003',
      '<script>',
    ]) {
      const hits = await search(query);
      expect(Array.isArray(hits), query.slice(0, 20)).toBe(true);
    }
    expect(await search('"')).toEqual([]);
    expect(await search('*')).toEqual([]);
    // Text holding the snippet marks themselves gets marks around the matches only.
    await save('a', [item({ id: 'marks', title: 'Marked', summary: '<p>Planted \u0002boom\u0003 here, about scripts.</p>' })]);
    const [marked] = await search('scripts');
    expect(marked!.snippet.split(SNIPPET_MARK.start)).toHaveLength(2);
    expect(marked!.snippet).toContain(`${SNIPPET_MARK.start}scripts${SNIPPET_MARK.end}`);
    // Operators are words, matched as such (AND here is the word "and", which no column has).
    expect(await search('budget AND')).toEqual([]);
  });

  it('forgets a pruned story in the search index', async () => {
    await save('a', [item({ id: 'old', title: 'Ancient budget', published: new Date('2020-01-01T00:00:00Z') })]);
    expect(await search('ancient')).toHaveLength(1);
    await store.pruneStories(new Date('2021-01-01T00:00:00Z'));
    expect(await search('ancient')).toEqual([]);
  });

  it('answers a search asked again as a new one would: stories stored, edited and pruned since are seen', async () => {
    await save('a', [item({ id: 'r1', title: 'Rates column one', published: hoursAgo(2) })]);
    expect((await search('rates')).map((hit) => hit.story.title)).toEqual(['Rates column one']);
    // The same search, the same moment: the ranking it kept is read again only for an unchanged index.
    await save('b', [item({ id: 'r2', title: 'Rates column two', published: hoursAgo(1) })]);
    expect((await search('rates')).map((hit) => hit.story.title)).toEqual(['Rates column two', 'Rates column one']);
    await save('a', [item({ id: 'r1', title: 'Interest column one', published: hoursAgo(2) })], new Date(NOW.getTime() + 60_000));
    expect((await search('rates')).map((hit) => hit.story.title)).toEqual(['Rates column two']);
    expect((await search('interest')).map((hit) => hit.story.title)).toEqual(['Interest column one']);
    await store.pruneStories(new Date(hoursAgo(1).getTime() - 1));
    expect(await search('interest')).toEqual([]);
    // The next page reads the same ranking: no story twice, none left out.
    await save(
      'a',
      Array.from({ length: 7 }, (_, i) => item({ id: `p${i}`, title: `Rates page ${i}`, published: hoursAgo(i) })),
    );
    const pages = [await search('rates', 3, 0), await search('rates', 3, 3), await search('rates', 3, 6)];
    expect(pages.map((page) => page.length)).toEqual([3, 3, 2]);
    expect(new Set(pages.flat().map((hit) => hit.story.id)).size).toBe(8);
  });

  it('shows the same page asked again as read, and an edit of a story on it at once', async () => {
    await save('a', [item({ id: 'k', title: 'Rates: a first column', author: 'Ann Lee', summary: '<p>The rates rose.</p>' })]);
    const first = await search('rates');
    expect(await search('rates')).toEqual(first);
    await save(
      'a',
      [item({ id: 'k', title: 'Rates: a corrected column', author: 'Ann B. Lee', summary: '<p>The rates fell.</p>' })],
      new Date(NOW.getTime() + 60_000),
    );
    const [edited] = await search('rates');
    expect(edited!.story).toMatchObject({ title: 'Rates: a corrected column', author: 'Ann B. Lee' });
    expect(edited!.snippet).toContain('fell');
    // A result carries the story's heading, not its text or sources.
    expect(Object.keys(edited!.story).sort()).toEqual(['author', 'feedId', 'id', 'link', 'publicId', 'published', 'title']);
  });

  it('searches an edited story by its new words only', async () => {
    await save('a', [item({ id: 'e', title: 'First draft headline' })]);
    await save('a', [item({ id: 'e', title: 'Corrected headline' })], new Date(NOW.getTime() + 60_000));
    expect(await search('draft')).toEqual([]);
    expect(await search('corrected')).toHaveLength(1);
  });
});

// SQLite fills its FTS5 index in code, in batches (PostgreSQL's search column is generated with the row).
/** Takes out what versions after 21 added that cannot be added twice (a column), so that they run again. */
async function beforeVersion26(location: string): Promise<void> {
  await sqliteBackend.exec(location, `ALTER TABLE digest_runs DROP COLUMN counts`);
}

/** Makes an SQLite store's schema as version 20 left it: a search index of three columns. */
async function backToVersion20(location: string): Promise<void> {
  await beforeVersion26(location);
  await sqliteBackend.exec(location, `DROP TABLE story_search`);
  await sqliteBackend.exec(
    location,
    `CREATE VIRTUAL TABLE story_search USING fts5(title, author, body, tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3')`,
  );
  await sqliteBackend.exec(location, `PRAGMA user_version = 20`);
}

describe('the sqlite store for the site', () => {
  const searchFor = async (store: Store, query: string) =>
    (await store.searchStories({ terms: parseSearchQuery(query), limit: 10, offset: 0, now: NOW })).map((hit) => hit.story.title);
  const indexedRows = (location: string) => {
    const raw = new BetterSqlite3(location, { readonly: true });
    try {
      const count = (sql: string) => (raw.prepare(sql).get() as { n: number }).n;
      return { indexed: count(`SELECT count(*) AS n FROM story_search`), pending: count(`SELECT count(*) AS n FROM search_pending`) };
    } finally {
      raw.close();
    }
  };

  it('reads the dates of its candidates through the narrow index of schema 22, and searches without it when it is gone', async () => {
    const location = await sqliteBackend.newLocation();
    const first = await sqliteBackend.open(location);
    await first.saveFetched('a', normalizeItems([item({ id: 'd1', title: 'Dated column' })], NOW), state, NOW, null);
    await first.close();
    const raw = new BetterSqlite3(location, { readonly: true });
    const plan = raw
      .prepare(
        `EXPLAIN QUERY PLAN SELECT s.published_at FROM (SELECT 1 AS id) c JOIN stories s INDEXED BY stories_published_by_id ON s.id = c.id`,
      )
      .all() as Array<{ detail: string }>;
    raw.close();
    expect(plan.map((row) => row.detail).join(' ')).toContain('COVERING INDEX stories_published_by_id');
    await sqliteBackend.exec(location, `DROP INDEX stories_published_by_id`);
    const reopened = await sqliteBackend.open(location);
    expect(await searchFor(reopened, 'dated')).toEqual(['Dated column']);
    await reopened.close();
  });

  it('indexes the stories stored before the search index existed (schema version 10), on the upgrade to batches (14)', async () => {
    const location = await sqliteBackend.newLocation();
    const first = await sqliteBackend.open(location);
    await first.saveFetched('a', normalizeItems([item({ id: 'before', title: 'Stored before search' })], NOW), state, NOW, null);
    await first.close();
    // Back to a version 13 database whose index was never filled.
    await sqliteBackend.exec(location, `DELETE FROM story_search`);
    await sqliteBackend.exec(location, `DROP TABLE search_pending`);
    await sqliteBackend.exec(location, `INSERT INTO meta (key, value) VALUES ('search_filled', 0)`);
    await sqliteBackend.exec(location, `ALTER TABLE feeds DROP COLUMN body_hash`);
    await sqliteBackend.exec(location, `DROP TABLE feed_item_digests`);
    await sqliteBackend.exec(location, `DELETE FROM meta WHERE key = 'story_id_high'`);
    await beforeVersion26(location);
    await sqliteBackend.exec(location, `PRAGMA user_version = 13`);
    const reopened = await sqliteBackend.open(location);
    expect(await searchFor(reopened, 'before')).toEqual(['Stored before search']);
    await reopened.close();
  });

  it('indexes again, on the upgrade to 20, the Chinese and Japanese stories indexed before as unbroken runs', async () => {
    const location = await sqliteBackend.newLocation();
    const first = await sqliteBackend.open(location);
    await first.saveFetched(
      'a',
      normalizeItems([item({ id: 'ja', title: '日本の経済政策' }), item({ id: 'en', title: 'Plain English' })], NOW),
      state,
      NOW,
      null,
    );
    expect(await searchFor(first, '経済')).toEqual(['日本の経済政策']);
    await first.close();
    // As version 19 indexed it: the title one word (and neither the outlets of version 21).
    await sqliteBackend.exec(location, `UPDATE story_search SET title = '日本の経済政策' WHERE title <> 'Plain English'`);
    await beforeVersion26(location);
    await sqliteBackend.exec(location, `PRAGMA user_version = 21`);
    const old = await sqliteBackend.open(location);
    expect(await searchFor(old, '経済')).toEqual([]);
    await old.close();
    await backToVersion20(location);
    await sqliteBackend.exec(location, `PRAGMA user_version = 19`);
    const reopened = await sqliteBackend.open(location);
    expect(await searchFor(reopened, '経済')).toEqual(['日本の経済政策']);
    expect(await searchFor(reopened, 'english')).toEqual(['Plain English']);
    await reopened.close();
  });

  it('indexes every story again, with its tokens, on the upgrade to 21', async () => {
    const location = await sqliteBackend.newLocation();
    const first = await sqliteBackend.open(location);
    await first.saveFetched('a', normalizeItems([item({ id: 'old', title: 'Stored at 20' })], NOW), state, NOW, null);
    await first.close();
    await backToVersion20(location);
    const reopened = await sqliteBackend.open(location);
    expect(indexedRows(location)).toEqual({ indexed: 0, pending: 1 });
    expect(await searchFor(reopened, 'stored')).toEqual(['Stored at 20']);
    const byFeed = await searchTerms(reopened, [{ words: ['x'], prefix: false, tokens: [feedToken('a')] }]);
    expect(byFeed.map((hit) => hit.story.title)).toEqual(['Stored at 20']);
    await reopened.close();
  });

  it('indexes the newest stories first, a batch at a time, when everything waits (the upgrade to 21)', async () => {
    const location = await sqliteBackend.newLocation();
    const first = await sqliteBackend.open(location);
    for (let batch = 0; batch < 21; batch++) {
      const items = Array.from({ length: 100 }, (_, index) =>
        item({ id: `n${batch}-${index}`, title: `Story ${batch * 100 + index}`, published: hoursAgo(batch + index / 100) }),
      );
      await first.saveFetched('a', normalizeItems(items, NOW), state, NOW, null);
    }
    await first.close();
    await backToVersion20(location);
    const reopened = await sqliteBackend.open(location);
    expect(indexedRows(location)).toEqual({ indexed: 0, pending: 2_100 });
    // A search indexes one batch: the 2,000 stored last.
    expect(await searchFor(reopened, '"story 2099"')).toEqual(['Story 2099']);
    expect(indexedRows(location)).toEqual({ indexed: 2_000, pending: 100 });
    // The end of a poll cycle indexes the rest.
    await reopened.recordPollCycle({ 'fetches.stored': 0 }, NOW);
    expect(indexedRows(location)).toEqual({ indexed: 2_100, pending: 0 });
    expect(await searchFor(reopened, '"story 5"')).toEqual(['Story 5']);
    await reopened.close();
  });

  it('queues new stories and indexes them as a batch: before a search, at the end of a poll cycle, at 2,000, on close', async () => {
    const location = await sqliteBackend.newLocation();
    const store = await sqliteBackend.open(location);
    await store.syncFeeds([{ id: 'a', url: 'https://a.example.com/feed', title: null, outlet: null, tags: [] }]);
    await store.saveFetched('a', normalizeItems([item({ id: 'q1', title: 'Queued lighthouse' })], NOW), state, NOW, null);
    expect(indexedRows(location)).toEqual({ indexed: 0, pending: 1 });
    expect(await searchFor(store, 'lighthouse')).toEqual(['Queued lighthouse']);
    expect(indexedRows(location)).toEqual({ indexed: 1, pending: 0 });

    await store.saveFetched('a', normalizeItems([item({ id: 'q2', title: 'Cycle harbour' })], NOW), state, NOW, null);
    await store.recordPollCycle({ 'fetches.stored': 1 }, NOW);
    expect(indexedRows(location)).toEqual({ indexed: 2, pending: 0 });

    // 2,100 stories over 21 saves: the save that brings the queue to 2,000 indexes it.
    for (let batch = 0; batch < 21; batch++) {
      const items = Array.from({ length: 100 }, (_, index) => item({ id: `b${batch}-${index}`, published: hoursAgo(batch + index / 100) }));
      await store.saveFetched('a', normalizeItems(items, NOW), state, NOW, null);
    }
    expect(indexedRows(location)).toEqual({ indexed: 2_002, pending: 100 });
    await store.close();
    expect(indexedRows(location)).toEqual({ indexed: 2_102, pending: 0 });
  });

  it('keeps queued stories through a crash (a store never closed): the next process to search indexes them', async () => {
    const location = await sqliteBackend.newLocation();
    const crashed = await sqliteBackend.open(location);
    await crashed.syncFeeds([{ id: 'a', url: 'https://a.example.com/feed', title: null, outlet: null, tags: [] }]);
    await crashed.saveFetched('a', normalizeItems([item({ id: 'k', title: 'Saved before the kill' })], NOW), state, NOW, null);
    // `crashed` is never closed, as after kill -9: its queue is in the file, not in its memory.
    const next = await sqliteBackend.open(location);
    expect(await searchFor(next, 'kill')).toEqual(['Saved before the kill']);
    await next.close();
  });

  it('searches at once while another process holds the write lock, with what is indexed so far', async () => {
    const location = await sqliteBackend.newLocation();
    const store = await sqliteBackend.open(location);
    await store.syncFeeds([{ id: 'a', url: 'https://a.example.com/feed', title: null, outlet: null, tags: [] }]);
    await store.saveFetched('a', normalizeItems([item({ id: 'w1', title: 'Indexed lantern' })], NOW), state, NOW, null);
    expect(await searchFor(store, 'lantern')).toEqual(['Indexed lantern']);
    await store.saveFetched('a', normalizeItems([item({ id: 'w2', title: 'Waiting lantern' })], NOW), state, NOW, null);
    const writer = new BetterSqlite3(location);
    writer.exec('BEGIN IMMEDIATE');
    try {
      // The search must not wait for the writer (its busy timeout is 15 s).
      expect(await searchFor(store, 'lantern')).toEqual(['Indexed lantern']);
    } finally {
      writer.exec('COMMIT');
      writer.close();
    }
    expect((await searchFor(store, 'lantern')).sort()).toEqual(['Indexed lantern', 'Waiting lantern']);
    await store.close();
    // The limit is well below the 15 s a search that waited for the lock would take.
  }, 10_000);

  it('drops an edited story from a search asked again at once, its new words not indexed yet', async () => {
    const location = await sqliteBackend.newLocation();
    const store = await sqliteBackend.open(location);
    await store.syncFeeds([{ id: 'a', url: 'https://a.example.com/feed', title: null, outlet: null, tags: [] }]);
    await store.saveFetched('a', normalizeItems([item({ id: 'e1', title: 'Rates column one' })], NOW), state, NOW, null);
    expect(await searchFor(store, 'rates')).toEqual(['Rates column one']);
    // Another process edits it, then holds the write lock: the search cannot index first.
    const other = await sqliteBackend.open(location);
    const later = new Date(NOW.getTime() + 1000);
    await other.saveFetched('a', normalizeItems([item({ id: 'e1', title: 'Interest column one' })], later), state, later, null);
    const writer = new BetterSqlite3(location);
    writer.exec('BEGIN IMMEDIATE');
    try {
      expect(await searchFor(store, 'rates')).toEqual([]);
    } finally {
      writer.exec('COMMIT');
      writer.close();
    }
    await other.close();
    await store.close();
  }, 10_000);

  it('indexes a queued story that is indexed already (an older process edited it) by replacing it, without failing', async () => {
    const location = await sqliteBackend.newLocation();
    const store = await sqliteBackend.open(location);
    await store.syncFeeds([{ id: 'a', url: 'https://a.example.com/feed', title: null, outlet: null, tags: [] }]);
    await store.saveFetched('a', normalizeItems([item({ id: 'r', title: 'Replaced compass' })], NOW), state, NOW, null);
    expect(await searchFor(store, 'compass')).toEqual(['Replaced compass']);
    await sqliteBackend.exec(location, `INSERT INTO search_pending (story_id) SELECT id FROM stories`);
    await store.recordPollCycle({ 'fetches.stored': 1 }, NOW);
    expect(await searchFor(store, 'compass')).toEqual(['Replaced compass']);
    expect(indexedRows(location)).toEqual({ indexed: 1, pending: 0 });
    await store.close();
  });

  it('re-indexes an edited story already indexed, and drops a queued story deleted before its batch', async () => {
    const location = await sqliteBackend.newLocation();
    const store = await sqliteBackend.open(location);
    await store.syncFeeds([{ id: 'a', url: 'https://a.example.com/feed', title: null, outlet: null, tags: [] }]);
    await store.saveFetched('a', normalizeItems([item({ id: 'e', title: 'First draft headline' })], NOW), state, NOW, null);
    expect(await searchFor(store, 'draft')).toEqual(['First draft headline']);
    const later = new Date(NOW.getTime() + 60_000);
    await store.saveFetched('a', normalizeItems([item({ id: 'e', title: 'Corrected headline' })], later), state, later, null);
    expect(indexedRows(location)).toEqual({ indexed: 0, pending: 1 });
    expect(await searchFor(store, 'draft')).toEqual([]);
    expect(await searchFor(store, 'corrected')).toEqual(['Corrected headline']);

    const old = item({ id: 'old', title: 'Old pruned column', published: new Date('2020-01-01T00:00:00Z') });
    await store.saveFetched('a', normalizeItems([old], NOW), state, NOW, null);
    expect(await store.pruneStories(new Date('2021-01-01T00:00:00Z'))).toBe(1);
    expect(await searchFor(store, 'pruned')).toEqual([]);
    expect(indexedRows(location)).toEqual({ indexed: 1, pending: 0 });
    await store.close();
  });
});

/** A fresh PostgreSQL database at schema `version` (as that release left it), holding feed 'a' and one story by Ann Lee. */
async function schemaWithOneStory(version: number, title: string, summary: string) {
  const location = await postgresBackend.newLocation();
  for (const migration of postgresMigrations.filter((candidate) => candidate.version <= version))
    await postgresBackend.exec(location, migration.sql);
  await postgresBackend.exec(location, 'CREATE TABLE columnwire_schema (version INTEGER NOT NULL)');
  await postgresBackend.exec(location, 'INSERT INTO columnwire_schema (version) SELECT generate_series(1, $1::integer)', [version]);
  await postgresBackend.exec(
    location,
    `INSERT INTO feeds (id, configured_url, url) VALUES ('a', 'https://a.example.com/feed', 'https://a.example.com/feed')`,
  );
  await postgresBackend.exec(
    location,
    `INSERT INTO stories (feed_id, title, author, published_at, updated_at, summary, first_seen_at, public_id)
     VALUES ('a', $2, 'Ann Lee', $1, $1, $3, $1, 'urn:x:old')`,
    [hoursAgo(5).getTime(), title, summary],
  );
  return location;
}

describe('the postgres store for the site', () => {
  it('reads again, on the upgrade to 22, the text of stories indexed before as SQLite reads it, keeping their tokens', async () => {
    const location = await schemaWithOneStory(21, 'Ame\u0301lie writes', '<style>.zyzzyva{}</style><p>Mail pat@example.com</p>');
    const store = await postgresBackend.open(location);
    try {
      const titles = async (query: string) =>
        (await store.searchStories({ terms: parseSearchQuery(query), limit: 10, offset: 0, now: NOW })).map((hit) => hit.story.title);
      expect(await titles('amélie')).toEqual(['Ame\u0301lie writes']);
      expect(await titles('pat@example.com')).toEqual(['Ame\u0301lie writes']);
      expect(await titles('zyzzyva')).toEqual([]);
      const byFeed = await searchTerms(store, [{ words: ['x'], prefix: false, tokens: [feedToken('a')] }]);
      expect(byFeed.map((hit) => hit.story.title)).toEqual(['Ame\u0301lie writes']);
    } finally {
      await store.close();
    }
  });

  it('moves the search vectors of stories stored at schema 18 into story_search on the upgrade (19), and keeps them there', async () => {
    // The schema as version 18 left it, with a story stored then.
    const location = await schemaWithOneStory(18, 'Harbour lights', '<p>The old lighthouse, 日本の灯台.</p>');
    const store = await postgresBackend.open(location);
    try {
      const titles = async (query: string) =>
        (await store.searchStories({ terms: parseSearchQuery(query), limit: 10, offset: 0, now: NOW })).map((hit) => hit.story.title);
      expect(await titles('lighthouse')).toEqual(['Harbour lights']);
      expect(await titles('ann')).toEqual(['Harbour lights']);
      // Version 20 indexed it again, its Japanese characters apart.
      expect(await titles('灯台')).toEqual(['Harbour lights']);
      await store.syncFeeds([{ id: 'a', url: 'https://a.example.com/feed', title: null, outlet: null, tags: [] }]);
      await store.saveFetched(
        'a',
        normalizeItems([item({ id: 'n', title: 'New lighthouse keeper', published: hoursAgo(1) })], NOW),
        state,
        NOW,
        null,
      );
      expect(await titles('lighthouse')).toEqual(['New lighthouse keeper', 'Harbour lights']);
    } finally {
      await store.close();
    }
  });

  it('finds the same newest matches whichever way it reads them: by id without statistics, through the index once analyzed', async () => {
    const location = await postgresBackend.newLocation();
    const store = await postgresBackend.open(location);
    try {
      await store.syncFeeds([{ id: 'a', url: 'https://a.example.com/feed', title: null, outlet: null, tags: [] }]);
      // 300 stories; "lighthouse" in every 20th (rare: read through the GIN index once analyzed), "harbour" in all.
      const items = Array.from({ length: 300 }, (_, index) =>
        item({
          id: `s${index}`,
          title: `Column ${index}`,
          summary: `<p>The harbour at dawn${index % 20 === 0 ? ', and its lighthouse' : ''}, story ${index}.</p>`,
          published: hoursAgo(300 - index),
        }),
      );
      await store.saveFetched('a', normalizeItems(items, NOW), state, NOW, null);
      const titles = async (query: string, limit: number, now = NOW) =>
        (await store.searchStories({ terms: parseSearchQuery(query), limit, offset: 0, now })).map((hit) => hit.story.title);
      const before = {
        rare: await titles('lighthouse', 50),
        common: await titles('harbour', 50),
        phrase: await titles('"its lighthouse"', 50),
      };
      expect(before.rare).toHaveLength(15);
      expect(before.common).toHaveLength(50);
      expect(before.phrase).toEqual(before.rare);
      await postgresBackend.exec(location, 'ANALYZE story_search');
      // Two minutes on: the rankings kept from before are not reused (search-rankings.ts).
      const later = new Date(NOW.getTime() + 120_000);
      expect({
        rare: await titles('lighthouse', 50, later),
        common: await titles('harbour', 50, later),
        phrase: await titles('"its lighthouse"', 50, later),
      }).toEqual(before);
    } finally {
      await store.close();
    }
  });
});
