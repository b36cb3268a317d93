/** `columnwire migrate --to`: an SQLite installation moved to PostgreSQL, checked row for row and through the Store. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { normalizeItems } from '../../src/feeds/normalize-items.ts';
import { databasePath } from '../../src/app.ts';
import { feedToken } from '../../src/search-tokens.ts';
import { copyToPostgres } from '../../src/storage/copy-to-postgres.ts';
import { lockDataFolder } from '../../src/storage/data-lock.ts';
import { createPostgresStore } from '../../src/storage/postgres/postgres-store.ts';
import type { Store } from '../../src/storage/store.ts';
import { column, DIGEST_NOW, startDigestApp } from '../helpers/digest-app.ts';
import { item } from '../helpers/items.ts';
import { generatedPasswords, shownPart } from '../helpers/generated-passwords.ts';
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
    signups: await store.listSignups(null),
    bounces: await store.listBounces(),
    counters: (await store.readStats()).counters,
  };
}

/** One value of a query on the PostgreSQL database at `url`. */
async function pgValue<T>(url: string, sql: string, params: unknown[] = []): Promise<T | undefined> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query(sql, params);
    return rows[0] ? (Object.values(rows[0] as object)[0] as T) : undefined;
  } finally {
    await client.end();
  }
}

/** An installation with a run, a subscriber and an unsubscribe, closed so the CLI can migrate it. */
async function smallInstallation(address = 'sub@example.org') {
  const digestApp = await startDigestApp({ root, digests: '  - id: d\n    to: [a@example.org]\n' });
  await digestApp.save('jane', [column('j1', DIGEST_NOW, 1)]);
  await digestApp.app.store.addSubscribers('d', [{ address, name: 'Sub' }], DIGEST_NOW);
  await digestApp.app.store.unsubscribe('gone@example.org', 'd', DIGEST_NOW);
  await digestApp.run('d', null);
  await digestApp.app.close();
  const migrate = (url: string, env: Record<string, string> = {}) =>
    runCli(['--config', digestApp.configPath, '--data', digestApp.dataDir, 'migrate', '--to', url], { env });
  return { ...digestApp, migrate };
}

describe('columnwire migrate --to', () => {
  it('copies every table into an empty database, the Store reads the same there, and a rerun over an unchanged source changes nothing', async () => {
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
    // TABLE SQLITE POSTGRESQL ADDED CHANGED REMOVED
    expect(first.stdout).toMatch(/^stories\s+2\s+2\s+2\s+0\s+0$/m);
    expect(first.stdout).toMatch(/^story_keys\s+(\d+)\s+\1\s+\1\s+0\s+0$/m);
    expect(first.stdout).toMatch(/^digest_deliveries\s+2\s+2\s+2\s+0\s+0$/m);
    expect(first.stdout).toContain('copied into an empty database; the unsubscribe secret (<data>/secret) was copied.');
    const again = await migrate();
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^stories\s+2\s+2\s+0\s+0\s+0$/m);
    expect(again.stdout).toMatch(
      /replacing the copy of \S+: 0 rows added, 0 changed, 0 removed; the unsubscribe secret \(<data>\/secret\) was there already/,
    );

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

  it('refuses a database holding data it did not copy, before writing anything', async () => {
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
      /migrate: refused, nothing was written to PostgreSQL: it holds data migrate did not copy there from this installation \(feeds 1 row\)\. Migrate into a new, empty database/,
    );
    expect(await pgValue(url, `SELECT string_agg(id, ',') FROM feeds`)).toBe('someone-else');
  });

  it.each([
    ['tables of another application', "CREATE TABLE customers (id int PRIMARY KEY, name text); INSERT INTO customers VALUES (1, 'Ann')"],
    ['a table of its own named like one of ours', 'CREATE TABLE feeds (id text PRIMARY KEY, url text)'],
  ])('refuses a database holding %s before creating any table there', async (_what, sql) => {
    const installation = await smallInstallation();
    const location = await postgresBackend.newLocation();
    await postgresBackend.exec(location, sql);
    const url = schemaUrl(location);
    const tables = () =>
      pgValue<string>(
        url,
        `SELECT string_agg(table_name, ',' ORDER BY table_name) FROM information_schema.tables WHERE table_schema = current_schema()`,
      );
    const before = await tables();
    const result = await installation.migrate(url);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      new RegExp(
        `migrate: refused, nothing was written to PostgreSQL: it holds tables columnwire did not make \\(${before}\\)\\. Migrate into a new, empty database`,
      ),
    );
    expect(await tables()).toBe(before);
  });

  it("ends with the SQLite installation's secret, replacing one a command run on PostgreSQL first made", async () => {
    const installation = await smallInstallation();
    const url = schemaUrl(await postgresBackend.newLocation());
    const stats = await runCli(['--config', installation.configPath, '--data', installation.dataDir, 'stats'], {
      env: { COLUMNWIRE_DATABASE_URL: url },
    });
    expect(stats.code).toBe(0);
    // `digest --status` syncs the config's feeds there (never fetched): still an empty database.
    const status = await runCli(['--config', installation.configPath, '--data', installation.dataDir, 'digest', '--status'], {
      env: { COLUMNWIRE_DATABASE_URL: url },
    });
    expect(status.code).toBe(0);
    expect(await pgValue<number>(url, `SELECT count(*)::int FROM feeds`)).toBeGreaterThan(0);
    const secretThere = () => pgValue<string>(url, `SELECT value FROM shared_settings WHERE key = 'unsubscribe-secret'`);
    expect(await secretThere()).not.toBe(installation.app.secret);
    const result = await installation.migrate(url);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      'copied into an empty database; the unsubscribe secret (<data>/secret) replaced the one PostgreSQL held (made by a command run there before the copy).',
    );
    // Links mailed from SQLite verify on PostgreSQL.
    expect(await secretThere()).toBe(installation.app.secret);
  });

  it("refuses another installation's copy before writing anything", async () => {
    const first = await smallInstallation('ann@example.org');
    const second = await smallInstallation('zed@example.org');
    const url = schemaUrl(await postgresBackend.newLocation());
    expect((await first.migrate(url)).code).toBe(0);
    const copy = await createPostgresStore(url);
    try {
      const before = await snapshot(copy);
      const result = await second.migrate(url);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(
        /migrate: refused, nothing was written to PostgreSQL: it holds another columnwire installation, copied there by migrate on \S+ \(feeds 3 rows, stories 1 row, .*digest_deliveries 2 rows, .*\)\. Migrate into a new, empty database/,
      );
      // Run 1 is still the first installation's, with its deliveries only.
      expect(await snapshot(copy)).toEqual(before);
      expect((await copy.deliveries(1)).map((delivery) => delivery.address).sort()).toEqual(['a@example.org', 'ann@example.org']);
    } finally {
      await copy.close();
    }
  });

  it('a rerun makes PostgreSQL equal to SQLite again, rows updated and deleted since included', async () => {
    const digestApp = await startDigestApp({ root, digests: '  - id: d\n    to: [a@example.org]\n' });
    const { store } = digestApp.app;
    await digestApp.save('jane', [column('j1', DIGEST_NOW, 1)]);
    const people = ['ann', 'bob', 'carol', 'dave'].map((name) => ({ address: `${name}@example.org`, name }));
    await store.addSubscribers('d', people, DIGEST_NOW);
    await digestApp.run('d', null);
    const url = schemaUrl(await postgresBackend.newLocation());
    const migrate = () => runCli(['--config', digestApp.configPath, '--data', digestApp.dataDir, 'migrate', '--to', url]);
    expect((await migrate()).code).toBe(0);

    // What the service on SQLite records after the first copy: every kind of update, and a deletion.
    await store.unsubscribe('ann@example.org', 'd', DIGEST_NOW);
    await store.addSubscribers('d', [{ address: 'bob@example.org', name: 'Robert' }], DIGEST_NOW);
    await store.setPreferences('d', 'carol@example.org', { paused: true });
    await store.removeSubscriber('dave@example.org', 'd');
    await store.recordPermanentFailure('bob@example.org', '550 5.1.1 no such user', DIGEST_NOW, 3);
    const [run] = await store.listDigestRuns('d', 1);
    const carolCopy = (await store.deliveries(run!.id)).find((delivery) => delivery.address === 'carol@example.org')!;
    await store.recordBounceReport('carol@example.org', [carolCopy.messageId], '5.1.1 gone', DIGEST_NOW, 3);
    await store.saveSignup({
      digestId: 'd',
      address: 'eve@example.org',
      name: 'Eve',
      choices: { columnists: [], outlets: [], tags: [] },
      requestedAt: DIGEST_NOW,
    });
    const sqlite = await snapshot(store);

    const again = await migrate();
    expect(again.stderr).toBe('');
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^subscribers\s+3\s+3\s+0\s+2\s+1$/m);
    expect(again.stdout).toMatch(/replacing the copy of \S+: [1-9]\d* rows added, [1-9]\d* changed, 1 removed/);
    const copy = await createPostgresStore(url);
    try {
      expect(await snapshot(copy)).toEqual(sqlite);
      expect(await copy.subscriptionState('ann@example.org', 'd')).toMatchObject({ state: 'unsubscribed' });
    } finally {
      await copy.close();
    }
  });

  it('refuses to rerun once PostgreSQL was written to after the copy, naming what changed', async () => {
    const installation = await smallInstallation();
    const url = schemaUrl(await postgresBackend.newLocation());
    expect((await installation.migrate(url)).code).toBe(0);
    // The service switched over: a reader unsubscribes on PostgreSQL.
    const copy = await createPostgresStore(url);
    await copy.unsubscribe('sub@example.org', 'd', DIGEST_NOW);
    await copy.close();
    const again = await installation.migrate(url);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(
      /migrate: refused, nothing was written to PostgreSQL: it holds this installation as migrate copied it on \S+, but was written to since \(changed: subscriptions\): a service or a command has used it\. If the service already runs on PostgreSQL, PostgreSQL is the installation now/,
    );
    expect(await pgValue(url, `SELECT state FROM subscriptions WHERE address = 'sub@example.org'`)).toBe('unsubscribed');
  });

  it('copies text holding NUL characters (dropped from text, U+FFFD in keys) and names each row', async () => {
    const installation = await smallInstallation();
    const db = new BetterSqlite3(databasePath(installation.dataDir));
    db.prepare(`INSERT INTO signups (digest_id, address, name, choices, requested_at) VALUES ('d', 'x@example.org', ?, '{}', 0)`).run(
      'a\0b',
    );
    db.prepare(`INSERT INTO subscribers (digest_id, address, name, added_at) VALUES ('d', ?, ?, 0)`).run('nu\0l@example.org', 'N\0u\0l');
    db.close();
    const url = schemaUrl(await postgresBackend.newLocation());
    const result = await installation.migrate(url);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      '2 rows held NUL characters, which PostgreSQL text cannot hold (dropped from text, each replaced by U+FFFD in keys):',
    );
    expect(result.stdout).toContain(
      '  subscribers (digest_id "d", address "nu\\u0000l@example.org"): address 1 replaced, name 2 dropped\n',
    );
    expect(result.stdout).toContain('  signups (digest_id "d", address "x@example.org"): name 1 dropped\n');
    expect(await pgValue(url, `SELECT name FROM signups WHERE address = 'x@example.org'`)).toBe('ab');
    expect(await pgValue(url, `SELECT name FROM subscribers WHERE address = $1`, ['nu\uFFFDl@example.org'])).toBe('Nul');
  });

  it('names the row PostgreSQL refuses, and writes nothing', async () => {
    const installation = await smallInstallation();
    const db = new BetterSqlite3(databasePath(installation.dataDir));
    db.prepare(`UPDATE subscribers SET paused = 'maybe' WHERE address = 'sub@example.org'`).run(); // SQLite keeps text in an INTEGER column
    db.close();
    const url = schemaUrl(await postgresBackend.newLocation());
    const result = await installation.migrate(url);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /migrate: PostgreSQL refused the row subscribers \(digest_id "d", address "sub@example.org"\): invalid input syntax for type integer: "maybe"; nothing was written to PostgreSQL\. Correct or delete that row/,
    );
    expect(await pgValue(url, `SELECT count(*)::int FROM feeds`)).toBe(0);
    expect(await pgValue(url, `SELECT count(*)::int FROM shared_settings`)).toBe(0);
  });

  it('refuses while the service holds the data folder', async () => {
    const installation = await smallInstallation();
    const url = schemaUrl(await postgresBackend.newLocation());
    const lock = lockDataFolder(installation.dataDir, 'run');
    try {
      const result = await installation.migrate(url);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(
        `migrate: columnwire run (pid ${process.pid}) is using ${installation.dataDir}; stop the service first, then migrate`,
      );
    } finally {
      lock.release();
    }
    // Another migrate of the same folder: told to wait for it, not to stop a service.
    const other = lockDataFolder(installation.dataDir, 'run', 'migrate');
    try {
      const result = await installation.migrate(url);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(
        `migrate: columnwire migrate (pid ${process.pid}) is using ${installation.dataDir}; wait for it to finish`,
      );
    } finally {
      other.release();
    }
    expect(
      await pgValue(
        url,
        `SELECT count(*)::int FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'feeds'`,
      ),
    ).toBe(0);
  });

  it('reads SQLite from one snapshot, and commits nothing when another process wrote to it meanwhile; a rerun copies all', async () => {
    const installation = await smallInstallation();
    const url = schemaUrl(await postgresBackend.newLocation());
    const path = databasePath(installation.dataDir);
    const writer = new BetterSqlite3(path);
    try {
      const copying = copyToPostgres(path, url, {
        onTable: (table) => {
          if (table !== 'digest_runs') return;
          // A run and its delivery, written once the runs are copied: read apart, the delivery would come without its run.
          const { lastInsertRowid } = writer
            .prepare(
              `INSERT INTO digest_runs (digest_id, created_at, from_story_id, to_story_id, story_ids, subject, status) VALUES ('d', 0, 0, 0, '[]', 'Late', 'sent')`,
            )
            .run();
          writer
            .prepare(
              `INSERT INTO digest_deliveries (run_id, address, status, message_id) VALUES (?, 'late@example.org', 'sent', '<late@x>')`,
            )
            .run(lastInsertRowid);
        },
      });
      // Read apart, the delivery would have come without its run; read from one snapshot, the late
      // rows would have been left behind silently. Neither: nothing is committed, and it says why.
      await expect(copying).rejects.toThrow(/was written to while it was copied .*nothing was written to PostgreSQL/);
    } finally {
      writer.close();
    }
    expect(await pgValue(url, `SELECT count(*)::int FROM digest_runs`)).toBe(0);
    const report = await copyToPostgres(path, url);
    expect(report.tables.find((copy) => copy.table === 'digest_deliveries')).toMatchObject({ source: 3, target: 3 });
    expect(await pgValue(url, `SELECT count(*)::int FROM digest_deliveries WHERE address = 'late@example.org'`)).toBe(1);
  });

  it('never prints the database password, given by --to, COLUMNWIRE_DATABASE_URL or database: in feeds.yaml', async () => {
    const installation = await smallInstallation();
    for (const [index, password] of ['Sup3r#S3cret', 'Sup/3rS3cret', ...generatedPasswords(7, 4)].entries()) {
      const url = `postgres://cw:${password}@127.0.0.1:1/columnwire`; // port 1: nothing listens
      const configPath = join(root, `database-${index}.yaml`);
      writeFileSync(configPath, `${readFileSync(installation.configPath, 'utf8')}database: ${JSON.stringify(url)}\n`);
      const data = ['--data', installation.dataDir];
      const runs = await Promise.all([
        installation.migrate(url),
        runCli(['--config', installation.configPath, ...data, 'stats'], { env: { COLUMNWIRE_DATABASE_URL: url } }),
        runCli(['--config', configPath, ...data, 'stats'], { env: { COLUMNWIRE_DATABASE_URL: '' } }),
      ]);
      for (const run of runs) {
        expect(run.code).not.toBe(0);
        expect(run.stderr).toMatch(/must be a PostgreSQL URL|cannot use the PostgreSQL database postgres:\/\/cw:\*\*\*@/);
        expect(shownPart(run.stdout + run.stderr, password), `${JSON.stringify(url)}: ${run.stderr}`).toBeNull();
      }
    }
  });

  it("takes a URL with the host as a parameter (postgresql:///DB?host=/var/run/postgresql, libpq's form for a socket)", async () => {
    const installation = await smallInstallation();
    const given = new URL(schemaUrl(await postgresBackend.newLocation()));
    const url = new URL(`postgresql://${given.pathname}${given.search}`);
    url.searchParams.set('host', given.hostname);
    url.searchParams.set('port', given.port || '5432');
    url.searchParams.set('user', decodeURIComponent(given.username));
    expect(url.host).toBe('');
    const migrated = await installation.migrate(url.href);
    expect(migrated.stderr).toBe('');
    expect(migrated.code).toBe(0);
    const stats = await runCli(['--config', installation.configPath, '--data', installation.dataDir, 'stats'], {
      env: { COLUMNWIRE_DATABASE_URL: url.href },
    });
    expect(stats).toMatchObject({ code: 0, stderr: '' });
    expect(await pgValue(given.href, `SELECT count(*)::int FROM subscribers`)).toBe(1);
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
