import { execFileSync } from 'node:child_process';
import { existsSync, linkSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { serveBody, serveForTest } from '../helpers/feed-server.ts';
import { runCli } from '../helpers/run-cli.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const rss = `<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>
<item><title>A column worth keeping</title><link>https://t.example.com/1</link><guid>t-1</guid><pubDate>Fri, 20 Nov 2026 08:00:00 GMT</pubDate></item></channel></rss>`;

describe('columnwire backup', () => {
  it('writes a consistent copy with the stories, and will not overwrite a file unless --force', async () => {
    const dir = makeTempDir();
    const server = await serveForTest({ '/feed.xml': serveBody(rss) });
    const config = join(dir, 'feeds.yaml');
    writeFileSync(config, `poll:\n  allowPrivateAddresses: [127.0.0.1]\nfeeds:\n  - url: ${server.url('/feed.xml')}\n    id: t\n`);
    const cli = (...args: string[]) => runCli(['--config', config, '--data', join(dir, 'data'), ...args]);
    expect((await cli('poll')).code).toBe(0);

    const target = join(dir, 'backups', 'copy.db');
    const first = await cli('backup', target);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^backed up .*columnwire\.db to .*copy\.db \(\d+ KiB\)/);
    const copy = new BetterSqlite3(target, { readonly: true });
    expect(copy.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(copy.prepare('SELECT title FROM stories').all()).toEqual([{ title: 'A column worth keeping' }]);
    copy.close();

    const again = await cli('backup', target);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('exists; pass --force to overwrite it');
    expect((await cli('backup', target, '--force')).code).toBe(0);
    expect((await cli('backup')).code).toBe(2);
    expect(existsSync(target)).toBe(true);
  });

  it('refuses a destination that is no regular file (a device, a pipe), leaving nothing beside it', async () => {
    const dir = makeTempDir();
    writeFileSync(join(dir, 'feeds.yaml'), 'feeds:\n  - url: https://t.example.com/feed.xml\n    id: t\n');
    const fifo = join(dir, 'out.fifo');
    execFileSync('mkfifo', [fifo]);
    const result = await runCli(['--config', join(dir, 'feeds.yaml'), '--data', join(dir, 'data'), 'backup', fifo, '--force']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`backup: ${fifo} is not a regular file (a device or a pipe); give the path of a file to write`);
    expect(readdirSync(dir).sort()).toEqual(['feeds.yaml', 'out.fifo']);
  });

  it('refuses the database itself under any name (a link to it, a path through a link), with or without --force', async () => {
    const dir = makeTempDir();
    const data = join(dir, 'data');
    writeFileSync(join(dir, 'feeds.yaml'), 'feeds:\n  - url: https://t.example.com/feed.xml\n    id: t\n');
    const cli = (...args: string[]) => runCli(['--config', join(dir, 'feeds.yaml'), '--data', data, ...args]);
    expect((await cli('stats')).code).toBe(0); // makes the database
    symlinkSync(join(data, 'columnwire.db'), join(dir, 'link.db'));
    linkSync(join(data, 'columnwire.db'), join(dir, 'hard.db'));
    symlinkSync(data, join(dir, 'data-link'));
    for (const name of ['link.db', 'hard.db', join('data-link', 'columnwire.db')]) {
      const result = await cli('backup', join(dir, name), '--force');
      expect(result.code, name).toBe(2);
      expect(result.stderr).toContain('backup: the destination is the database itself; choose another file');
    }
  });
});
