/**
 * The data folder's service lock: one `columnwire run` per folder, or two schedulers would
 * poll and send side by side. One-shot commands (poll, digest, stats, ...) never take it;
 * SQLite's own locking keeps them safe beside the service.
 *
 * The lock itself is a kernel lock on <data>/run.lock (see tryFileLock), released when the
 * holder exits or is killed, so it is never stale. <data>/run.pid only names the holder in
 * the message; a leftover one from a killed holder is overwritten by the next.
 *
 * A lock on a file is a lock on its inode: deleting run.lock (it looks like a leftover) lets
 * the next `run` lock a new file under the same name. So the holder checks (`verify`) that the
 * path still names the inode it locked, and locks the new file when not; if another process
 * got there first, it must stop.
 */
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureFolder } from '../ensure-folder.ts';
import type { Logger } from '../logger.ts';
import { tryFileLock, type FileLock } from './sqlite/database.ts';

/** Raised when another process holds the folder's service lock: exit 2, the user stops one of them. */
export class DataFolderLockedError extends Error {
  override name = 'DataFolderLockedError';
  readonly exitCode = 2;
  constructor(
    message: string,
    /** The holder's pid as its pid file names it, or "unknown". */
    readonly holderPid = 'unknown',
    /** The command holding it ("run", "migrate"), as its pid file names it. */
    readonly holder = 'run',
  ) {
    super(message);
  }
}

/** What `verify` found: the lock still held, taken again on a new file, or lost to `holderPid`. */
export type LockCheck = { kind: 'held' } | { kind: 'relocked' } | { kind: 'lost'; holderPid: string };

/** The held lock on a data folder. */
export interface DataLock {
  /** The lock file, for messages. */
  path: string;
  /** Checks that the lock file is still the one locked; re-locks a deleted or replaced one. */
  verify(): LockCheck;
  release(): void;
}

/**
 * Takes the service lock on `dataDir` for `role` ("run"), or throws DataFolderLockedError naming
 * the holder and its pid. `holder` is the command taking it, when not `role` itself (`migrate`
 * takes the service's lock so that neither runs beside the other).
 */
export function lockDataFolder(dataDir: string, role: string, holder = role): DataLock {
  const path = join(dataDir, `${role}.lock`);
  const pidFile = join(dataDir, `${role}.pid`);
  let lock: FileLock | null;
  try {
    ensureFolder(dataDir); // not mkdirSync's recursive mode, which never returns under /proc
    lock = tryFileLock(path);
  } catch (cause) {
    throw new Error(`storage: cannot lock the data folder ${dataDir}: ${(cause as Error).message}; check that it is a writable folder`, {
      cause,
    });
  }
  if (!lock) {
    const pid = holderPid(pidFile);
    const other = holderName(pidFile, role);
    throw new DataFolderLockedError(
      `${holder}: another columnwire ${other} (pid ${pid}) is using ${dataDir}; stop it first, or give this one another --data folder`,
      pid,
      other,
    );
  }
  let held: FileLock = lock;
  let identity = inodeOf(path);
  writePidFile(pidFile, role, holder);
  let released = false;
  return {
    path,
    verify(): LockCheck {
      if (released) return { kind: 'held' };
      const now = inodeOf(path);
      if (now !== null && now === identity) return { kind: 'held' };
      const next = tryFileLock(path); // creates the file when it was deleted
      if (!next) return { kind: 'lost', holderPid: holderPid(pidFile) };
      held.release();
      held = next;
      identity = inodeOf(path);
      writePidFile(pidFile, role, holder);
      return { kind: 'relocked' };
    },
    release() {
      if (released) return;
      released = true;
      // Only our own pid file: after a lost lock it names the process that holds it now.
      if (holderPid(pidFile) === String(process.pid)) rmSync(pidFile, { force: true });
      held.release();
    },
  };
}

/** How often the service checks that its lock file is still the one it locked (COLUMNWIRE_LOCK_CHECK_MS, for tests). */
function lockCheckIntervalMs(): number {
  const ms = Number(process.env.COLUMNWIRE_LOCK_CHECK_MS);
  return Number.isFinite(ms) && ms > 0 ? ms : 5_000;
}

/**
 * Re-checks the data folder lock now and then: someone deleting run.lock (it looks like a
 * leftover) would otherwise let a second service lock a new file under the same name.
 * `lost` resolves when another service holds the folder now; this one must stop.
 */
export function watchDataLock(lock: DataLock, dataDir: string, logger: Logger) {
  let lose!: () => void;
  const lost = new Promise<void>((resolve) => (lose = resolve));
  let gone = false;
  const check = (): void => {
    if (gone) return;
    try {
      const found = lock.verify();
      if (found.kind === 'relocked')
        logger.warn(
          { path: lock.path },
          'the data folder lock file was deleted or replaced; locked it again. Do not delete it while the service runs',
        );
      if (found.kind === 'lost') {
        gone = true;
        logger.error(
          { path: lock.path, pid: process.pid, holderPid: found.holderPid, dataDir },
          `run: another columnwire run (pid ${found.holderPid}) locked ${dataDir} after ${lock.path} was deleted; this one (pid ${process.pid}) stops so that only one service polls and sends. Do not delete ${lock.path} while a service runs`,
        );
        lose();
      }
    } catch (err) {
      logger.error({ err, path: lock.path }, 'cannot check the data folder lock; still running');
    }
  };
  const timer = setInterval(check, lockCheckIntervalMs());
  timer.unref(); // never what keeps the process alive
  return { lost, check, stop: () => clearInterval(timer) };
}

/** "dev:ino" of `path`, or null when it is gone. */
function inodeOf(path: string): string | null {
  try {
    const stat = statSync(path, { bigint: true });
    return `${stat.dev}:${stat.ino}`;
  } catch {
    return null;
  }
}

/** Names the holder, and says in the file itself that these files are live, not leftovers. */
function writePidFile(pidFile: string, role: string, holder: string): void {
  try {
    writeFileSync(
      pidFile,
      `${process.pid}\n` +
        `# columnwire ${holder} (pid ${process.pid}) holds ${role}.lock in this folder while it runs.\n` +
        `# Do not delete ${role}.lock, ${role}.lock-journal or this file; they go away when it stops.\n` +
        `# See README, "One service per data folder".\n`,
    );
  } catch {
    // The pid file only improves the message another process prints; the lock holds without it.
  }
}

/** The command the holder's pid file names ("columnwire migrate (pid …) holds …"), else `role`. */
function holderName(pidFile: string, role: string): string {
  try {
    return /^# columnwire ([a-z-]+) \(pid/m.exec(readFileSync(pidFile, 'utf8'))?.[1] ?? role;
  } catch {
    return role;
  }
}

/** The pid the holder wrote, or "unknown" in the instant between its lock and its write. */
function holderPid(pidFile: string): string {
  try {
    const pid = readFileSync(pidFile, 'utf8').split('\n')[0]!.trim();
    return /^\d+$/.test(pid) ? pid : 'unknown';
  } catch {
    return 'unknown';
  }
}
