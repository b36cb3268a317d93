/**
 * Watches the config file for edits. The folder is watched, not the file: editors and
 * `columnwire feeds add` replace the file by rename, and Kubernetes swaps a symlink, both of
 * which leave a watch on the old file's inode blind. Events are coalesced, and only a change
 * of the file's content is reported.
 */
import { createHash } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface ConfigWatcher {
  close(): void;
}

/** Calls `onChange` after the file at `path` changed content (debounced by `settleMs`). */
export function watchConfig(path: string, onChange: () => void, onError: (error: Error) => void, settleMs = 200): ConfigWatcher {
  let timer: NodeJS.Timeout | null = null;
  let lastHash: string | null = null;
  const hashNow = async () =>
    createHash('sha256')
      .update(await readFile(path).catch(() => Buffer.alloc(0)))
      .digest('hex');
  void hashNow().then((hash) => {
    lastHash ??= hash;
  });
  const check = async () => {
    const hash = await hashNow();
    if (hash === lastHash) return;
    lastHash = hash;
    onChange();
  };
  let watcher: FSWatcher;
  try {
    watcher = watch(dirname(path), { persistent: false }, () => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => void check().catch(onError), settleMs);
    });
  } catch (cause) {
    onError(
      new Error(`config: cannot watch ${dirname(path)} for changes (${(cause as NodeJS.ErrnoException).code}); send SIGHUP to reload`, {
        cause,
      }),
    );
    return { close: () => {} };
  }
  watcher.on('error', onError);
  return {
    close() {
      if (timer) clearTimeout(timer);
      watcher.close();
    },
  };
}
