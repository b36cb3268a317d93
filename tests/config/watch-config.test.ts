import { mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { watchConfig } from '../../src/config/watch-config.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

/** Watches `path`; `next()` resolves at the next change reported (each change once). */
function watchForTest(path: string) {
  const changes: Array<() => void> = [];
  let pending = 0;
  const errors: Error[] = [];
  const watcher = watchConfig(
    path,
    () => {
      const waiter = changes.shift();
      if (waiter) waiter();
      else pending++;
    },
    (error) => errors.push(error),
    20,
  );
  return {
    errors,
    next: () =>
      new Promise<void>((resolve) => {
        if (pending > 0) {
          pending--;
          resolve();
        } else changes.push(resolve);
      }),
    close: () => watcher.close(),
  };
}

/** Writes the way editors do: a temp file renamed over the old one. */
function replaceFile(path: string, text: string): void {
  writeFileSync(`${path}.tmp`, text);
  renameSync(`${path}.tmp`, path);
}

describe('watchConfig', () => {
  it('reports an edit made by renaming a new file over the config', async () => {
    const dir = makeTempDir();
    const path = join(dir, 'feeds.yaml');
    writeFileSync(path, 'title: one\n');
    const watch = watchForTest(path);
    replaceFile(path, 'title: two\n');
    await watch.next();
    watch.close();
    expect(watch.errors).toEqual([]);
  });

  it('reports edits of the file a symlink in another folder points to (a dotfiles repo, /etc linked to /srv)', async () => {
    const dir = makeTempDir();
    mkdirSync(join(dir, 'etc'));
    mkdirSync(join(dir, 'repo'));
    writeFileSync(join(dir, 'repo', 'feeds.yaml'), 'title: one\n');
    symlinkSync('../repo/feeds.yaml', join(dir, 'etc', 'feeds.yaml'));
    const watch = watchForTest(join(dir, 'etc', 'feeds.yaml'));
    // Saved by an editor in the target's folder, where the link's folder sees nothing.
    replaceFile(join(dir, 'repo', 'feeds.yaml'), 'title: two\n');
    await watch.next();
    writeFileSync(join(dir, 'repo', 'feeds.yaml'), 'title: three\n');
    await watch.next();
    watch.close();
    expect(watch.errors).toEqual([]);
  });

  it('follows a Kubernetes ConfigMap update (the ..data link swapped to a new folder), then edits in the new folder', async () => {
    const dir = makeTempDir();
    const mount = join(dir, 'config');
    mkdirSync(join(mount, '..v1'), { recursive: true });
    writeFileSync(join(mount, '..v1', 'feeds.yaml'), 'title: one\n');
    symlinkSync('..v1', join(mount, '..data'));
    symlinkSync('..data/feeds.yaml', join(mount, 'feeds.yaml'));
    const watch = watchForTest(join(mount, 'feeds.yaml'));
    // What the kubelet does: a new folder, a new link renamed over ..data, the old folder removed.
    mkdirSync(join(mount, '..v2'));
    writeFileSync(join(mount, '..v2', 'feeds.yaml'), 'title: two\n');
    symlinkSync('..v2', join(mount, '..data_tmp'));
    renameSync(join(mount, '..data_tmp'), join(mount, '..data'));
    rmSync(join(mount, '..v1'), { recursive: true });
    await watch.next();
    replaceFile(join(mount, '..v2', 'feeds.yaml'), 'title: three\n');
    await watch.next();
    watch.close();
    expect(watch.errors).toEqual([]);
  });
});
