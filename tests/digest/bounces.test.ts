/**
 * Issue 13: an address whose mail is refused permanently (SMTP 550 "user unknown") is marked
 * bouncing after mail.bounceThreshold refusals in a row and gets nothing more, whichever list
 * it is on; `subscribers list --bouncing` shows it, `clear-bounce` sends to it again; a
 * delivered copy resets the count. `--pending` lists the signups waiting for confirmation.
 */
import { describe, expect, it } from 'vitest';
import { column, startDigestApp } from '../helpers/digest-app.ts';
import { runCli } from '../helpers/run-cli.ts';
import { smtpServerForTest } from '../helpers/smtp-server.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const root = makeTempDir();

describe('bouncing addresses', () => {
  it('stop getting digests after three permanent refusals, are listed, and get them again once cleared', async () => {
    const digestApp = await startDigestApp({
      root,
      digests: `  - id: daily
    to: [gone@example.org, fine@example.org]
    maxAgeHours: 8760
`,
    });
    let gone = true;
    const smtp = await smtpServerForTest({
      rejectRecipient: (address) => (gone && address === 'gone@example.org' ? { code: 550, message: '5.1.1 User unknown' } : null),
    });
    const cli = (...args: string[]) => runCli(['--config', digestApp.configPath, '--data', digestApp.dataDir, ...args]);
    const runDay = async (day: number) => {
      digestApp.advance(24 * 3600_000);
      await digestApp.save('jane', [column(`d${day}`, digestApp.clock.now, 1)]);
      return digestApp.run('daily', smtp.url);
    };
    for (let day = 1; day <= 3; day++) await runDay(day);
    expect(smtp.rcptAttempts.get('gone@example.org')).toBe(3);
    const listed = await cli('subscribers', 'list', '--bouncing', '--json');
    expect(listed.code).toBe(0);
    const bounces = JSON.parse(listed.stdout) as Array<{ address: string; failures: string; bouncing: string | null; error: string }>;
    expect(bounces).toMatchObject([{ address: 'gone@example.org', failures: '3', error: expect.stringMatching(/User unknown/) }]);
    expect(bounces[0]!.bouncing).not.toBeNull();
    // Day four: not even tried.
    await runDay(4);
    expect(smtp.rcptAttempts.get('gone@example.org')).toBe(3);
    expect(smtp.messagesTo('fine@example.org')).toHaveLength(4);
    // Fixed and cleared: sent again.
    gone = false;
    const cleared = await cli('subscribers', 'clear-bounce', 'Gone@Example.org');
    expect(cleared.stdout).toContain('gone@example.org: bounces cleared');
    await runDay(5);
    expect(smtp.messagesTo('gone@example.org')).toHaveLength(1);
    expect((await cli('subscribers', 'list', '--bouncing', '--csv')).stdout).toBe('address,failures,bouncing,last,error\n');
  }, 60_000);

  it('count refusals in a row only: a delivered copy starts the count again', async () => {
    const digestApp = await startDigestApp({ root, digests: `  - id: daily\n    to: flaky@example.org\n    maxAgeHours: 8760\n` });
    const refuse = [true, true, false, true, true];
    let run = 0;
    const smtp = await smtpServerForTest({ rejectRecipient: () => (refuse[run] ? { code: 550, message: 'mailbox unavailable' } : null) });
    for (; run < refuse.length; run++) {
      digestApp.advance(24 * 3600_000);
      await digestApp.save('jane', [column(`f${run}`, digestApp.clock.now, 1)]);
      await digestApp.run('daily', smtp.url);
    }
    const [bounce] = await digestApp.app.store.listBounces();
    expect(bounce).toMatchObject({ address: 'flaky@example.org', failures: 2, bouncingSince: null });
  }, 60_000);

  it('lists the signups waiting for confirmation with --pending', async () => {
    const digestApp = await startDigestApp({ root, digests: `  - id: daily\n    signup: true\n` });
    // An hour ago by the real clock the CLI reads: an expired signup is not listed.
    const requestedAt = new Date(Math.floor(Date.now() / 1000) * 1000 - 3600_000);
    await digestApp.app.store.saveSignup({
      digestId: 'daily',
      address: 'waiting@example.org',
      name: 'Wai Ting',
      choices: { columnists: [], outlets: [], tags: [] },
      requestedAt,
    });
    const listed = await runCli(['--config', digestApp.configPath, '--data', digestApp.dataDir, 'subscribers', 'list', '--pending']);
    expect(listed.code).toBe(0);
    const expires = new Date(requestedAt.getTime() + 48 * 3600_000);
    expect(listed.stdout).toMatch(
      new RegExp(`waiting@example\\.org\\s+daily\\s+Wai Ting\\s+${requestedAt.toISOString()}\\s+${expires.toISOString()}`),
    );
    const bad = await runCli([
      '--config',
      digestApp.configPath,
      '--data',
      digestApp.dataDir,
      'subscribers',
      'list',
      '--pending',
      '--bouncing',
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('choose one of --pending, --unsubscribed and --bouncing');
  }, 60_000);
});
