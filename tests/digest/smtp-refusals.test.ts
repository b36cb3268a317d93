/**
 * Which SMTP refusals make an address bounce: only a refused RCPT TO that proves the mailbox
 * gone (an enhanced status such as 5.1.1, or "user unknown" from a server without enhanced
 * codes). A refused sender (MAIL FROM: a wrong mail.from, the relay's sender or SPF policy)
 * refuses every copy alike: it is one configuration problem, logged once per run, and the
 * copies wait for the relay to take them. A full mailbox and a policy or relay refusal (5.7.x)
 * fail the copy without counting. The same on SQLite and PostgreSQL.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isMailboxDiagnostic, isMailboxRefusal } from '../../src/digest/mailbox-refusal.ts';
import type { DigestResult } from '../../src/digest/run-digest.ts';
import { column, startDigestApp, type DigestApp } from '../helpers/digest-app.ts';
import { runLoggedDigest } from '../helpers/logged-digest.ts';
import { runCli } from '../helpers/run-cli.ts';
import { smtpServerForTest, type Refusal } from '../helpers/smtp-server.ts';
import { postgresBackend, schemaUrl } from '../helpers/store-backends.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const root = makeTempDir();
const DAY = 24 * 3600_000;
const FROM = 'Columnwire <digest@columns.example.net>';

/** The reply each address gets to RCPT TO (null: accepted). */
const RCPT_REPLIES: Record<string, Refusal | null> = {
  'gone@example.org': { code: 550, message: '5.1.1 <gone@example.org>: Recipient address rejected: User unknown' },
  'full@example.org': { code: 552, message: '5.2.2 <full@example.org>: Mailbox full' },
  'spam@example.org': { code: 550, message: '5.7.1 Message rejected as spam' },
  'relay@example.org': { code: 554, message: '5.7.1 <relay@example.org>: Relay access denied' },
  'plain@example.org': { code: 554, message: 'Relay access denied' },
  'fine@example.org': null,
};
const ADDRESSES = Object.keys(RCPT_REPLIES);

describe('isMailboxRefusal', () => {
  it.each([
    ['550 5.1.1 <a@example.org>: Recipient address rejected: User unknown', true],
    ['550-5.1.1 The email account that you tried to reach does not exist.\r\n550 5.1.1 Please check', true],
    ['550 5.1.10 Recipient address rejected: no MX', true],
    ['550 5.1.6 Mailbox has moved', true],
    ['550 5.2.1 Mailbox disabled', true],
    ['550 User unknown', true],
    ['550 Requested action not taken: mailbox unavailable', true],
    ['551 User not local; no such user here', true],
    ['553 No such mailbox', true],
    ['552 5.2.2 Mailbox full', false],
    ['550 5.7.1 Message rejected as spam', false],
    ['554 5.7.1 <a@example.org>: Relay access denied', false],
    ['550 5.7.1 <a@example.org>: Recipient address rejected: Access denied', false],
    ['550 5.1.8 Sender address rejected: Domain not found', false],
    ['554 Relay access denied', false],
    ['554 User unknown', false],
    ['450 4.1.1 User unknown (try later)', false],
    // The enhanced status on the last line only; Exim's words; a policy refusal in the generic text.
    ['550-Your message to this address\r\n550-could not be delivered:\r\n550 5.1.1 no such mailbox', true],
    ['550 Unrouteable address', true],
    ['550 mailbox unavailable: your IP is listed at zen.spamhaus.org', false],
    ['550 Mailbox unavailable or access denied', false],
    ['', false],
  ])('%j → %s', (reply, expected) => {
    expect(isMailboxRefusal(reply)).toBe(expected);
  });
});

describe('isMailboxDiagnostic (a DSN with Status 5.0.0)', () => {
  it.each([
    ['smtp; 550 5.1.1 <a@example.org>: Recipient address rejected: User unknown', true],
    ['smtp; 554 5.7.1 <a@example.org>: Recipient address rejected: Access denied', false],
    ['smtp; 553 5.1.8 <digest@example.net>: Sender address rejected: Domain not found', false],
    ['smtp; 550 Requested action not taken: mailbox unavailable here', true],
    ['smtp; 550 Unrouteable address', true],
    ['smtp; 550 Recipient address rejected: greylisted, try again', false],
    ['smtp; 550 mailbox unavailable: blocked using dnsbl', false],
  ])('%j → %s', (diagnostic, expected) => {
    expect(isMailboxDiagnostic(diagnostic)).toBe(expected);
  });
});

const backends = [
  { name: 'sqlite', database: () => Promise.resolve(undefined) },
  { name: 'postgres', database: async () => schemaUrl(await postgresBackend.newLocation()) },
] as const;

describe.each(backends)('SMTP refusals on $name', (backend) => {
  async function start(): Promise<{ digestApp: DigestApp; cli: (...args: string[]) => ReturnType<typeof runCli> }> {
    const database = await backend.database();
    const digestApp = await startDigestApp({
      root,
      digests: `  - id: daily\n    to: [${ADDRESSES.join(', ')}]\n    maxAgeHours: 8760\n`,
      ...(database === undefined ? {} : { database }),
    });
    // PostgreSQL keeps the data: no SQLite file appears in the data folder.
    expect(existsSync(join(digestApp.dataDir, 'columnwire.db'))).toBe(database === undefined);
    const cli = (...args: string[]) => runCli(['--config', digestApp.configPath, '--data', digestApp.dataDir, ...args]);
    return { digestApp, cli };
  }

  /** One day's run via `smtpUrl`, with what it logged (JSON lines). */
  async function runDay(digestApp: DigestApp, day: number, smtpUrl: string): Promise<{ result: DigestResult; logs: LogLine[] }> {
    digestApp.advance(DAY);
    await digestApp.save('jane', [column(`d${day}`, digestApp.clock.now, 1)]);
    const { result, lines } = await runLoggedDigest(digestApp, smtpUrl);
    return { result, logs: lines as unknown as LogLine[] };
  }

  it('a refused sender marks nobody bouncing: the copies wait, it is logged once per run, and all go once the relay takes them', async () => {
    const { digestApp, cli } = await start();
    let senderRefused = true;
    const smtp = await smtpServerForTest({
      rejectSender: () => (senderRefused ? { code: 553, message: '5.7.1 <digest@columns.example.net>: Sender address rejected' } : null),
    });
    const threshold = digestApp.app.config.mail.bounceThreshold;
    for (let day = 1; day <= threshold; day++) {
      const { result, logs } = await runDay(digestApp, day, smtp.url);
      // Every run so far is still owed: day N retries the N - 1 runs before it, then its own.
      expect(result.runs).toHaveLength(day);
      for (const run of result.runs) expect(run).toMatchObject({ sent: 0, failed: 0, pending: ADDRESSES.length, done: false });
      const refusals = logs.filter((line) => /refuses the sender address/.test(line.msg));
      expect(refusals.map((line) => line.runId)).toEqual(result.runs.map((run) => run.runId));
      for (const line of refusals) {
        expect(line).toMatchObject({ level: 50, from: FROM, error: expect.stringMatching(/553 5\.7\.1/) });
        expect(line.msg).toContain('mail.from');
      }
      expect(logs.filter((line) => line.msg === 'digest delivery failed')).toEqual([]);
    }
    expect(smtp.rcptAttempts.size).toBe(0);
    expect(await digestApp.app.store.listBounces()).toEqual([]);
    const [firstRun] = await digestApp.app.store.listDigestRuns('daily', 10);
    for (const delivery of await digestApp.app.store.deliveries(firstRun!.id)) {
      expect(delivery).toMatchObject({ status: 'pending', lastError: expect.stringMatching(/Mail command failed: 553 5\.7\.1/) });
    }

    // mail.from fixed at the relay: the owed runs and the new one all go, to everyone the RCPT stage accepts.
    senderRefused = false;
    const { result } = await runDay(digestApp, threshold + 1, smtp.url);
    expect(result.runs).toHaveLength(threshold + 1);
    for (const run of result.runs) expect(run).toMatchObject({ sent: ADDRESSES.length, failed: 0, pending: 0, done: true });
    for (const address of ADDRESSES) expect(smtp.messagesTo(address)).toHaveLength(threshold + 1);
    expect((await cli('subscribers', 'list', '--bouncing', '--csv')).stdout).toBe('address,failures,bouncing,last,error\n');
  }, 120_000);

  it('a relay refusing the connection itself (a 554 greeting) fails no copy for good: they wait and all go once it takes them', async () => {
    const { digestApp } = await start();
    let blocked = true;
    const smtp = await smtpServerForTest({ refuseGreeting: () => (blocked ? { code: 554, message: '5.7.1 Your IP is blocked' } : null) });
    const { result } = await runDay(digestApp, 1, smtp.url);
    expect(result.runs).toEqual([expect.objectContaining({ sent: 0, failed: 0, pending: ADDRESSES.length, done: false })]);
    expect(await digestApp.app.store.listBounces()).toEqual([]);
    blocked = false;
    const { result: after } = await runDay(digestApp, 2, smtp.url);
    for (const run of after.runs) expect(run).toMatchObject({ sent: ADDRESSES.length, failed: 0, pending: 0, done: true });
  }, 120_000);

  it('only a refused RCPT that proves the mailbox gone counts: after bounceThreshold runs only that address bounces', async () => {
    const { digestApp, cli } = await start();
    // A relay that offers no login: its relay refusal is its policy for that recipient (from one
    // that offers a login we did not give, it means "log in": real-mta-behaviours.test.ts).
    const smtp = await smtpServerForTest({ offerAuth: false, rejectRecipient: (address) => RCPT_REPLIES[address] ?? null });
    const threshold = digestApp.app.config.mail.bounceThreshold;
    for (let day = 1; day <= threshold; day++) {
      const { result } = await runDay(digestApp, day, smtp.url);
      expect(result.runs).toEqual([expect.objectContaining({ sent: 1, failed: ADDRESSES.length - 1, pending: 0, done: true })]);
    }
    const listed = await cli('subscribers', 'list', '--bouncing', '--json');
    expect(listed.code).toBe(0);
    const bounces = JSON.parse(listed.stdout) as Array<{ address: string; failures: string; bouncing: string | null }>;
    expect(bounces).toEqual([expect.objectContaining({ address: 'gone@example.org', failures: String(threshold) })]);
    expect(bounces[0]!.bouncing).not.toBeNull();
    // The next run leaves out only the address that bounces; the others are still tried.
    await runDay(digestApp, threshold + 1, smtp.url);
    for (const address of ADDRESSES)
      expect(smtp.rcptAttempts.get(address)).toBe(address === 'gone@example.org' ? threshold : threshold + 1);
  }, 120_000);
});

interface LogLine {
  level: number;
  msg: string;
  runId?: number;
  from?: string;
  error?: string;
}
