/** The Store's story, dedup, retention and feed-state contract: the same tests on SQLite and on PostgreSQL. */
import { beforeEach, describe, expect, it } from 'vitest';
import { normalizeItems } from '../../src/feeds/normalize-items.ts';
import type { ParsedItem } from '../../src/model.ts';
import type { Store } from '../../src/storage/store.ts';
import { item } from '../helpers/items.ts';
import { storeBackends } from '../helpers/store-backends.ts';

const NOW = new Date('2026-11-21T12:00:00Z');
const state = { url: 'https://a.example.com/feed', etag: null, lastModified: null, ttlMinutes: null, nextFetchAt: NOW };

describe.each(storeBackends)('the $name store', (backend) => {
  let store: Store;

  let location: string;

  beforeEach(async () => {
    location = await backend.newLocation();
    store = await backend.open(location);
    await store.syncFeeds(
      ['a', 'b', 'c'].map((id) => ({ id, url: `https://${id}.example.com/feed`, title: null, outlet: null, tags: [] })),
    );
    return () => store.close();
  });

  async function save(feedId: string, items: ParsedItem[], now = NOW, keepAfter: Date | null = null) {
    return store.saveFetched(feedId, normalizeItems(items, now), state, now, keepAfter);
  }

  describe('deduplication within a feed', () => {
    it('stores a story once however often its feed lists it', async () => {
      expect(await save('a', [item({ id: '1' }), item({ id: '2' })])).toEqual({ added: 2, updated: 0, duplicates: 0 });
      expect(await save('a', [item({ id: '1' }), item({ id: '2' })])).toEqual({ added: 0, updated: 0, duplicates: 2 });
      expect(await store.countStories()).toBe(2);
    });

    it('updates an edited item (same guid, new title and content) instead of adding one', async () => {
      await save('a', [item({ id: '1', title: 'First tittle of the column' })]);
      const later = new Date(NOW.getTime() + 3600_000);
      const result = await save('a', [item({ id: '1', title: 'First title of the column', content: '<p>fixed</p>' })], later);
      expect(result).toEqual({ added: 0, updated: 1, duplicates: 0 });
      const [story] = await store.listStories({ limit: 10 });
      expect(story).toMatchObject({ title: 'First title of the column', content: '<p>fixed</p>' });
      expect(story!.updated.getTime()).toBe(later.getTime());
      expect(await store.countStories()).toBe(1);
    });

    it('does not count a rotating tracking parameter as an edit', async () => {
      await save('a', [item({ id: '1', link: 'https://news.example.com/x?utm_source=a' })]);
      expect(await save('a', [item({ id: '1', link: 'https://news.example.com/x?utm_source=b' })])).toMatchObject({
        updated: 0,
        duplicates: 1,
      });
    });

    it('treats a re-issue with a new guid and the same canonical link as the same story', async () => {
      await save('a', [item({ id: 'guid-1', link: 'http://www.news.example.com/opinion/x/' })]);
      expect(await save('a', [item({ id: 'guid-2', link: 'https://news.example.com/opinion/x?utm_campaign=rss' })])).toMatchObject({
        added: 0,
      });
      expect(await store.countStories()).toBe(1);
    });

    it('treats a re-issue with a new guid and link but the same title and author within days as the same story', async () => {
      await save('a', [item({ id: 'old', link: 'https://news.example.com/2026/11/20/the-budget', title: 'The budget is a fiction' })]);
      const reissue = item({
        id: 'new',
        link: 'https://news.example.com/p/123',
        title: 'The Budget Is a Fiction!',
        published: new Date('2026-11-21T09:00:00Z'),
      });
      // The feed's own source of the story is edited (new link, new title), as for an edit under one guid.
      expect(await save('a', [reissue])).toEqual({ added: 0, updated: 1, duplicates: 0 });
      expect(await store.countStories()).toBe(1);
      expect((await store.listStories({ limit: 1 }))[0]).toMatchObject({
        title: 'The Budget Is a Fiction!',
        link: 'https://news.example.com/p/123',
      });
    });

    it.each([
      { case: 'its own feed under another byline', feed: 'a', author: 'J. Doe (Guest)', added: 0 },
      { case: 'another feed under the same byline', feed: 'b', author: 'Jane Doe', added: 0 },
      { case: 'another feed, both unsigned', feed: 'b', author: null, added: 0, firstAuthor: null },
      { case: 'another feed under another byline', feed: 'b', author: 'John Roe', added: 1 },
    ])('finds a re-issue by its title from $case (added: $added)', async ({ feed, author, added, firstAuthor = 'Jane Doe' }) => {
      const title = 'The budget is a fiction';
      await save('a', [item({ id: 'old', link: 'https://news.example.com/2026/11/20/the-budget', title, author: firstAuthor })]);
      const reissue = item({
        id: 'new',
        link: 'https://news.example.com/p/123',
        title,
        author,
        published: new Date('2026-11-21T09:00:00Z'),
      });
      expect(await save(feed, [reissue])).toMatchObject({ added });
      expect(await store.countStories()).toBe(1 + added);
    });

    it('keeps same-titled items apart when the feed lists them side by side (a daily "Letters to the editor")', async () => {
      const letters = (day: number) =>
        item({ id: `letters-${day}`, title: 'Letters to the editor', published: new Date(Date.UTC(2026, 10, 18 + day, 7)) });
      expect(await save('a', [letters(2), letters(1)])).toMatchObject({ added: 2 });
      expect(await save('a', [letters(3), letters(2), letters(1)])).toMatchObject({ added: 1, duplicates: 2 });
    });

    it('falls back to a hash of title and date for items without guid or link', async () => {
      const bare = { id: 'sha1:abc', link: null };
      await save('a', [item(bare)]);
      expect(await save('a', [item(bare)])).toMatchObject({ added: 0, duplicates: 1 });
    });
    describe('a feed that gives one guid to several columns', () => {
      const titlesByLink = async () =>
        Object.fromEntries(
          (await store.listStories({ limit: 10 })).map((story): [string, string | null] => [story.link ?? story.title ?? '', story.title]),
        );
      const shared = (suffix: string, extra: Partial<ParsedItem> = {}) =>
        item({ id: 'shared-guid', link: `https://news.example.com/${suffix}`, title: `The column called ${suffix}`, ...extra });

      it('keeps each column in its own story, poll after poll and whatever the order', async () => {
        expect(await save('a', [shared('first'), shared('second')])).toMatchObject({ added: 2 });
        for (const again of [
          [shared('first'), shared('second')],
          [shared('second'), shared('first')],
          [shared('second')],
          [shared('first'), shared('second')],
        ]) {
          expect(await save('a', again)).toEqual({ added: 0, updated: 0, duplicates: again.length });
        }
        expect(await titlesByLink()).toEqual({
          'https://news.example.com/first': 'The column called first',
          'https://news.example.com/second': 'The column called second',
        });
      });

      it('applies an edit of one of them to that one', async () => {
        await save('a', [shared('first'), shared('second')]);
        const edited = shared('second', { title: 'The column called second, corrected' });
        expect(await save('a', [shared('first'), edited])).toEqual({ added: 0, updated: 1, duplicates: 1 });
        expect(await save('a', [edited, shared('first')])).toEqual({ added: 0, updated: 0, duplicates: 2 });
        expect(await titlesByLink()).toEqual({
          'https://news.example.com/first': 'The column called first',
          'https://news.example.com/second': 'The column called second, corrected',
        });
      });

      it('keeps columns without links apart by their rank among the items of that guid', async () => {
        const bare = (title: string) => item({ id: 'shared-guid', link: null, title });
        const document = [bare('The first column without a link'), bare('The second column without a link')];
        expect(await save('a', document)).toMatchObject({ added: 2 });
        expect(await save('a', document)).toEqual({ added: 0, updated: 0, duplicates: 2 });
        expect(await save('a', document)).toEqual({ added: 0, updated: 0, duplicates: 2 });
        expect((await store.listStories({ limit: 10 })).map((story) => story.title).sort()).toEqual([
          'The first column without a link',
          'The second column without a link',
        ]);
      });

      it("parts a column from its merged re-issue when the feed lists both, moving the re-issue's guid to it", async () => {
        await save('a', [item({ id: 'guid-1', link: 'https://news.example.com/x', title: 'The first version of a column' })]);
        // A new guid under the same link: the same story, edited; both guids now name it.
        const reissue = item({ id: 'guid-2', link: 'https://news.example.com/x', title: 'The second version of a column' });
        expect(await save('a', [reissue])).toEqual({ added: 0, updated: 1, duplicates: 0 });
        const both = [item({ id: 'guid-1', link: 'https://news.example.com/x', title: 'The first version of a column' }), reissue];
        // The story holds the second version exactly, so it stays the second's; the first gets a story again.
        expect(await save('a', both)).toEqual({ added: 1, updated: 0, duplicates: 1 });
        expect(await save('a', both)).toEqual({ added: 0, updated: 0, duplicates: 2 });
        expect(await save('a', [...both].reverse())).toEqual({ added: 0, updated: 0, duplicates: 2 });
        expect(await save('a', [reissue])).toEqual({ added: 0, updated: 0, duplicates: 1 });
        expect((await store.listStories({ limit: 10 })).map((story) => story.title).sort()).toEqual([
          'The first version of a column',
          'The second version of a column',
        ]);
      });

      it('keeps a column its story when the columns sharing its guid change around it', async () => {
        const H = 'https://news.example.com/';
        const column = (name: string, link: string | null = H) =>
          item({ id: 'G', link, title: `The column called ${name}`, summary: `<p>${name}</p>` });
        const titles = async () => (await store.listStories({ limit: 20 })).map((story) => story.title).sort();
        // One link for all: the oldest goes, a new one comes on top.
        await save('a', [column('A'), column('B')]);
        expect(await save('a', [column('C'), column('B')])).toEqual({ added: 1, updated: 0, duplicates: 1 });
        // A link of its own, then one shared with a new column on top.
        await save('b', [column('D', `${H}d`), column('E', `${H}e`)]);
        const [before] = await store.listStories({ limit: 1, feedIds: ['b'] });
        expect(await save('b', [column('F', `${H}d`), column('D', `${H}d`), column('E', `${H}e`)])).toEqual({
          added: 1,
          updated: 0,
          duplicates: 2,
        });
        // The story published for D keeps its id and its column.
        expect((await store.storyByPublicId(before!.publicId))?.title).toBe(before!.title);
        expect(await titles()).toEqual(['A', 'B', 'C', 'D', 'E', 'F'].map((name) => `The column called ${name}`));
      });

      it('keeps a column its story when it is left alone with the guid, and edits it there', async () => {
        const column = (name: string, link: string | null, summary = name) =>
          item({ id: 'G', link, title: `The column called ${name}`, summary: `<p>${summary}</p>` });
        await save('a', [column('A', 'https://news.example.com/a')]);
        expect(await save('a', [column('B', null), column('A', 'https://news.example.com/a')])).toMatchObject({ added: 1, updated: 0 });
        for (let poll = 0; poll < 2; poll++) {
          expect(await save('a', [column('B', null)])).toEqual({ added: 0, updated: 0, duplicates: 1 });
          expect(await save('a', [column('B', null), column('A', 'https://news.example.com/a')])).toEqual({
            added: 0,
            updated: 0,
            duplicates: 2,
          });
        }
        expect(await save('a', [column('B', null, 'fixed')])).toEqual({ added: 0, updated: 1, duplicates: 0 });
        expect((await store.listStories({ limit: 10 })).map((story) => [story.title, story.summary]).sort()).toEqual([
          ['The column called A', '<p>A</p>'],
          ['The column called B', '<p>fixed</p>'],
        ]);
      });

      it('edits a column left alone with a guid whose first column is a tombstone', async () => {
        const keepAfter = new Date(NOW.getTime() - 5 * 86_400_000);
        const old = item({
          id: 'G',
          link: 'https://news.example.com/x',
          title: 'An old column',
          published: new Date(NOW.getTime() - 9 * 86_400_000),
        });
        const column = (summary: string) => item({ id: 'G', link: 'https://news.example.com/y', title: 'A new column', summary });
        await save('a', [old], NOW, keepAfter);
        expect(await save('a', [column('<p>first</p>'), old], NOW, keepAfter)).toEqual({ added: 1, updated: 0, duplicates: 1 });
        expect(await save('a', [column('<p>first</p>')], NOW, keepAfter)).toEqual({ added: 0, updated: 0, duplicates: 1 });
        expect(await save('a', [column('<p>corrected</p>')], NOW, keepAfter)).toEqual({ added: 0, updated: 1, duplicates: 0 });
        expect((await store.listStories({ limit: 10 })).map((story) => story.summary)).toEqual(['<p>corrected</p>']);
      });

      it('keeps apart guids written to look like the ids it makes for shared guids', async () => {
        const L = 'https://news.example.com/';
        const hostile = [
          item({ id: `A\n${L}\n${L}`, link: L, title: 'One column here' }),
          item({ id: 'A', link: L, title: L }),
          item({ id: 'A', link: L, title: 'Three column here' }),
          item({ id: `A\n${L}`, link: L, title: 'Four column here' }),
          item({ id: `A\n${L}`, link: `${L}five`, title: 'Five column here' }),
          item({ id: 'A\n#2', link: L, title: 'Six column here' }),
        ];
        expect(await save('a', hostile)).toMatchObject({ added: 6 });
        for (let poll = 0; poll < 3; poll++) expect(await save('a', hostile)).toEqual({ added: 0, updated: 0, duplicates: 6 });
        expect(await store.countStories()).toBe(6);
      });

      it('stores ids, links, titles and authors of 1,000 emoji (4,000 bytes, past any index entry PostgreSQL takes)', async () => {
        const emoji = (from: number) =>
          Array.from({ length: 1000 }, (_, n) => String.fromCodePoint(0x1f300 + ((from + n * 7) % 0x300))).join('');
        const long = [
          item({ id: emoji(1), link: `https://news.example.com/${emoji(2)}`, title: emoji(3), author: emoji(4) }),
          item({ id: 'G', link: null, title: emoji(5) }),
          item({ id: 'G', link: null, title: emoji(6) }),
        ];
        expect(await save('a', long)).toMatchObject({ added: 3 });
        expect(await save('a', long)).toEqual({ added: 0, updated: 0, duplicates: 3 });
      });

      it('still stores one link listed under two guids as two stories, each stable', async () => {
        const twice = [
          item({ id: 'x', link: 'https://news.example.com/same', title: 'One link, the first guid' }),
          item({ id: 'y', link: 'https://news.example.com/same', title: 'One link, the second guid' }),
        ];
        expect(await save('a', twice)).toMatchObject({ added: 2 });
        expect(await save('a', twice)).toEqual({ added: 0, updated: 0, duplicates: 2 });
        expect(await save('a', [...twice].reverse())).toEqual({ added: 0, updated: 0, duplicates: 2 });
        expect(await store.countStories()).toBe(2);
      });
    });
  });

  describe('deduplication across feeds', () => {
    it('stores a syndicated column once and keeps every feed as a source', async () => {
      await save('a', [item({ id: 'a-1', link: 'https://news.example.com/opinion/x' })]);
      const result = await save('b', [
        item({ id: 'b-77', link: 'http://news.example.com/opinion/x/?utm_source=partner#top', summary: 'shorter' }),
      ]);
      expect(result).toEqual({ added: 0, updated: 0, duplicates: 1 });
      const [story] = await store.listStories({ limit: 10 });
      expect(story!.sources.map((source) => source.feedId)).toEqual(['a', 'b']);
      expect(story!.summary).toBe('<p>Summary of a-1</p>');
    });

    it('matches the same title and author from another outlet with another link', async () => {
      await save('a', [item({ id: '1', title: 'Why the budget is a fiction', link: 'https://a.example.com/x' })]);
      const result = await save('b', [item({ id: '9', title: 'Why the budget is a fiction', link: 'https://b.example.org/y' })]);
      expect(result).toEqual({ added: 0, updated: 0, duplicates: 1 });
      expect(await store.countStories()).toBe(1);
      expect((await store.listStories({ limit: 1 }))[0]!.sources.map((source) => source.feedId)).toEqual(['a', 'b']);
    });

    it('adds a feed once as a source when two of its items match one story by different keys', async () => {
      await save('a', [item({ id: 'a1', link: 'https://news.example.com/one' })]);
      // Feed c re-issues it under a second link (a title match), which binds that link to the story too.
      await save('c', [item({ id: 'c1', link: 'https://news.example.com/two', title: 'Column a1 about the budget' })]);
      const twoLinks = [
        item({ id: 'b1', link: 'https://news.example.com/one', title: 'Some words of feed b' }),
        item({ id: 'b2', link: 'https://news.example.com/two', title: 'Other words of feed b' }),
      ];
      // The first adds b as a source. The second, with other content, is a column of its own:
      // merged, the two would edit the story back and forth on every fetch.
      expect(await save('b', twoLinks)).toEqual({ added: 1, updated: 0, duplicates: 1 });
      const stories = await store.listStories({ limit: 10 });
      expect(stories.map((story) => [story.title, story.sources.map((source) => source.feedId)]).sort()).toEqual([
        ['Column a1 about the budget', ['a', 'b', 'c']],
        ['Other words of feed b', ['b']],
      ]);
      expect(await save('b', twoLinks)).toEqual({ added: 0, updated: 0, duplicates: 2 });
      expect(await save('b', [...twoLinks].reverse())).toEqual({ added: 0, updated: 0, duplicates: 2 });
    });

    it('keeps same-titled columns by different authors apart', async () => {
      await save('a', [item({ id: '1', title: 'What I learned this week', author: 'Jane Doe' })]);
      await save('b', [item({ id: '2', title: 'What I learned this week', author: 'John Roe', link: 'https://b.example.org/z' })]);
      expect(await store.countStories()).toBe(2);
    });

    it('filters stories by the feeds they appeared in', async () => {
      await save('a', [item({ id: '1' })]);
      await save('b', [item({ id: '2', link: 'https://b.example.org/2', title: 'Another column on housing' })]);
      expect((await store.listStories({ limit: 10, feedIds: ['b'] })).map((story) => story.title)).toEqual(['Another column on housing']);
    });
  });

  describe('dates', () => {
    it('dates an undated or future-dated item when first seen and keeps the claim', async () => {
      const future = new Date('2030-01-01T00:00:00Z');
      await save('a', [
        item({ id: 'f', published: future, title: 'From the future, apparently' }),
        item({ id: 'u', published: null, title: 'Undated column on trains' }),
      ]);
      const stories = await store.listStories({ limit: 10 });
      expect(stories.map((story) => story.published.toISOString())).toEqual([NOW.toISOString(), NOW.toISOString()]);
      expect(stories.find((story) => story.title === 'From the future, apparently')!.claimedPublished).toEqual(future);
    });

    it('lists newest first', async () => {
      await save('a', [
        item({ id: 'old', published: new Date('2026-11-01T00:00:00Z'), title: 'An older column on rail' }),
        item({ id: 'new', title: 'A newer column on tax' }),
      ]);
      expect((await store.listStories({ limit: 10 })).map((story) => story.title)).toEqual([
        'A newer column on tax',
        'An older column on rail',
      ]);
    });
  });

  describe('retention', () => {
    it('prunes old stories but never lets them come back as new (tombstones)', async () => {
      await save('a', [
        item({ id: 'old', published: new Date('2026-08-01T00:00:00Z'), title: 'Summer column on heat' }),
        item({ id: 'new' }),
      ]);
      expect(await store.pruneStories(new Date('2026-09-01T00:00:00Z'))).toBe(1);
      expect(await store.countStories()).toBe(1);
      const again = await save('a', [item({ id: 'old', published: new Date('2026-08-01T00:00:00Z'), title: 'Summer column on heat' })]);
      expect(again).toMatchObject({ added: 0 });
      expect(await store.countStories()).toBe(1);
    });

    it('prunes a backlog larger than one batch (PostgreSQL deletes 5,000 a transaction)', async () => {
      const old = new Date('2026-08-01T00:00:00Z');
      const backlog = Array.from({ length: 5_003 }, (_, index) =>
        item({ id: `old-${index}`, published: old, title: `Summer column number ${index}`, link: `https://a.example.com/old/${index}` }),
      );
      await save('a', backlog.slice(0, 2_500));
      await save('b', backlog.slice(2_500));
      await save('c', [item({ id: 'new', title: 'A column that stays stored' })]);
      expect(await store.pruneStories(new Date('2026-09-01T00:00:00Z'))).toBe(5_003);
      expect((await store.listStories({ limit: 10 })).map((story) => story.title)).toEqual(['A column that stays stored']);
      expect(await store.pruneStories(new Date('2026-09-01T00:00:00Z'))).toBe(0);
    }, 60_000);

    it("never gives a pruned story's id to a new story (its kept keys would name it, and digest cursors pass it)", async () => {
      await save('a', [item({ id: 'kept', title: 'A column that stays stored' })]);
      // The newest story (the highest id) is the one pruned.
      await save('a', [
        item({ id: 'old', published: new Date('2026-08-01T00:00:00Z'), title: 'Summer column on heat', link: 'https://a.example.com/old' }),
      ]);
      const highest = await store.maxStoryId();
      expect(await store.pruneStories(new Date('2026-09-01T00:00:00Z'))).toBe(1);
      await store.close();
      store = await backend.open(location);
      await save('b', [item({ id: 'z', title: 'Another feed, another column', link: 'https://b.example.com/z' })]);
      expect(await store.maxStoryId()).toBeGreaterThan(highest);
      // The pruned column listed again stays a tombstone: it joins no story.
      expect(
        await save('a', [
          item({
            id: 'old',
            published: new Date('2026-08-01T00:00:00Z'),
            title: 'Summer column on heat',
            link: 'https://a.example.com/old',
          }),
        ]),
      ).toMatchObject({ added: 0 });
      const stories = await store.listStories({ limit: 10 });
      expect(stories.map((story) => `${story.title}: ${story.sources.map((source) => source.feedId).join(' ')}`).sort()).toEqual([
        'A column that stays stored: a',
        'Another feed, another column: b',
      ]);
    });

    it('does not store items already older than retention, and remembers them', async () => {
      const ancient = item({ id: 'ancient', published: new Date('2020-01-01T00:00:00Z'), title: 'A column from 2020' });
      expect(await save('a', [ancient], NOW, new Date('2026-08-01T00:00:00Z'))).toMatchObject({ added: 0 });
      expect(await save('a', [ancient])).toMatchObject({ added: 0 });
      expect(await store.countStories()).toBe(0);
    });
  });

  describe('feed state', () => {
    it('records failures and clears them on success', async () => {
      await store.markFailed('a', { error: 'HTTP 500', nextFetchAt: new Date(NOW.getTime() + 60_000), waitReason: 'backoff' }, NOW);
      await store.markFailed('a', { error: 'HTTP 502', nextFetchAt: new Date(NOW.getTime() + 120_000), waitReason: 'backoff' }, NOW);
      expect(await store.getFeed('a')).toMatchObject({ consecutiveErrors: 2, lastError: 'HTTP 502', waitReason: 'backoff' });
      await save('a', [item({ id: '1' })]);
      expect(await store.getFeed('a')).toMatchObject({ consecutiveErrors: 0, lastError: null, waitReason: 'schedule' });
    });

    it('keeps stories of a feed removed from the config, and resets a feed whose url changed', async () => {
      await save('a', [item({ id: '1' })]);
      await store.markFailed('b', { error: 'HTTP 500', nextFetchAt: NOW, waitReason: 'backoff' }, NOW);
      await store.syncFeeds([{ id: 'b', url: 'https://b.example.com/new-feed', title: null, outlet: null, tags: [] }]);
      expect((await store.listFeeds()).map((feed) => feed.id)).toEqual(['b']);
      expect(await store.getFeed('b')).toMatchObject({ url: 'https://b.example.com/new-feed', consecutiveErrors: 0 });
      expect(await store.countStories()).toBe(1);
    });
  });

  describe('transactions', () => {
    it('stores a feed entirely or not at all', async () => {
      const items = normalizeItems(
        [item({ id: '1' }), item({ id: '2', title: 'Second column on housing' }), item({ id: '3', title: 'Third column on schools' })],
        NOW,
      );
      (items[2] as { published: Date }).published = new Date(Number.NaN); // NOT NULL in SQLite, not a bigint in PostgreSQL: the write throws
      await expect(store.saveFetched('a', items, { ...state, etag: '"v2"' }, NOW, null)).rejects.toThrow();
      expect(await store.countStories()).toBe(0);
      expect((await store.getFeed('a'))!.etag).toBeNull();
    });
  });
});
