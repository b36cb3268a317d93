/** Opens the SQLite file (the only importer of better-sqlite3), sets pragmas, runs migrations. */
import { renameSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { ensureFolder } from '../../ensure-folder.ts';
import { migrations } from './migrations.ts';

export type Database = BetterSqlite3.Database;
export type Statement = BetterSqlite3.Statement;

/** Error raised when the database cannot be opened or migrated. */
export class DatabaseError extends Error {
  override name = 'DatabaseError';
}

/**
 * How long a write waits for another process's write lock (SQLITE_BUSY) before failing. Every
 * write transaction is short (one feed, one delivery), so a wait this long means a stuck writer.
 */
export const BUSY_TIMEOUT_MS = 15_000;

/** True for SQLite's "database is locked" (SQLITE_BUSY and its extended codes): another process held the lock too long. */
export function isBusyError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return error instanceof BetterSqlite3.SqliteError && typeof code === 'string' && /^SQLITE_(BUSY|LOCKED)/.test(code);
}

/** Opens (creating if needed) the database at `path` and migrates it to the current schema. */
export function openDatabase(path: string): Database {
  let db: Database;
  try {
    // Not mkdirSync's recursive mode: it never returns for a path under /proc (see ensure-folder).
    if (path !== ':memory:') ensureFolder(dirname(path));
    db = new BetterSqlite3(path, { timeout: BUSY_TIMEOUT_MS });
  } catch (cause) {
    throw new DatabaseError(`storage: cannot open database ${path}: ${(cause as Error).message}`, { cause });
  }
  // WAL lets readers (the HTTP server) run beside the poller; NORMAL is durable across
  // process crashes in WAL mode, which is what per-feed transactions need.
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  // Fewer, larger checkpoints (1.47x on bulk inserts, see PERF-NOTES) and an 8 MiB page
  // cache: a page it misses is a read from the OS's cache. A fresh poll of 3,000 feeds (135,000
  // stories) took the same CPU with 8 as with 32 MiB, and peaked 25–40 MB lower.
  db.pragma('wal_autocheckpoint = 10000');
  db.pragma('cache_size = -8192');
  migrate(db, path);
  return db;
}

/**
 * A read-only connection to the database at `path` (migrated already by a writer's
 * openDatabase): for a thread that only reads, such as a search thread. WAL lets it read beside
 * the writer without waiting for it.
 */
export function openDatabaseReadOnly(path: string): Database {
  try {
    const db = new BetterSqlite3(path, { readonly: true, fileMustExist: true, timeout: BUSY_TIMEOUT_MS });
    db.pragma('cache_size = -16384');
    return db;
  } catch (cause) {
    throw new DatabaseError(`storage: cannot open database ${path} to read: ${(cause as Error).message}`, { cause });
  }
}

/** Copies the live database to `destination` with SQLite's online backup (safe while the service writes). */
export async function backupDatabase(db: Database, destination: string): Promise<void> {
  ensureFolder(dirname(destination));
  await db.backup(destination);
}

function migrate(db: Database, path: string): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > migrations.length) {
    throw new DatabaseError(
      `storage: ${path} has schema version ${current}, newer than this columnwire knows (${migrations.length}); upgrade columnwire`,
    );
  }
  // An upgrade keeps a copy of the database as it was, so a bad migration can be rolled back by hand.
  if (current > 0 && current < migrations.length && path !== ':memory:') {
    const copy = `${path}.before-v${current + 1}.bak`;
    const temporary = `${copy}.${process.pid}.tmp`;
    rmSync(temporary, { force: true });
    db.prepare('VACUUM INTO ?').run(temporary);
    // Another process upgrading at the same moment may have migrated meanwhile; then its copy
    // (of the old version) stands, and this one (perhaps of the new version) is dropped.
    if (db.pragma('user_version', { simple: true }) === current) renameSync(temporary, copy);
    else rmSync(temporary, { force: true });
  }
  for (let version = current; version < migrations.length; version++) {
    // IMMEDIATE, and the version read again inside: two processes starting on a new folder at
    // once apply each migration once (the second waits for the lock, then finds it done).
    db.transaction(() => {
      if ((db.pragma('user_version', { simple: true }) as number) !== version) return;
      db.exec(migrations[version]!);
      db.pragma(`user_version = ${version + 1}`);
    }).immediate();
  }
}

/** A lock held for this process until `release()` or its death (even by SIGKILL, the kernel drops it). */
export interface FileLock {
  release(): void;
}

/**
 * Takes the exclusive lock on the small SQLite file at `path`, or returns null at once when
 * another process holds it. The lock is SQLite's POSIX advisory lock (fcntl), which the kernel
 * releases when the holder dies: no stale lock after kill -9 and no pid-reuse guesswork.
 */
export function tryFileLock(path: string): FileLock | null {
  return waitFileLock(path, 0);
}

/** Takes the lock tryFileLock takes, waiting up to `timeoutMs` for its holder to let go; null if it did not. */
export function waitFileLock(path: string, timeoutMs: number): FileLock | null {
  const db = new BetterSqlite3(path, { timeout: timeoutMs });
  try {
    db.exec('CREATE TABLE IF NOT EXISTS holder (pid INTEGER NOT NULL)');
    db.exec('BEGIN EXCLUSIVE');
    // BEGIN EXCLUSIVE alone may hold nothing until the first write: write, and never commit.
    db.prepare('INSERT INTO holder (pid) VALUES (?)').run(process.pid);
  } catch (error) {
    db.close();
    if (isBusyError(error)) return null;
    throw error;
  }
  return {
    release: () => {
      if (db.open) db.close(); // closing rolls the write back and drops the lock
    },
  };
}
