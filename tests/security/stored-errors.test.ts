/** The storage boundary: a feed's error is stored without its URL's secrets, and rows stored before are redacted when read. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/storage/sqlite/database.ts';
import { createSqliteStore } from '../../src/storage/sqlite/sqlite-store.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const dir = makeTempDir();
const NOW = new Date('2026-11-27T12:00:00Z');
const URL_WITH_SECRETS = 'http://alice:s3cretPass@feeds.example.com/members/feed.xml?token=t0kenValue42';
const source = { id: 'members', url: URL_WITH_SECRETS, title: null, outlet: null, tags: [] };
const rawError = (path: string): string | null => {
  const db = openDatabase(path);
  try {
    return db.prepare<[], { last_error: string | null }>(`SELECT last_error FROM feeds WHERE id = 'members'`).get()?.last_error ?? null;
  } finally {
    db.close();
  }
};

describe('stored feed errors', () => {
  it('are written without the password and token, naming host and path still', async () => {
    const path = join(dir, 'write.db');
    const store = createSqliteStore(path);
    await store.syncFeeds([source]);
    // An error that quotes the URL, and one that quotes the password on its own.
    const error = `${URL_WITH_SECRETS} is an HTML page that links no feed; login s3cretPass refused`;
    await store.markFailed('members', { error, nextFetchAt: NOW, waitReason: 'backoff', configuredUrl: URL_WITH_SECRETS }, NOW);
    const expected = 'http://alice:***@feeds.example.com/members/feed.xml?token=*** is an HTML page that links no feed; login *** refused';
    expect(rawError(path)).toBe(expected);
    expect((await store.getFeed('members'))?.lastError).toBe(expected);
    await store.close();
  });

  it('stored before this change are redacted when read', async () => {
    const path = join(dir, 'old.db');
    const store = createSqliteStore(path);
    await store.syncFeeds([source]);
    const db = openDatabase(path);
    db.prepare(`UPDATE feeds SET consecutive_errors = 1, last_error = ? WHERE id = 'members'`).run(
      `feed ${URL_WITH_SECRETS} failed: HTTP 500`,
    );
    db.close();
    const redacted = 'feed http://alice:***@feeds.example.com/members/feed.xml?token=*** failed: HTTP 500';
    expect((await store.getFeed('members'))?.lastError).toBe(redacted);
    expect((await store.listFeeds()).map((feed) => feed.lastError)).toEqual([redacted]);
    await store.close();
  });
});
