/** `columnwire migrate --to`: an SQLite installation moved to PostgreSQL, checked row for row and through the Store. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { normalizeItems } from '../../src/feeds/normalize-items.ts';
import { feedToken } from '../../src/search-tokens.ts';
import { createPostgresStore } from '../../src/storage/postgres/postgres-store.ts';
import type { Store } from '../../src/storage/store.ts';
import { column, DIGEST_NOW, startDigestApp } from '../helpers/digest-app.ts';
import { item } from '../helpers/items.ts';
import { runCli } from '../helpers/run-cli.ts';
import { postgresBackend, schemaUrl } from '../helpers/store-backends.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const root = makeTempDir();

/** Everything a Store says about an installation, for comparing two of them. */
async function snapshot(store: Store) {
  const runs = await store.listDigestRuns(null, 100);
  return {
    feeds: await store.listFeeds(),
    stories: await store.listStories({ limit: 1000 }),
    runs,
    deliveries: await Promise.all(runs.map((run) => store.deliveries(run.id))),
    subscribers: await store.listSubscribers(null, { limit: 1000 }),
    states: await store.subscriptionStates('d'),
    counters: (await store.readStats()).counters,
  };
}

describe('columnwire migrate --to', () => {
  it('copies every table into an empty database, the Store reads the same there, and a rerun copies nothing', async () => {
    const digestApp = await startDigestApp({ root, digests: '  - id: d\n    to: [a@example.org]\n' });
    const { app } = digestApp;
    await digestApp.save('jane', [column('j1', DIGEST_NOW, 1), column('j2', DIGEST_NOW, 2)]);
    await digestApp.save('bob', [column('b1', DIGEST_NOW, 3, { title: 'Another column' })]);
    await digestApp.save('ann', [column('j1', DIGEST_NOW, 1)]); // j1 in the Daily Planet too
    await app.store.pruneStories(new Date(DIGEST_NOW.getTime() - 2.5 * 3600_000)); // b1 leaves a tombstone
    await app.store.addSubscribers('d', [{ address: 'sub@example.org', name: 'Sub' }], DIGEST_NOW);
    await app.store.unsubscribe('gone@example.org', 'd', DIGEST_NOW);
    await app.store.recordPollCycle({ 'fetches.stored': 3, 'stories.added': 3 }, DIGEST_NOW);
    await digestApp.run('d', null);
    const before = await snapshot(app.store);
    await app.close();

    const schema = await postgresBackend.newLocation();
    const url = schemaUrl(schema);
    const migrate = () => runCli(['--config', digestApp.configPath, '--data', digestApp.dataDir, 'migrate', '--to', url]);
    const first = await migrate();
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^stories\s+2\s+2\s+2$/m);
    expect(first.stdout).toMatch(/^story_keys\s+(\d+)\s+\1\s+\1$/m);
    expect(first.stdout).toMatch(/^digest_deliveries\s+2\s+2\s+2$/m);
    expect(first.stdout).toContain('the unsubscribe secret was copied');
    const again = await migrate();
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^stories\s+2\s+0\s+2$/m);

    const copy = await createPostgresStore(url);
    try {
      expect(await snapshot(copy)).toEqual(before);
      // Found by the tokens of every feed that carried a column (what a searched outlet name becomes).
      const byFeed = async (feedId: string) =>
        (
          await copy.searchStories({
            terms: [{ words: ['x'], prefix: false, tokens: [feedToken(feedId)] }],
            limit: 10,
            offset: 0,
            now: DIGEST_NOW,
          })
        ).map((hit) => hit.story.title);
      expect(await byFeed('ann')).toEqual(['Column j1 about the budget']);
      expect(await byFeed('jane')).toEqual(['Column j1 about the budget', 'Column j2 about the budget']);
      // The tombstone came along: the pruned column stays out, and new ids continue after the copied ones.
      const state = { url: 'https://bob.example/feed', etag: null, lastModified: null, ttlMinutes: null, nextFetchAt: DIGEST_NOW };
      const later = new Date(DIGEST_NOW.getTime() + 60_000);
      const saved = await copy.saveFetched(
        'bob',
        normalizeItems([column('b1', DIGEST_NOW, 3, { title: 'Another column' }), item({ id: 'b9', published: later })], later),
        state,
        later,
        null,
      );
      expect(saved).toMatchObject({ added: 1, duplicates: 1 });
      expect(await copy.maxStoryId()).toBeGreaterThan(Math.max(...before.stories.map((story) => story.id)));
      // Links mailed from SQLite still verify: the secret is the installation's.
      expect(await copy.sharedSetting('unsubscribe-secret', 'other')).toBe(app.secret);
    } finally {
      await copy.close();
    }
    // On PostgreSQL, backup says how instead: pg_dump.
    const backup = await runCli(['--config', digestApp.configPath, '--data', digestApp.dataDir, 'backup', join(root, 'copy.db')], {
      env: { COLUMNWIRE_DATABASE_URL: url },
    });
    expect(backup.code).toBe(1);
    expect(backup.stderr).toMatch(/pg_dump --format=custom/);
  });

  it('refuses a database holding another installation, naming the tables that differ', async () => {
    const digestApp = await startDigestApp({ root, digests: '  - id: d\n    to: [a@example.org]\n' });
    await digestApp.save('jane', [column('j1', DIGEST_NOW, 1)]);
    await digestApp.app.close();
    const url = schemaUrl(await postgresBackend.newLocation());
    const other = await createPostgresStore(url);
    await other.syncFeeds([{ id: 'someone-else', url: 'https://else.example.com/feed', title: null, outlet: null, tags: [] }]);
    await other.close();
    const result = await runCli(['--config', digestApp.configPath, '--data', digestApp.dataDir, 'migrate', '--to', url]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /migrate: the PostgreSQL database does not hold the same rows: feeds 4 rows there, 3 here.*migrate into a new database/,
    );
  });

  it.each([
    [['migrate'], /migrate: say where to with --to/],
    [['migrate', '--to', 'mysql://x@y/z'], /--to must be a PostgreSQL URL/],
  ])('exits 2 for %j', async (args, messageText) => {
    const result = await runCli(['--data', join(root, 'nowhere'), ...args], { env: { COLUMNWIRE_DATABASE_URL: '' } });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(messageText);
  });
});
