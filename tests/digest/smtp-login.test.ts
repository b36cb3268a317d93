/**
 * A relay that wants a login: without credentials in SMTP_URL it refuses MAIL FROM with 530
 * (RFC 4954 §6), with wrong ones it refuses AUTH with 535. Either way every copy waits, the
 * error names SMTP_URL (not mail.from, which is fine), the password is never written, and
 * once SMTP_URL is fixed each recipient gets one copy.
 */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runDigest, type DigestResult } from '../../src/digest/run-digest.ts';
import { createLogger } from '../../src/logger.ts';
import { column, DIGEST_NOW, startDigestApp, type DigestApp } from '../helpers/digest-app.ts';
import { runCli } from '../helpers/run-cli.ts';
import { smtpServerForTest } from '../helpers/smtp-server.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const root = makeTempDir();
const RECIPIENTS = ['ann@example.org', 'bob@example.org'];
const PASSWORD = 'Sw0rdf1sh-8c1f';

/** One run via `smtpUrl`, with what it logged (raw JSON lines). */
async function run(digestApp: DigestApp, smtpUrl: string): Promise<{ result: DigestResult; logs: string }> {
  let logs = '';
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs += chunk.toString('utf8');
      done();
    },
  });
  const deps = { ...(await digestApp.deps(smtpUrl)), logger: createLogger({ level: 'info', pretty: false, destination }, {}) };
  try {
    return { result: await runDigest(digestApp.digest('daily'), deps), logs };
  } finally {
    deps.mailer.close();
  }
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
