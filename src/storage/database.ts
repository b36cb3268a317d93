/** Opens the SQLite file (the only importer of better-sqlite3), sets pragmas, runs migrations. */
import { mkdirSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { migrations } from './migrations.ts';

export type Database = BetterSqlite3.Database;

/** Error raised when the database cannot be opened or migrated. */
export class DatabaseError extends Error {
  override name = 'DatabaseError';
}

/** Opens (creating if needed) the database at `path` and migrates it to the current schema. */
export function openDatabase(path: string): Database {
  let db: Database;
  try {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    db = new BetterSqlite3(path, { timeout: 5000 });
  } catch (cause) {
    throw new DatabaseError(`storage: cannot open database ${path}: ${(cause as Error).message}`, { cause });
  }
  // WAL lets readers (the HTTP server) run beside the poller; NORMAL is durable across
  // process crashes in WAL mode, which is what per-feed transactions need.
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  // Fewer, larger checkpoints (1.47x on bulk inserts, see PERF-NOTES) and a 32 MiB page
  // cache so the identity-key index stays in memory as it grows.
  db.pragma('wal_autocheckpoint = 10000');
  db.pragma('cache_size = -32768');
  migrate(db, path);
  return db;
}

/** Copies the live database to `destination` with SQLite's online backup (safe while the service writes). */
export async function backupDatabase(db: Database, destination: string): Promise<void> {
  mkdirSync(dirname(destination), { recursive: true });
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
    rmSync(copy, { force: true });
    db.prepare('VACUUM INTO ?').run(copy);
  }
  for (let version = current; version < migrations.length; version++) {
    db.transaction(() => {
      db.exec(migrations[version]!);
      db.pragma(`user_version = ${version + 1}`);
    })();
  }
}
