import { describe, expect, it } from 'vitest';
import { column, DIGEST_NOW, startDigestApp } from '../helpers/digest-app.ts';
import { runCli } from '../helpers/run-cli.ts';
import { closedSmtpUrl, smtpServerForTest } from '../helpers/smtp-server.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const root = makeTempDir();
const HOUR = 3600_000;
const RECIPIENTS = ['ann@example.org', 'bob@example.org', 'cy@example.org'];
const DIGESTS = `  - id: daily\n    to: [${RECIPIENTS.join(', ')}]\n`;

async function appWithStories() {
  const digestApp = await startDigestApp({ root, digests: DIGESTS });
  await digestApp.save('jane', [column('j1', DIGEST_NOW, 2), column('j2', DIGEST_NOW, 1)]);
  return digestApp;
}

describe('SMTP down, then up', () => {
  it.each([
    ['nothing listens on the port', 'closed'],
    ['the server answers 421 to every connection', 'refusing'],
  ] as const)('keeps every delivery pending while %s, then sends each recipient exactly one copy', async (_case, down) => {
    const digestApp = await appWithStories();
    const smtp = await smtpServerForTest(down === 'refusing' ? { refuseConnections: Infinity } : {});
    const first = await digestApp.run('daily', down === 'closed' ? await closedSmtpUrl() : smtp.url);
    expect(first.runs).toEqual([expect.objectContaining({ stories: 2, sent: 0, failed: 0, pending: 3, done: false })]);
    const runId = first.runs[0]!.runId;
    const pending = await digestApp.app.store.deliveries(runId);
    expect(pending.map((delivery) => [delivery.address, delivery.status, delivery.attempts])).toEqual(
      RECIPIENTS.map((address) => [address, 'pending', 3]),
    );
    for (const delivery of pending) expect(delivery.lastError).toMatch(down === 'closed' ? /ECONNREFUSED/ : /421/);
    expect(smtp.messages).toHaveLength(0);

    const status = await runCli(['--config', digestApp.configPath, '--data', digestApp.dataDir, 'digest', '--status']);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(`run ${runId} `);
    expect(status.stdout).toMatch(/sending: 2 stories, 0 sent, 0 failed, 3 pending/);
    for (const address of RECIPIENTS) expect(status.stdout).toContain(`    ${address}: pending: `);

    smtp.options.refuseConnections = 0;
    digestApp.advance(HOUR);
    const second = await digestApp.run('daily', smtp.url);
    expect(second.kind).toBe('empty'); // the resumed run covered the stories; nothing new since
    expect(second.runs).toEqual([expect.objectContaining({ runId, sent: 3, failed: 0, pending: 0, done: true })]);
    const sent = await digestApp.app.store.deliveries(runId);
    for (const delivery of sent) {
      const copies = smtp.messagesTo(delivery.address);
      expect(copies).toHaveLength(1);
      expect(copies[0]!.parsed.messageId).toBe(delivery.messageId); // the Message-ID recorded before the outage
      expect(copies[0]!.parsed.subject).toBe('Columns for 1 Jul 2026 (2)');
    }
    expect((await digestApp.app.store.listDigestRuns('daily', 10)).map((run) => run.status)).toEqual(['done']);

    digestApp.advance(HOUR);
    await digestApp.run('daily', smtp.url);
    expect(smtp.messages).toHaveLength(3);
  });

  it('retries a 451 on the message within the run and sends it', async () => {
    const digestApp = await appWithStories();
    const smtp = await smtpServerForTest({ refuseMessages: 2 });
    const result = await digestApp.run('daily', smtp.url);
    expect(result.runs).toEqual([expect.objectContaining({ sent: 3, pending: 0, done: true })]);
    expect(smtp.messages).toHaveLength(3);
    const attempts = (await digestApp.app.store.deliveries(result.runs[0]!.runId)).map((delivery) => delivery.attempts);
    expect(attempts.reduce((sum, n) => sum + n, 0)).toBe(5);
  });
});

describe('a recipient refused by the server', () => {
  it.each([
    [550, 'No such user here', 'failed', 1, true],
    [451, 'Mailbox busy, try later', 'pending', 3, false],
  ] as const)('records a %i for one recipient as %s and sends the others', async (code, reply, status, attempts, done) => {
    const digestApp = await appWithStories();
    const smtp = await smtpServerForTest({
      rejectRecipient: (address) => (address === 'bob@example.org' ? { code, message: reply } : null),
    });
    const result = await digestApp.run('daily', smtp.url);
    expect(result.runs).toEqual([
      expect.objectContaining({ sent: 2, failed: status === 'failed' ? 1 : 0, pending: status === 'pending' ? 1 : 0, done }),
    ]);
    expect(smtp.messages.map((message) => message.rcptTo[0]).sort()).toEqual(['ann@example.org', 'cy@example.org']);
    const bob = (await digestApp.app.store.deliveries(result.runs[0]!.runId)).find((delivery) => delivery.address === 'bob@example.org');
    expect(bob).toMatchObject({ status, attempts });
    expect(bob!.lastError).toContain(`${code} ${reply}`);
    expect(smtp.rcptAttempts.get('bob@example.org')).toBe(attempts);
  });

  it('does not retry a permanent failure on the next run', async () => {
    const digestApp = await appWithStories();
    const smtp = await smtpServerForTest({
      rejectRecipient: (address) => (address === 'bob@example.org' ? { code: 550, message: 'No such user here' } : null),
    });
    const first = await digestApp.run('daily', smtp.url);
    expect(first.runs[0]).toMatchObject({ failed: 1, done: true });
    digestApp.advance(HOUR);
    const second = await digestApp.run('daily', smtp.url);
    expect(second).toEqual({ kind: 'empty', runs: [] });
    expect(smtp.rcptAttempts.get('bob@example.org')).toBe(1);
    expect(smtp.messages).toHaveLength(2);

    const status = await runCli(['--config', digestApp.configPath, '--data', digestApp.dataDir, 'digest', '--status']);
    expect(status.stdout).toMatch(/done: 2 stories, 2 sent, 1 failed, 0 pending/);
    expect(status.stdout).toMatch(/ {4}bob@example\.org: failed: .*550 No such user here/);
  });
});
