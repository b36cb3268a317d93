/**
 * Watches the config file for edits. Folders are watched, not the file: editors and
 * `columnwire feeds add` replace the file by rename, and Kubernetes swaps a symlink, both of
 * which leave a watch on the old file's inode blind. When the config is a symlink, the folder of
 * every link on the way and of the file it leads to are watched (a dotfiles repo, /etc linked to
 * /srv), followed again after each change. Events are coalesced, and only a change of the
 * file's content is reported.
 */
import { createHash } from 'node:crypto';
import { readFileSync, readlinkSync, realpathSync, statSync, watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

export interface ConfigWatcher {
  close(): void;
}

/** Calls `onChange` after the file at `path` changed content (debounced by `settleMs`). */
export function watchConfig(path: string, onChange: () => void, onError: (error: Error) => void, settleMs = 200): ConfigWatcher {
  let timer: NodeJS.Timeout | null = null;
  const hashOf = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
  // Taken now, so an edit made right after the config was loaded is not mistaken for the baseline.
  let lastHash = hashOf(readOrEmpty(path));
  const check = async () => {
    follow();
    const hash = hashOf(await readFile(path).catch(() => Buffer.alloc(0)));
    if (hash === lastHash) return;
    lastHash = hash;
    onChange();
  };
  const onEvent = () => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => void check().catch(onError), settleMs);
  };
  let own: FSWatcher;
  try {
    own = watch(dirname(path), { persistent: false }, onEvent);
  } catch (cause) {
    onError(
      new Error(`config: cannot watch ${dirname(path)} for changes (${(cause as NodeJS.ErrnoException).code}); send SIGHUP to reload`, {
        cause,
      }),
    );
    return { close: () => {} };
  }
  own.on('error', onError);
  // The folders the symlinks lead through: a folder that goes (an old ConfigMap version) is dropped quietly.
  const linked = new Map<string, FSWatcher>();
  const follow = () => {
    const wanted = new Set(linkFolders(path).filter((folder) => folder !== dirname(path)));
    for (const [folder, watcher] of linked) {
      if (wanted.has(folder)) continue;
      watcher.close();
      linked.delete(folder);
    }
    for (const folder of wanted) {
      if (linked.has(folder)) continue;
      try {
        const watcher = watch(folder, { persistent: false }, onEvent);
        watcher.on('error', () => {
          watcher.close();
          linked.delete(folder);
        });
        linked.set(folder, watcher);
      } catch {
        // Gone already, or not a folder: the next event follows the links again.
      }
    }
  };
  follow();
  return {
    close() {
      if (timer) clearTimeout(timer);
      own.close();
      for (const watcher of linked.values()) watcher.close();
      linked.clear();
    },
  };
}

/** How far a file's modification time may lag the clock: the kernel stamps files from a coarse clock. */
const FILE_CLOCK_SLACK_MS = 1_000;

/**
 * Whether the file at `path` may have changed since `sinceMs` (true when it cannot be read):
 * what a service checks once its watch is on, for an edit made while it was starting, without
 * reading and parsing a config that has not changed.
 */
export function editedSince(path: string, sinceMs: number): boolean {
  try {
    return statSync(path).mtimeMs >= sinceMs - FILE_CLOCK_SLACK_MS;
  } catch {
    return true;
  }
}

function readOrEmpty(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch {
    return Buffer.alloc(0);
  }
}

/**
 * The folder of each symlink from `path` to the file it leads to (at most 40, as Linux follows),
 * and that file's real folder: a linked folder on the way (Kubernetes' `..data`) is resolved too.
 */
function linkFolders(path: string): string[] {
  const folders: string[] = [];
  try {
    folders.push(dirname(realpathSync(path)));
  } catch {
    // A dangling link: its own folders below are still watched, for the file to appear.
  }
  let current = resolve(path);
  for (let hop = 0; hop < 40; hop++) {
    let target: string;
    try {
      target = readlinkSync(current);
    } catch {
      break; // not a link (the file itself), or missing
    }
    current = resolve(dirname(current), target);
    folders.push(dirname(current));
  }
  return folders;
}
