/** `columnwire subscribers`: who gets each digest, who unsubscribed (from which, or all) and when; run as a real child process. */
import { describe, expect, it } from 'vitest';
import { DIGEST_NOW, startDigestApp } from '../helpers/digest-app.ts';
import { runCli } from '../helpers/run-cli.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const root = makeTempDir();
const HOUR = 3600_000;
const DIGESTS =
  '  - id: daily\n    to: [Reader@Example.org, other@example.org, all@example.org]\n  - id: weekly\n    to: [reader@example.org, all@example.org]\n';

/** Two digests; reader left daily, all@ left every digest an hour later. */
async function withUnsubscribes() {
  const digestApp = await startDigestApp({ root, digests: DIGESTS });
  await digestApp.app.store.unsubscribe('reader@example.org', 'daily', DIGEST_NOW);
  await digestApp.app.store.unsubscribe('all@example.org', null, new Date(DIGEST_NOW.getTime() + HOUR));
  const cli = (...args: string[]) => runCli(['--config', digestApp.configPath, '--data', digestApp.dataDir, 'subscribers', ...args]);
  return { digestApp, cli };
}

describe('columnwire subscribers', () => {
  it('lists every recipient of every digest with state, since when and from where', async () => {
    const { cli } = await withUnsubscribes();
    const result = await cli();
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout.split('\n').map((line) => line.split(/\s{2,}/).join(' | '))).toEqual([
      'ADDRESS | DIGEST | FROM | STATE | SINCE | BY',
      'all@example.org | daily | config | unsubscribed | 2026-07-01T13:00:00.000Z | all digests',
      'other@example.org | daily | config | subscribed | -',
      'reader@example.org | daily | config | unsubscribed | 2026-07-01T12:00:00.000Z | this digest',
      'all@example.org | weekly | config | unsubscribed | 2026-07-01T13:00:00.000Z | all digests',
      'reader@example.org | weekly | config | subscribed | -',
      '',
    ]);
    expect((await cli('list')).stdout).toBe(result.stdout);
  });

  it('prints JSON for one digest with list --json --digest ID', async () => {
    const { cli } = await withUnsubscribes();
    const result = await cli('list', '--json', '--digest', 'weekly');
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(result.stdout)).toEqual([
      {
        address: 'all@example.org',
        digest: 'weekly',
        source: 'config',
        name: null,
        state: 'unsubscribed',
        since: '2026-07-01T13:00:00.000Z',
        scope: 'all',
      },
      { address: 'reader@example.org', digest: 'weekly', source: 'config', name: null, state: 'subscribed', since: null, scope: null },
    ]);
  });

  it('shows a resubscribe: subscribed since then, and digest --resubscribe --id touches that digest only', async () => {
    const { digestApp, cli } = await withUnsubscribes();
    const undone = await runCli([
      '--config',
      digestApp.configPath,
      '--data',
      digestApp.dataDir,
      'digest',
      '--resubscribe',
      'all@example.org',
      '--id',
      'weekly',
    ]);
    expect(undone).toMatchObject({ code: 0, stdout: 'all@example.org will get the "weekly" digest again\n' });
    const rows = JSON.parse((await cli('--json')).stdout) as Array<{
      address: string;
      digest: string;
      state: string;
      since: string | null;
      scope: string | null;
    }>;
    const all = rows.filter((row) => row.address === 'all@example.org');
    expect(all.map((row) => [row.digest, row.state, row.scope])).toEqual([
      ['daily', 'unsubscribed', 'all'],
      ['weekly', 'subscribed', 'digest'],
    ]);
    expect(Date.parse(all[1]!.since!)).toBeGreaterThan(DIGEST_NOW.getTime());
  });

  it.each([
    [['--digest', 'nope'], /subscribers: no digest with id "nope"; digests: daily, weekly/],
    [['frobnicate'], /subscribers: unknown subcommand "frobnicate"; use list, add, remove, import, export, clear-bounce/],
    [['remove'], /subscribers remove: give one address/],
    [['add', 'not-an-address', '--digest', 'daily'], /subscribers add: not an email address: "not-an-address"/],
    [['add', 'x@example.org'], /subscribers add: .* has 2 digests; say which with --digest ID \(daily, weekly\)/],
    [['import', '/nonexistent.csv', '--digest', 'daily'], /subscribers import: cannot read \/nonexistent.csv/],
    [['--bogus'], /subscribers: Unknown option '--bogus'/],
    [['list', 'extra'], /subscribers: unexpected argument "extra"/],
  ])('exits 2 with a usage message for %j', async (args, message) => {
    const { cli } = await withUnsubscribes();
    const result = await cli(...args);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stdout).toBe('');
  });

  it('is listed in the help, and has its own', async () => {
    expect((await runCli(['--help'])).stdout).toMatch(/^ {2}subscribers +list who gets each digest, who unsubscribed and when$/m);
    const help = await runCli(['subscribers', '--help']);
    expect(help).toMatchObject({ code: 0 });
    expect(help.stdout).toMatch(
      /^Usage: columnwire subscribers \[list\] \[--digest ID\] \[--pending\|--unsubscribed\|--bouncing\] \[--json\|--csv\]/,
    );
  });
});
