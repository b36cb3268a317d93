/**
 * The data folder (--data) checked before SQLite sees it: SQLite's own answer to a folder it
 * cannot use is a bare "unable to open database file", and Node's recursive mkdir never
 * returns on /proc. This says which path is wrong, why, and what to do, at once.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { checkWritableFolder, ensureFolder, FolderError } from '../ensure-folder.ts';

/** The data folder cannot hold the database: exit 1 (the command failed), the message says how to fix it. */
export class DataFolderError extends Error {
  override name = 'DataFolderError';
}

/**
 * Creates `dataDir` if needed and checks that this user can write in it and, when they exist,
 * in the files SQLite writes: `databaseFile` and its -wal and -shm files (WAL readers write -shm too).
 */
export function prepareDataFolder(dataDir: string, databaseFile: string): void {
  try {
    ensureFolder(dataDir);
    checkWritableFolder(dataDir);
    for (const file of [databaseFile, `${databaseFile}-wal`, `${databaseFile}-shm`]) checkWritableFile(file);
  } catch (cause) {
    if (!(cause instanceof FolderError)) throw cause;
    // "the data folder /x is not writable", or "... /x/data: /x is a file": name a parent only when it is the culprit.
    const fault = cause.folder === resolve(dataDir) ? `it ${cause.reason}` : cause.message;
    const fix = ['EACCES', 'EPERM'].includes(cause.code)
      ? 'fix its permissions (or run as its owner), or choose another folder'
      : 'choose a writable folder';
    throw new DataFolderError(`storage: cannot use the data folder ${dataDir}: ${fault}; ${fix} with --data DIR (or COLUMNWIRE_DATA)`, {
      cause,
    });
  }
}

function checkWritableFile(path: string): void {
  let isFile: boolean;
  try {
    isFile = statSync(path).isFile();
    accessSync(path, constants.R_OK | constants.W_OK);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code ?? 'EACCES';
    if (code === 'ENOENT') return; // SQLite creates it
    throw new FolderError(path, `is not writable by this user (${code})`, code, { cause });
  }
  if (!isFile) throw new FolderError(path, 'is not a file; move it away', 'EISDIR');
}
