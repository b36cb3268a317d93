/** A --data folder columnwire cannot use fails at once, naming the path and the reason: exit 1. */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, runCli } from '../helpers/run-cli.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const root = makeTempDir();
// Readable by the unprivileged user the permission cases run as (below).
chmodSync(root, 0o755);
const config = join(root, 'feeds.yaml');
writeFileSync(config, 'feeds:\n  - url: https://columns.example.com/feed.xml\n    id: jane\n', { mode: 0o644 });

// Root ignores folder permissions, so those cases run as an unprivileged user when the suite is root.
const asRoot = process.getuid?.() === 0;
const unprivileged = asRoot ? { uid: 65534, gid: 65534 } : {};
const FIX = /choose a writable folder with --data DIR/;

describe('a data folder columnwire cannot use', () => {
  it('under /proc: poll exits 1 in seconds, naming the folder (no endless mkdir loop)', () => {
    const started = Date.now();
    // SIGKILL after 20 s: the old loop spun in C++, deaf to SIGTERM, and would outlive the suite.
    const result = spawnSync(process.execPath, [CLI, '--config', config, '--data', '/proc/columnwire-data', 'poll'], {
      encoding: 'utf8',
      timeout: 20_000,
      killSignal: 'SIGKILL',
    });
    const elapsedMs = Date.now() - started;
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(
      /^columnwire: storage: cannot use the data folder \/proc\/columnwire-data: it cannot be made: \/proc does not accept new folders \(ENOENT\)/,
    );
    expect(result.stderr).toMatch(FIX);
    // About 3 s on a loaded 2-core machine, nearly all of it Node and tsx starting; it used to spin forever.
    expect(elapsedMs).toBeLessThan(15_000);
  }, 30_000);

  it('under /proc: run exits 1 in seconds too (its data-folder lock comes first)', () => {
    const result = spawnSync(process.execPath, [CLI, '--config', config, '--data', '/proc/columnwire-data', 'run'], {
      encoding: 'utf8',
      timeout: 20_000,
      killSignal: 'SIGKILL',
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('/proc/columnwire-data cannot be made: /proc does not accept new folders (ENOENT)');
  }, 30_000);

  it('is a file: says so', async () => {
    const file = join(root, 'data-file');
    writeFileSync(file, 'not a folder');
    const result = await runCli(['--config', config, '--data', file, 'feeds']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`storage: cannot use the data folder ${file}: it is a file, not a folder`);
  });

  it('lies under a file: names the file', async () => {
    const file = join(root, 'parent-file');
    writeFileSync(file, 'not a folder');
    const result = await runCli(['--config', config, '--data', join(file, 'data'), 'feeds']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${file} is a file, not a folder`);
  });

  it('lies under a dangling symbolic link: names the link', async () => {
    const link = join(root, 'dangling');
    symlinkSync(join(root, 'nowhere', 'at-all'), link);
    const result = await runCli(['--config', config, '--data', join(link, 'data'), 'poll']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${link} is a symbolic link to nothing`);
  });

  it('is read-only: says it is not writable by this user, and creates nothing', async () => {
    const folder = join(root, 'read-only');
    mkdirSync(folder, { mode: 0o555 });
    chmodSync(folder, 0o555);
    const result = await runCli(['--config', config, '--data', folder, 'feeds'], unprivileged);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^columnwire: storage: cannot use the data folder .*read-only: it is not writable by this user \(EACCES\); fix its permissions/,
    );
    expect(result.stderr).not.toContain('unable to open database file');
    expect(existsSync(join(folder, 'columnwire.db'))).toBe(false);
  });

  it('cannot be created in a read-only parent: names the parent', async () => {
    const parent = join(root, 'read-only-parent');
    mkdirSync(parent, { mode: 0o555 });
    chmodSync(parent, 0o555);
    const result = await runCli(['--config', config, '--data', join(parent, 'data'), 'feeds'], unprivileged);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`it cannot be made: ${parent} is not writable by this user (EACCES)`);
  });

  it('holds a database another user owns: names the file', async () => {
    const folder = join(root, 'shared');
    mkdirSync(folder);
    expect((await runCli(['--config', config, '--data', folder, 'feeds'])).code).toBe(0);
    chmodSync(folder, 0o777);
    chmodSync(join(folder, 'columnwire.db'), 0o444);
    const result = await runCli(['--config', config, '--data', folder, 'feeds'], unprivileged);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${join(folder, 'columnwire.db')} is not writable by this user (EACCES)`);
  });
});
