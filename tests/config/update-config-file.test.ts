import {
  chmodSync,
  chownSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, MAX_CONFIG_BYTES } from '../../src/config/load.ts';
import { ConfigEditRefused, updateConfigFile } from '../../src/config/update-config-file.ts';
import { writeFileAtomic } from '../../src/write-file-atomic.ts';
import { runCli } from '../helpers/run-cli.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const root = makeTempDir();

const CONFIG = `title: Columns  # mine

feeds:
  - url: https://times.example.com/jane/rss
    id: jane
    tags: [politics]

  - url: https://guardian.example.com/bob/rss
    id: bob
    tags: [economics]

digests:
  - id: politics
    to: [reader@example.com]
    tags: [politics]
`;

/** A folder with feeds.yaml holding `text`. */
function configFile(text = CONFIG): { dir: string; path: string } {
  const dir = mkdtempSync(join(root, 'config-'));
  const path = join(dir, 'feeds.yaml');
  writeFileSync(path, text);
  return { dir, path };
}

const addAnn = () => ({ kind: 'add' as const, entries: [{ url: 'https://planet.example.com/ann/rss', id: 'ann' }] });

describe('updateConfigFile', () => {
  it('writes the edit and leaves no temp file behind', () => {
    const { dir, path } = configFile();
    const update = updateConfigFile(path, 'adding ann', addAnn);
    expect(update?.after.feeds.map((feed) => feed.id)).toEqual(['jane', 'bob', 'ann']);
    expect(readFileSync(path, 'utf8')).toBe(
      CONFIG.replace('\ndigests:', '\n  - url: https://planet.example.com/ann/rss\n    id: ann\n\ndigests:'),
    );
    expect(readdirSync(dir)).toEqual(['feeds.yaml']);
  });

  it('refuses to touch a config that is already invalid, listing its problems with their lines', () => {
    const broken = CONFIG.replace('id: bob', 'id: Bob Roe');
    const { path } = configFile(broken);
    let thrown: unknown;
    try {
      updateConfigFile(path, 'adding ann', addAnn);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as Error).message).toMatch(
      /has problems; fix them first \(nothing was written\):\n {2}.*feeds\.yaml:9: feeds\[1\]\.id must be a slug/,
    );
    expect(readFileSync(path, 'utf8')).toBe(broken);
  });

  it('refuses an edit whose result would not be a valid config, and writes nothing', () => {
    const { path } = configFile();
    // Without jane no feed has the tag the digest filters on.
    expect(() => updateConfigFile(path, 'removing feed "jane"', () => ({ kind: 'remove', index: 0 }))).toThrow(
      /removing feed "jane" would leave .*feeds\.yaml invalid, so nothing was written:\n {2}.*feeds\.yaml:\d+: digests\[0\]\.tags\[0\] no feed has the tag "politics"/,
    );
    expect(() => updateConfigFile(path, 'x', () => ({ kind: 'remove', index: 0 }))).toThrow(ConfigEditRefused);
    expect(readFileSync(path, 'utf8')).toBe(CONFIG);
  });

  it('plans again when the file is edited by hand while the edit is prepared, keeping both changes', () => {
    const { path } = configFile();
    let plans = 0;
    updateConfigFile(path, 'adding ann', () => {
      // A person saves the file between the CLI's read and its write.
      if (++plans === 1) writeFileSync(path, CONFIG.replace('title: Columns', 'title: Hand-edited'));
      return addAnn();
    });
    expect(plans).toBe(2);
    const text = readFileSync(path, 'utf8');
    expect(text).toContain('title: Hand-edited  # mine');
    expect(text).toContain('    id: ann\n');
  });

  it('refuses an edit that would take the file past the size a config may hold, which no command could then load', () => {
    // A file just under the limit (an OPML import of 40,000 feeds wrote 7.4 MiB, which run then refused to start with).
    const padding = `# ${'x'.repeat(98)}\n`.repeat(Math.floor((MAX_CONFIG_BYTES - CONFIG.length) / 101));
    const { path } = configFile(CONFIG + padding);
    expect(() => updateConfigFile(path, 'adding ann', addAnn)).toThrow(ConfigEditRefused);
    expect(() => updateConfigFile(path, 'adding ann', addAnn)).toThrow(
      /adding ann would take .*feeds\.yaml past 4 MiB, so nothing was written:\n {2}.*feeds\.yaml: the result would be \d+ bytes; a config holds at most 4194304/,
    );
    expect(readFileSync(path, 'utf8')).toBe(CONFIG + padding);
  });

  it('refuses to replace a read-only feeds.yaml (chmod a-w: managed elsewhere), though its folder would let it', () => {
    const { path } = configFile();
    chmodSync(path, 0o444);
    expect(() => updateConfigFile(path, 'adding ann', addAnn)).toThrow(ConfigEditRefused);
    expect(() => updateConfigFile(path, 'adding ann', addAnn)).toThrow(
      /adding ann: nothing was written:\n {2}.*feeds\.yaml is read-only for this user \(mode 0444, owner uid \d+\); make it writable \(chmod u\+w\), or run as its owner, to edit it with columnwire/,
    );
    expect(readFileSync(path, 'utf8')).toBe(CONFIG);
    expect(statSync(path).mode & 0o777).toBe(0o444);
  });

  it('does nothing when the plan says there is nothing to do', () => {
    const { path } = configFile();
    const before = statSync(path).mtimeMs;
    expect(updateConfigFile(path, 'nothing', () => null)).toBeNull();
    expect(statSync(path).mtimeMs).toBe(before);
  });

  it('says how to create a missing config', () => {
    expect(() => updateConfigFile(join(root, 'missing.yaml'), 'adding ann', addAnn)).toThrow(/missing\.yaml: not found; create it/);
  });
});

describe('writeFileAtomic', () => {
  it('keeps the mode of the file it replaces', () => {
    const { path } = configFile();
    chmodSync(path, 0o640);
    writeFileAtomic(path, 'title: New\n');
    expect(statSync(path).mode & 0o777).toBe(0o640);
    expect(readFileSync(path, 'utf8')).toBe('title: New\n');
  });

  it('writes through a symlink, which stays a symlink', () => {
    const { dir, path } = configFile();
    const link = join(dir, 'link.yaml');
    symlinkSync(path, link);
    writeFileAtomic(link, 'title: Via link\n');
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readFileSync(path, 'utf8')).toBe('title: Via link\n');
  });

  it('removes its temp file and keeps the old content when the rename fails', () => {
    const dir = mkdtempSync(join(root, 'rename-'));
    const target = join(dir, 'feeds.yaml');
    // A non-empty folder where the file should go: the rename is refused even for root.
    mkdirSync(target);
    writeFileSync(join(target, 'keep'), 'x');
    expect(() => writeFileAtomic(target, 'title: New\n')).toThrow(/write: cannot write .*feeds\.yaml: .*the file is unchanged/);
    expect(readdirSync(dir)).toEqual(['feeds.yaml']);
    expect(readdirSync(target)).toEqual(['keep']);
  });

  it('removes its temp file when the last-moment check aborts the write', () => {
    const { dir, path } = configFile();
    expect(() =>
      writeFileAtomic(path, 'title: New\n', {
        beforeRename: () => {
          throw new Error('changed');
        },
      }),
    ).toThrow('changed');
    expect(readdirSync(dir)).toEqual(['feeds.yaml']);
    expect(readFileSync(path, 'utf8')).toBe(CONFIG);
  });

  it('leaves the file intact and says why when its folder is read-only', async () => {
    const { dir, path } = configFile();
    chmodSync(root, 0o755);
    chmodSync(path, 0o644);
    chmodSync(dir, 0o555);
    try {
      // Root ignores folder permissions, so the edit runs as an unprivileged user when the suite is root.
      const asRoot = process.getuid?.() === 0;
      // The file is that user's own: only its folder stands in the way.
      if (asRoot) chownSync(path, 65534, 65534);
      const result = await runCli(
        ['--config', path, '--data', join(dir, 'data'), 'feeds', 'tag', 'jane', 'europe'],
        asRoot ? { uid: 65534, gid: 65534 } : {},
      );
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/is not writable \(EACCES\).*the file is unchanged/);
      expect(readFileSync(path, 'utf8')).toBe(CONFIG);
      expect(readdirSync(dir)).toEqual(['feeds.yaml']);
    } finally {
      chmodSync(dir, 0o755);
    }
  });
});
