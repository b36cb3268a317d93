import { existsSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { backupDatabase, openDatabase } from '../../src/storage/sqlite/database.ts';
import { migrations } from '../../src/storage/sqlite/migrations.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const dir = makeTempDir();

describe('openDatabase', () => {
  it('creates the file in WAL mode at the latest schema version', () => {
    const db = openDatabase(join(dir, 'nested', 'new.db'));
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('user_version', { simple: true })).toBe(migrations.length);
    db.close();
  });

  it('reopens an existing database without re-running migrations', () => {
    const path = join(dir, 'reopen.db');
    openDatabase(path).prepare(`INSERT INTO feeds (id, configured_url, url) VALUES ('x', 'u', 'u')`).run();
    const db = openDatabase(path);
    expect(db.prepare('SELECT count(*) AS n FROM feeds').get()).toEqual({ n: 1 });
    db.close();
  });

  it('refuses a database from a newer columnwire, saying what to do', () => {
    const path = join(dir, 'future.db');
    const raw = new BetterSqlite3(path);
    raw.pragma(`user_version = ${migrations.length + 5}`);
    raw.close();
    expect(() => openDatabase(path)).toThrow(/newer than this columnwire knows.*upgrade columnwire/);
  });

  it('passes SQLite integrity_check after migrating', () => {
    const db = openDatabase(join(dir, 'check.db'));
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    db.close();
  });

  it('keeps a copy of an older database before migrating it, and a fresh one needs none', () => {
    const path = join(dir, 'old.db');
    const raw = new BetterSqlite3(path);
    raw.exec(migrations[0]!);
    raw.pragma('user_version = 1');
    raw.prepare(`INSERT INTO feeds (id, configured_url, url) VALUES ('kept', 'u', 'u')`).run();
    raw.close();
    openDatabase(path).close();
    const copy = new BetterSqlite3(`${path}.before-v2.bak`, { readonly: true });
    expect(copy.pragma('user_version', { simple: true })).toBe(1);
    expect(copy.prepare('SELECT id FROM feeds').all()).toEqual([{ id: 'kept' }]);
    copy.close();
    openDatabase(join(dir, 'fresh.db')).close();
    expect(existsSync(join(dir, 'fresh.db.before-v1.bak'))).toBe(false);
  });

  it('backs up a database that is open and being written, consistently', async () => {
    const db = openDatabase(join(dir, 'live.db'));
    const insert = db.prepare(`INSERT INTO feeds (id, configured_url, url) VALUES (?, 'u', 'u')`);
    for (let index = 0; index < 500; index++) insert.run(`feed-${index}`);
    const copyPath = join(dir, 'backups', 'live-copy.db');
    await backupDatabase(db, copyPath);
    insert.run('after-the-backup');
    db.close();
    const copy = new BetterSqlite3(copyPath, { readonly: true });
    expect(copy.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(copy.prepare('SELECT count(*) AS n FROM feeds').get()).toEqual({ n: 500 });
    copy.close();
  });
});
