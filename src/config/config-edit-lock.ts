/**
 * Edits of one feeds.yaml by columnwire commands, one at a time. Each edit plans against the
 * file as it is and checks it is unchanged before its rename (update-config-file.ts), which
 * keeps a hand edit safe; but two commands at once (a script running `feeds add` in parallel)
 * would mostly fail each other's check, and could, in the instant between one's check and its
 * rename, lose the other's edit. A kernel lock serializes them: released when its holder
 * exits, even by SIGKILL, so it is never stale. It lives in the temp folder, named after the
 * file's real path, not beside the file (a config folder may be read-only, or watched).
 */
import { createHash } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { waitFileLock } from '../storage/sqlite/database.ts';

/** How long an edit waits for another one (an OPML import of 20,000 feeds takes about 20 s). */
const WAIT_MS = 60_000;

/** Runs `edit` while no other columnwire command edits the file at `path`. */
export function withConfigEditLock<T>(path: string, edit: () => T, waitMs = WAIT_MS): T {
  const lockPath = join(tmpdir(), `columnwire-config-${createHash('sha256').update(realPath(path)).digest('hex').slice(0, 16)}.lock`);
  let lock;
  try {
    lock = waitFileLock(lockPath, waitMs);
  } catch {
    // A lock file another user owns, or no writable temp folder: the unchanged-file check still guards the edit.
    return edit();
  }
  if (lock === null) {
    throw new Error(
      `config: another columnwire command has been editing ${path} for ${Math.round(waitMs / 1000)} s; nothing was written, try again once it is done`,
    );
  }
  try {
    return edit();
  } finally {
    lock.release();
  }
}

function realPath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}
