/** planSave: what one feed's items change, decided before any write (pure, shared by both backends). */
import { describe, expect, it } from 'vitest';
import { normalizeItems } from '../../src/feeds/normalize-items.ts';
import type { NormalizedItem } from '../../src/model.ts';
import { itemKey, keysToReadNext, planSave, urlKey, type SaveLookups } from '../../src/storage/plan-save.ts';
import { item } from '../helpers/items.ts';

const NOW = new Date('2026-11-21T12:00:00Z');
const normalized = (...ids: string[]): NormalizedItem[] =>
  normalizeItems(
    ids.map((id) => item({ id })),
    NOW,
  );
const nothingStored: SaveLookups = {
  keys: new Map(),
  stored: new Set(),
  sourceHashes: new Map(),
  reissueCandidates: [],
  carried: new Map(),
};
const free = () => false;

/** Lookups as the store reads them when feed `a` already carries `items` as stories 1, 2, … at their current hashes. */
function carried(items: readonly NormalizedItem[], change: Partial<SaveLookups> = {}): SaveLookups {
  const keys = new Map<string, number>();
  items.forEach((one, index) => {
    keys.set(itemKey('a', one.itemId), index + 1);
    if (one.canonicalUrl) keys.set(urlKey(one.canonicalUrl), index + 1);
  });
  return {
    keys,
    stored: new Set(items.map((_, index) => index + 1)),
    sourceHashes: new Map(items.map((one, index) => [index + 1, one.contentHash])),
    reissueCandidates: [],
    carried: new Map(
      items.map((one, index) => [index + 1, { title: one.title, publishedMs: one.published.getTime(), sourceLink: one.link }]),
    ),
    ...change,
  };
}

describe('planSave', () => {
  it('writes nothing at all for items the feed carries unchanged', () => {
    const items = normalized('1', '2', '3');
    const plan = planSave('a', items, carried(items), null, free);
    expect(plan).toEqual({
      inserts: [],
      sources: [],
      edits: [],
      keys: [],
      rebinds: [],
      result: { added: 0, updated: 0, duplicates: 3 },
      changed: false,
      needsWholeDocument: false,
    });
  });

  it('asks for the whole document when, with known items unread, an item matches a story the feed carries', () => {
    const known = normalized('1', '2');
    const [fresh] = normalized('3');
    // A new column among unread known ones: planned as usual.
    expect(planSave('a', [fresh!], carried(known), null, free, true).needsWholeDocument).toBe(false);
    // An edited one (its story is this feed's): an unread item could claim that story too.
    const edited = { ...known[0]!, title: 'Edited', contentHash: 'edited' };
    expect(planSave('a', [edited], carried(known), null, free, true).needsWholeDocument).toBe(true);
    // Every item read: planned as usual.
    expect(planSave('a', [edited], carried(known), null, free).needsWholeDocument).toBe(false);
  });

  it('adds one story, its source and its two keys for the one new item among known ones', () => {
    const known = normalized('1', '2');
    const [fresh] = normalized('3');
    const plan = planSave('a', [fresh!, ...known], carried(known), null, free);
    expect(plan.inserts.map(({ item: one }) => one.itemId)).toEqual([fresh!.itemId]);
    expect(plan.sources).toEqual([{ story: { kind: 'new', index: 0 }, item: fresh }]);
    expect(plan.keys.map(({ key }) => key)).toEqual([itemKey('a', fresh!.itemId), urlKey(fresh!.canonicalUrl!)]);
    expect(plan.result).toEqual({ added: 1, updated: 0, duplicates: 2 });
    expect(plan.changed).toBe(true);
  });

  it('edits a story whose content hash changed, and writes nothing else', () => {
    const items = normalized('1');
    const edited = normalizeItems([item({ id: '1', title: 'A corrected title for column 1' })], NOW);
    const plan = planSave('a', edited, carried(items), null, free);
    expect(plan.edits).toEqual([{ storyId: 1, item: edited[0] }]);
    expect(plan).toMatchObject({ inserts: [], sources: [], keys: [], result: { updated: 1 } });
  });

  it.each([
    [
      'link, title and date',
      { link: 'https://example.com/other', title: 'Another column altogether', published: new Date('2026-11-20T00:00:00Z') },
      true,
    ],
    ['link and title (a slug rewritten with its title)', { link: 'https://example.com/other', title: 'Another column altogether' }, false],
    ['title and date', { title: 'Another column altogether', published: new Date('2026-11-20T00:00:00Z') }, false],
    ['link and date (a site moved)', { link: 'https://example.com/other', published: new Date('2026-11-20T00:00:00Z') }, false],
  ])('takes an id whose link, title and date all changed for a new column, not an edit: %s', (_name, change, isNew) => {
    const known = normalizeItems([item({ id: '1', published: new Date('2026-11-01T00:00:00Z') })], NOW);
    const fresh = normalizeItems([item({ id: '1', published: new Date('2026-11-01T00:00:00Z'), ...change })], NOW);
    const plan = planSave('a', fresh, carried(known), null, free);
    if (!isNew) return expect(plan.edits).toEqual([{ storyId: 1, item: fresh[0] }]);
    expect(plan).toMatchObject({ edits: [], result: { added: 1, updated: 0, duplicates: 0 } });
    // Its item key moves to the new story, so the next fetch finds it there.
    expect(plan.rebinds).toEqual([{ key: itemKey('a', '1'), story: { kind: 'new', index: 0 } }]);
  });

  it('adds a source when another feed already has the story under the same link', () => {
    const [one] = normalized('1');
    const lookups = { ...nothingStored, keys: new Map([[urlKey(one!.canonicalUrl!), 7]]), stored: new Set([7]) };
    const plan = planSave('b', [one!], lookups, null, free);
    expect(plan.sources).toEqual([{ story: { kind: 'stored', id: 7 }, item: one }]);
    expect(plan.keys).toEqual([{ key: itemKey('b', one!.itemId), story: { kind: 'stored', id: 7 } }]);
    expect(plan.result).toEqual({ added: 0, updated: 0, duplicates: 1 });
    expect(plan.changed).toBe(true);
  });

  it('counts a pruned story (its key stays, the story is gone) as a duplicate and writes nothing', () => {
    const items = normalized('1');
    const plan = planSave('a', items, carried(items, { stored: new Set() }), null, free);
    expect(plan).toMatchObject({ inserts: [], sources: [], edits: [], keys: [], result: { duplicates: 1 }, changed: false });
  });

  it('stores a new column under the id of a pruned one when its link was never stored', () => {
    const [pruned] = normalized('1');
    const fresh = normalizeItems([item({ id: '1', link: 'https://news.example.com/opinion/new', published: NOW })], NOW);
    const keys = new Map([
      [itemKey('a', '1'), 1],
      [urlKey(pruned!.canonicalUrl!), 1],
    ]);
    const plan = planSave('a', fresh, { ...nothingStored, keys }, new Date(NOW.getTime() - 86_400_000), free);
    expect(plan).toMatchObject({ edits: [], result: { added: 1, updated: 0, duplicates: 0 } });
    expect(plan.rebinds).toEqual([{ key: itemKey('a', '1'), story: { kind: 'new', index: 0 } }]);
  });

  it('leaves only tombstone keys (story 0) for unmatched items older than keepAfter', () => {
    const items = normalized('1');
    const plan = planSave('a', items, nothingStored, new Date('2026-11-21T00:00:00Z'), free);
    expect(plan.inserts).toEqual([]);
    expect(plan.keys.every(({ story }) => story.kind === 'stored' && story.id === 0)).toBe(true);
    expect(plan.result).toEqual({ added: 0, updated: 0, duplicates: 1 });
  });

  it('stores two stories for a document listing one link twice, with distinct public ids, binding the link once', () => {
    const twice = normalizeItems(
      [item({ id: 'x', link: 'https://news.example.com/same' }), item({ id: 'y', link: 'https://news.example.com/same', title: 'Other' })],
      NOW,
    );
    const plan = planSave('a', twice, nothingStored, null, free);
    expect(plan.inserts).toHaveLength(2);
    expect(new Set(plan.inserts.map(({ publicId }) => publicId)).size).toBe(2);
    expect(plan.keys.filter(({ key }) => key.startsWith('u:'))).toEqual([
      { key: urlKey(twice[0]!.canonicalUrl!), story: { kind: 'new', index: 0 } },
    ]);
  });

  it('merges a re-issue (new guid and link, same title and author, within days) into the stored story', () => {
    const [reissue] = normalizeItems([item({ id: 'new', link: 'https://news.example.com/p/9', title: 'The Budget Is a Fiction!' })], NOW);
    const candidate = {
      id: 4,
      titleKey: reissue!.titleKey!,
      publishedMs: NOW.getTime() - 86_400_000,
      authorKey: reissue!.authorKey,
      feedId: 'b',
    };
    const plan = planSave('a', [reissue!], { ...nothingStored, stored: new Set([4]), reissueCandidates: [candidate] }, null, free);
    expect(plan.sources).toEqual([{ story: { kind: 'stored', id: 4 }, item: reissue }]);
    expect(plan.inserts).toEqual([]);
  });

  it('never merges an item into a story its own document adds (same-titled items side by side)', () => {
    const letters = normalizeItems(
      [1, 2].map((day) =>
        item({ id: `letters-${day}`, title: 'Letters to the editor', published: new Date(Date.UTC(2026, 10, 18 + day, 7)) }),
      ),
      NOW,
    );
    expect(planSave('a', letters, nothingStored, null, free).result).toEqual({ added: 2, updated: 0, duplicates: 0 });
  });

  it('takes the next public id when the first one is taken', () => {
    const items = normalized('1');
    const [first] = planSave('a', items, nothingStored, null, free).inserts;
    const plan = planSave('a', items, nothingStored, null, (id) => id === first!.publicId);
    expect(plan.inserts[0]!.publicId).not.toBe(first!.publicId);
  });
});

describe('keysToReadNext', () => {
  const [one] = normalized('1');
  const linkKey = urlKey(one!.canonicalUrl!);
  it.each([
    ['the item key is unknown', undefined, true, 4],
    ['the feed carries the story at the same hash', { storyId: 1, stored: true, sourceHash: one!.contentHash }, false, 0],
    ['the content changed', { storyId: 1, stored: true, sourceHash: 'other' }, true, 4],
    ['the feed has no source of it yet', { storyId: 1, stored: true, sourceHash: null }, true, 4],
    // The link too: a link never stored is a new column the feed gave the pruned one's id.
    ['the story was pruned (a tombstone)', { storyId: 1, stored: false, sourceHash: null }, true, 4],
  ])('%s → reads the URL key next: %s, keys in all: %s', (_name, byItemKey, readsLink, count) => {
    const next = keysToReadNext('a', one!, byItemKey);
    expect(next.includes(linkKey)).toBe(readsLink);
    // Besides the link, the qualified forms of the id it may have been stored under while shared.
    expect(next.length).toBe(count);
  });
});
