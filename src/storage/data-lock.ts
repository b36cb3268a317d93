/**
 * The data folder's service lock: one `columnwire run` per folder, or two schedulers would
 * poll and send side by side. One-shot commands (poll, digest, stats, ...) never take it;
 * SQLite's own locking keeps them safe beside the service.
 *
 * The lock itself is a kernel lock on <data>/run.lock (see tryFileLock), released when the
 * holder exits or is killed, so it is never stale. <data>/run.pid only names the holder in
 * the message; a leftover one from a killed holder is overwritten by the next.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureFolder } from '../ensure-folder.ts';
import { tryFileLock, type FileLock } from './database.ts';

/** Raised when another process holds the folder's service lock: exit 2, the user stops one of them. */
export class DataFolderLockedError extends Error {
  override name = 'DataFolderLockedError';
  readonly exitCode = 2;
}

/** The held lock on a data folder. */
export interface DataLock {
  release(): void;
}

/** Takes the service lock on `dataDir` for `role` ("run"), or throws DataFolderLockedError naming the holder's pid. */
export function lockDataFolder(dataDir: string, role: string): DataLock {
  let lock: FileLock | null;
  try {
    ensureFolder(dataDir); // not mkdirSync's recursive mode, which never returns under /proc
    lock = tryFileLock(join(dataDir, `${role}.lock`));
  } catch (cause) {
    throw new Error(`storage: cannot lock the data folder ${dataDir}: ${(cause as Error).message}; check that it is a writable folder`, {
      cause,
    });
  }
  const pidFile = join(dataDir, `${role}.pid`);
  if (!lock) {
    throw new DataFolderLockedError(
      `${role}: another columnwire ${role} (pid ${holderPid(pidFile)}) is using ${dataDir}; stop it first, or give this one another --data folder`,
    );
  }
  try {
    writeFileSync(pidFile, `${process.pid}\n`);
  } catch {
    // The pid file only improves the message another process prints; the lock holds without it.
  }
  let held = true;
  return {
    release() {
      if (!held) return;
      held = false;
      rmSync(pidFile, { force: true });
      lock.release();
    },
  };
}

/** The pid the holder wrote, or "unknown" in the instant between its lock and its write. */
function holderPid(pidFile: string): string {
  try {
    const pid = readFileSync(pidFile, 'utf8').trim();
    return /^\d+$/.test(pid) ? pid : 'unknown';
  } catch {
    return 'unknown';
  }
}
