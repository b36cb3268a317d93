/**
 * Subscribers kept as data, through the real CLI: add, import (CSV as people write it), list,
 * export, remove; then a digest run mails them, each with the name from the CSV in its To header.
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { column, DIGEST_NOW, startDigestApp } from '../helpers/digest-app.ts';
import { CLI, runCli, runShell } from '../helpers/run-cli.ts';
import { smtpServerForTest } from '../helpers/smtp-server.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const root = makeTempDir();
const DIGESTS = '  - id: daily\n    to: ["Config Reader <config@example.org>"]\n  - id: weekly\n';

async function setUp() {
  const digestApp = await startDigestApp({ root, digests: DIGESTS });
  const cli = (...args: string[]) => runCli(['--config', digestApp.configPath, '--data', digestApp.dataDir, 'subscribers', ...args]);
  return { digestApp, cli, dir: join(digestApp.dataDir, '..') };
}

const CSV = [
  'Email,Name',
  'ann@example.org,Ann Archer',
  '"Bob@Example.org","Builder, Bob"',
  'not an address,Nobody',
  'cy@example.org,"Cy ""The Pen"" Young"',
  '',
  'ann@example.org,Ann again',
  '"Dee <dee@example.org>",',
  '"eve@example.org","unterminated',
].join('\r\n');

describe('columnwire subscribers add|import|list|export|remove', () => {
  it('imports a CSV, listing the lines it left out with their numbers, and exits 1 for them', async () => {
    const { cli, dir } = await setUp();
    const file = join(dir, 'list.csv');
    writeFileSync(file, CSV);
    const result = await cli('import', file, '--digest', 'daily');
    expect(result.code).toBe(1);
    expect(result.stdout).toBe(`imported ${file} into daily: 4 added, 0 renamed, 0 unchanged; 3 lines left out (listed above)\n`);
    expect(result.stderr.split('\n').filter(Boolean)).toEqual([
      `${file}:4: not an email address: "not an address"`,
      `${file}:7: ann@example.org is already on line 2`,
      `${file}:9: a quoted field is never closed`,
    ]);
    // Again: nothing new, nothing lost.
    expect((await cli('import', file, '--digest', 'daily')).stdout).toMatch(/: 0 added, 0 renamed, 4 unchanged; 3 lines left out/);
    const listed = JSON.parse((await cli('list', '--json', '--digest', 'daily')).stdout) as Array<{
      address: string;
      source: string;
      name: string | null;
    }>;
    expect(listed.map((row) => [row.address, row.source, row.name])).toEqual([
      ['config@example.org', 'config', 'Config Reader'],
      ['ann@example.org', 'subscriber', 'Ann Archer'],
      ['bob@example.org', 'subscriber', 'Builder, Bob'],
      ['cy@example.org', 'subscriber', 'Cy "The Pen" Young'],
      ['dee@example.org', 'subscriber', 'Dee'],
    ]);
  });

  it('exports CSV that imports back unchanged, without those who unsubscribed', async () => {
    const { digestApp, cli, dir } = await setUp();
    const file = join(dir, 'list.csv');
    writeFileSync(file, CSV);
    await cli('import', file, '--digest', 'daily');
    await digestApp.app.store.unsubscribe('cy@example.org', 'daily', DIGEST_NOW);
    const exported = await cli('export', '--digest', 'daily');
    expect(exported).toMatchObject({ code: 0, stderr: '' });
    expect(exported.stdout).toBe('email,name\r\nann@example.org,Ann Archer\r\nbob@example.org,"Builder, Bob"\r\ndee@example.org,Dee\r\n');
    const out = join(dir, 'out.csv');
    expect((await cli('export', '--digest', 'daily', '--output', out)).code).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(exported.stdout);
    // A pipe named as the file (/dev/stdout, a shell pipe's) is written into, not replaced by a file.
    const args = [CLI, '--config', digestApp.configPath, '--data', digestApp.dataDir, 'subscribers', 'export', '--digest', 'daily'];
    const piped = await runShell(`'${process.execPath}' ${args.map((arg) => `'${arg}'`).join(' ')} --output /dev/stdout | cat`);
    expect(piped).toEqual({ code: 0, stdout: exported.stdout, stderr: '' });
    expect((await cli('import', out, '--digest', 'weekly')).stdout).toMatch(/into weekly: 3 added, 0 renamed, 0 unchanged\n$/);
  });

  it('imports from stdin given as "-", naming it stdin', async () => {
    const { digestApp } = await setUp();
    const args = ['--config', digestApp.configPath, '--data', digestApp.dataDir, 'subscribers', 'import', '-', '--digest', 'daily'];
    expect(await runCli(args, { input: 'email,name\r\nann@example.org,Ann\r\nnot an address,x\r\n' })).toEqual({
      code: 1,
      stdout: 'imported stdin into daily: 1 added, 0 renamed, 0 unchanged; 1 line left out (listed above)\n',
      stderr: 'stdin:3: not an email address: "not an address"\n',
    });
  });

  it('stops between two batches on Ctrl-C, saying which lines are in', async () => {
    const { digestApp } = await setUp();
    const args = ['--config', digestApp.configPath, '--data', digestApp.dataDir, 'subscribers', 'import', '-', '--digest', 'weekly'];
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, LOG_LEVEL: 'warn' } });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
    const shown = (text: string) =>
      new Promise<void>((resolve) => {
        const check = () => {
          if (!stderr.includes(text)) return;
          child.stderr.off('data', check);
          resolve();
        };
        child.stderr.on('data', check);
        check();
      });
    const lines = (from: number, to: number) =>
      Array.from({ length: to - from }, (_, index) => `r${from + index}@example.org,R\n`).join('');
    // The first batch (5,000) is written before the bad line after it is reported.
    child.stdin.write(`${lines(0, 5_000)}bad line\n`);
    await shown('stdin:5001: not an email address');
    child.kill('SIGINT');
    await shown('SIGINT received');
    child.stdin.end(lines(5_000, 12_000));
    expect(await closed).toBe(1);
    expect(stderr).toContain(
      'subscribers import: stopped at stdin:5002 as asked: the lines before it are imported (5000 subscribers), this line and the rest are not. Run the same import again to finish it',
    );
    expect((await digestApp.app.store.countSubscribers()).get('weekly')).toBe(5_000);
  });

  it('keeps a known name when an add or an import gives none, and clears it with --name ""', async () => {
    const { cli, digestApp, dir } = await setUp();
    await cli('add', 'Ann Archer <ann@example.org>', '--digest', 'daily');
    const named = async () =>
      (await digestApp.app.store.listSubscribers('daily', { limit: 10 })).map(({ address, name }) => [address, name]);
    expect((await cli('add', 'ann@example.org', '--digest', 'daily')).stdout).toBe('ann@example.org: already subscribed to daily\n');
    // A list of addresses alone (from another tool): new ones added, known names kept.
    const file = join(dir, 'addresses.csv');
    writeFileSync(file, 'email\nann@example.org\nbea@example.org\n');
    expect((await cli('import', file, '--digest', 'daily')).code).toBe(0);
    expect(await named()).toEqual([
      ['ann@example.org', 'Ann Archer'],
      ['bea@example.org', null],
    ]);
    expect((await cli('add', 'ann@example.org', '--name', '', '--digest', 'daily')).stdout).toBe('ann@example.org: renamed to daily\n');
    expect((await named())[0]).toEqual(['ann@example.org', null]);
  });

  it('adds one address (a second add renames it), removes it from one digest or all', async () => {
    const { cli } = await setUp();
    expect((await cli('add', 'Jo <JO@example.org>', '--digest', 'daily')).stdout).toBe('jo@example.org: subscribed to daily\n');
    expect((await cli('add', 'jo@example.org', '--name', 'Joanna', '--digest', 'daily')).stdout).toBe('jo@example.org: renamed to daily\n');
    expect((await cli('add', 'jo@example.org', '--name', 'Joanna', '--digest', 'weekly')).stdout).toBe(
      'jo@example.org: subscribed to weekly\n',
    );
    expect((await cli('remove', 'jo@example.org', '--digest', 'daily')).stdout).toBe('jo@example.org: removed from daily\n');
    expect((await cli('remove', 'jo@example.org')).stdout).toBe('jo@example.org: removed from 1 digest\n');
    expect(await cli('remove', 'jo@example.org')).toMatchObject({ code: 1, stdout: 'jo@example.org: not a subscriber\n' });
    const listed = await cli('remove', 'config@example.org');
    expect(listed.stdout).toMatch(/still on the to: list of daily in .*feeds.yaml; remove it there/);
  });

  it("mails the run to the to: list and the subscribers, each once, with the subscriber's name, none who unsubscribed", async () => {
    const { digestApp, cli, dir } = await setUp();
    const file = join(dir, 'list.csv');
    writeFileSync(file, 'ann@example.org,Ann Archer\nconfig@example.org,Other Name\ngone@example.org,Gone\n');
    expect((await cli('import', file, '--digest', 'daily')).code).toBe(0);
    await digestApp.app.store.unsubscribe('gone@example.org', null, DIGEST_NOW);
    await digestApp.save('jane', [column('j1', DIGEST_NOW, 1)]);
    const smtp = await smtpServerForTest();
    await digestApp.run('daily', smtp.url);
    expect(smtp.messages.map((message) => message.rcptTo.join()).sort()).toEqual(['ann@example.org', 'config@example.org']);
    const to = (address: string) => smtp.messagesTo(address)[0]!.parsed.to;
    expect(JSON.stringify(to('ann@example.org'))).toContain('Ann Archer');
    expect(JSON.stringify(to('config@example.org'))).toContain('Config Reader');
  });
});
