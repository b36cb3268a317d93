/**
 * A relay that wants a login: without credentials in SMTP_URL it refuses MAIL FROM with 530
 * (RFC 4954 §6), with wrong ones it refuses AUTH with 535. Either way every copy waits, the
 * error names SMTP_URL (not mail.from, which is fine), the password is never written, and
 * once SMTP_URL is fixed each recipient gets one copy. The same for smtp:// and smtps:// mixed
 * up with the port's TLS: the error says which to use.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { DigestResult } from '../../src/digest/run-digest.ts';
import { verifySmtp } from '../../src/digest/send-digest.ts';
import { column, DIGEST_NOW, startDigestApp, type DigestApp } from '../helpers/digest-app.ts';
import { runLoggedDigest } from '../helpers/logged-digest.ts';
import { runCli } from '../helpers/run-cli.ts';
import { smtpServerForTest } from '../helpers/smtp-server.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const root = makeTempDir();
const RECIPIENTS = ['ann@example.org', 'bob@example.org'];
const PASSWORD = 'Sw0rdf1sh-8c1f';

/** One run via `smtpUrl`, with what it logged (raw JSON lines). */
async function run(digestApp: DigestApp, smtpUrl: string): Promise<{ result: DigestResult; logs: string }> {
  const { result, text } = await runLoggedDigest(digestApp, smtpUrl);
  return { result, logs: text };
}

describe('a relay that wants a login', () => {
  it.each([
    ['SMTP_URL names no user', (port: number) => `smtp://127.0.0.1:${port}`, /530 .*SMTP_URL/],
    ['SMTP_URL has the wrong password', (port: number) => `smtp://me%40example.org:${PASSWORD}@127.0.0.1:${port}`, /535 .*SMTP_URL/],
  ])('keeps every copy pending when %s, names SMTP_URL, never writes the password, then sends once', async (_case, urlFor, error) => {
    const digestApp = await startDigestApp({ root, digests: `  - id: daily\n    to: [${RECIPIENTS.join(', ')}]\n` });
    await digestApp.save('jane', [column('j1', DIGEST_NOW, 1)]);
    const smtp = await smtpServerForTest({
      requireAuth: true,
      rejectLogin: (_user, password) => (password === 'right' ? null : { code: 535, message: '5.7.8 Authentication credentials invalid' }),
    });

    const { result, logs } = await run(digestApp, urlFor(smtp.port));
    expect(result.runs).toEqual([expect.objectContaining({ sent: 0, failed: 0, pending: 2, done: false })]);
    const runId = result.runs[0]!.runId;
    for (const delivery of await digestApp.app.store.deliveries(runId)) {
      expect(delivery.status).toBe('pending');
      expect(delivery.lastError).toMatch(error);
      expect(delivery.lastError).not.toContain(PASSWORD);
    }
    expect(logs).toMatch(/SMTP_URL/);
    expect(logs).not.toMatch(/fix mail\.from/);
    expect(logs).not.toContain(PASSWORD);
    expect(smtp.messages).toHaveLength(0);
    expect(await digestApp.app.store.listBounces()).toEqual([]);

    const status = await runCli(['--config', digestApp.configPath, '--data', digestApp.dataDir, 'digest', '--status']);
    expect(status.stdout).toMatch(/0 sent, 0 failed, 2 pending/);
    expect(status.stdout).toMatch(/SMTP_URL/);
    expect(status.stdout + status.stderr).not.toContain(PASSWORD);

    const fixed = await run(digestApp, `smtp://me%40example.org:right@127.0.0.1:${smtp.port}`);
    expect(fixed.result.runs).toEqual([expect.objectContaining({ runId, sent: 2, failed: 0, pending: 0, done: true })]);
    for (const address of RECIPIENTS) expect(smtp.messagesTo(address)).toHaveLength(1);
  });
});

describe('SMTP_URL and the port disagree about TLS', () => {
  it('smtps:// to a port without TLS keeps the copies pending and says to use smtp://', async () => {
    const digestApp = await startDigestApp({ root, digests: `  - id: daily\n    to: [${RECIPIENTS.join(', ')}]\n` });
    await digestApp.save('jane', [column('j1', DIGEST_NOW, 1)]);
    const smtp = await smtpServerForTest();
    const { result } = await run(digestApp, smtp.url.replace('smtp://', 'smtps://'));
    expect(result.runs).toEqual([expect.objectContaining({ sent: 0, failed: 0, pending: 2, done: false })]);
    for (const delivery of await digestApp.app.store.deliveries(result.runs[0]!.runId))
      expect(delivery.lastError).toMatch(/use smtp:\/\/ in SMTP_URL/);
    expect(await verifySmtp(smtp.url.replace('smtp://', 'smtps://'), 5_000)).toMatch(/use smtp:\/\/ in SMTP_URL/);
  });

  it('smtp:// to a port that expects TLS at once (465) says to use smtps://', async () => {
    const server = new SMTPServer({ secure: true, authOptional: true, logger: false });
    server.on('error', () => {});
    server.listen(0, '127.0.0.1');
    await once(server.server, 'listening');
    onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const port = (server.server.address() as AddressInfo).port;
    expect(await verifySmtp(`smtp://127.0.0.1:${port}`, 1_000)).toMatch(/use smtps:\/\/ in SMTP_URL/);
  });
});
