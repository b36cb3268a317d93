/**
 * Stories' stored public ids (issue 10 §1): the migration keeps the ids readers already have,
 * new stories get ids from their identity, and no two stories ever share one.
 */
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { normalizeItems } from '../../src/feeds/normalize-items.ts';
import { openDatabase } from '../../src/storage/sqlite/database.ts';
import { migrations } from '../../src/storage/sqlite/migrations.ts';
import { storyPublicId } from '../../src/storage/story-public-id.ts';
import { createStoryStore } from '../../src/storage/sqlite/story-store.ts';
import { item } from '../helpers/items.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const dir = makeTempDir();
const NOW = new Date('2026-11-21T12:00:00Z');
let counter = 0;

/** A database at the schema version before public ids, with stories 1..3 (rowid 2 pruned, as retention does). */
function previousVersionDatabase(): string {
  const path = join(dir, `previous-${counter++}.db`);
  const raw = new BetterSqlite3(path);
  const previous = 6; // version 7 added public ids
  for (const migration of migrations.slice(0, previous)) raw.exec(migration);
  raw.pragma(`user_version = ${previous}`);
  const insert = raw.prepare(
    `INSERT INTO stories (id, feed_id, title, link, published_at, updated_at, first_seen_at) VALUES (?, 'a', ?, ?, ?, ?, ?)`,
  );
  for (const id of [1, 3, 17]) insert.run(id, `Old column ${id}`, `https://a.example/${id}`, NOW.getTime(), NOW.getTime(), NOW.getTime());
  raw.close();
  return path;
}

describe('story public ids', () => {
  it('keep the ids existing stories were published under after the migration', () => {
    const db = openDatabase(previousVersionDatabase());
    const stories = createStoryStore(db)
      .list({ limit: 10 })
      .sort((a, b) => a.id - b.id);
    expect(stories.map((story) => [story.id, story.publicId])).toEqual([
      [1, 'urn:columnwire:story:1'],
      [3, 'urn:columnwire:story:3'],
      [17, 'urn:columnwire:story:17'],
    ]);
    db.close();
  });

  it('give a new story in a migrated database an id from its canonical link, else its feed and item id', () => {
    const db = openDatabase(previousVersionDatabase());
    const store = createStoryStore(db);
    const items = normalizeItems(
      [
        item({ id: 'x', title: 'New column with a link', link: 'https://b.example/new?utm_source=rss' }),
        item({ id: 'y', title: 'New column with no link', link: null }),
      ],
      NOW,
    );
    db.transaction(() => store.saveItems('b', items, NOW, null))();
    const byTitle = new Map(store.list({ limit: 10 }).map((story) => [story.title, story.publicId]));
    expect(byTitle.get('New column with a link')).toBe(storyPublicId('u:https://b.example/new'));
    expect(byTitle.get('New column with no link')).toBe(storyPublicId('i:b\ny'));
    expect(byTitle.get('Old column 17')).toBe('urn:columnwire:story:17');
    db.close();
  });

  it('are unique: the index refuses a copy, and one link listed twice in a document still stores two stories', () => {
    const db = openDatabase(join(dir, `fresh-${counter++}.db`));
    const store = createStoryStore(db);
    const twice = normalizeItems(
      [
        item({ id: '1', title: 'Morning edition of the column', link: 'https://c.example/same' }),
        item({ id: '2', title: 'Evening edition, other words', link: 'https://c.example/same' }),
      ],
      NOW,
    );
    expect(db.transaction(() => store.saveItems('c', twice, NOW, null))()).toMatchObject({ added: 2 });
    const ids = store.list({ limit: 10 }).map((story) => story.publicId);
    // The later item takes the id of its own item key, as the link's is the earlier one's.
    expect(ids.sort()).toEqual([storyPublicId('u:https://c.example/same'), storyPublicId('i:c\n2')].sort());
    expect(() => db.prepare(`UPDATE stories SET public_id = ? WHERE public_id = ?`).run(ids[0], ids[1])).toThrow(
      /UNIQUE constraint failed: stories.public_id/,
    );
    db.close();
  });
});
