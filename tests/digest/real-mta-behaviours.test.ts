/**
 * What real relays answered when digests went through Postfix 3.7 (Debian 12), replayed with
 * smtp-server so CI needs no MTA:
 * - the submission service of Debian's master.cf, to a client that did not log in, offers
 *   `AUTH PLAIN LOGIN` and then refuses RCPT TO with `554 5.7.1 <ann@example.com>: Recipient
 *   address rejected: Access denied` (`smtpd_relay_restrictions=permit_sasl_authenticated,reject`)
 *   or `554 5.7.1 <localhost[127.0.0.1]>: Client host rejected: Access denied`
 *   (`smtpd_client_restrictions=permit_sasl_authenticated,reject`), never RFC 4954's 530;
 * - STARTTLS with a self-signed certificate;
 * - `message_size_limit` under the digest's size: `552 5.3.4 Error: message file too big` at the end of DATA;
 * - `smtputf8_enable = no` (no SMTPUTF8 in EHLO), RCPT TO:<jöhn@example.com> sent anyway: Postfix
 *   mangled it and answered `550 5.1.1 <j  hn@example.com>: Recipient address rejected: User unknown`.
 */
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { describe, expect, it, onTestFinished } from 'vitest';
import { verifySmtp } from '../../src/digest/send-digest.ts';
import { column, DIGEST_NOW, startDigestApp } from '../helpers/digest-app.ts';
import { runLoggedDigest } from '../helpers/logged-digest.ts';
import { runCli } from '../helpers/run-cli.ts';
import { smtpServerForTest } from '../helpers/smtp-server.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const root = makeTempDir();
const RECIPIENTS = ['ann@example.org', 'bob@example.org'];
const PROBE = { from: 'digest@columns.example.net', to: 'ann@example.org' };
const TLS_DIR = join(import.meta.dirname, '../fixtures/tls');

async function digestWithOneColumn() {
  const digestApp = await startDigestApp({ root, digests: `  - id: daily\n    to: [${RECIPIENTS.join(', ')}]\n` });
  await digestApp.save('jane', [column('j1', DIGEST_NOW, 1)]);
  return digestApp;
}

describe("Postfix's submission service, SMTP_URL naming no user", () => {
  it.each([
    ['relay restrictions', (to: string) => `5.7.1 <${to}>: Recipient address rejected: Access denied`],
    ['client restrictions', () => '5.7.1 <localhost[127.0.0.1]>: Client host rejected: Access denied'],
  ])('(%s: 554 to RCPT TO) keeps every copy pending, saying to log in, and sends each once with a login', async (_case, reply) => {
    const digestApp = await digestWithOneColumn();
    const smtp = await smtpServerForTest({ rejectRecipient: (to) => ({ code: 554, message: reply(to) }) });

    const { result, text } = await runLoggedDigest(digestApp, smtp.url);
    expect(result.runs).toEqual([expect.objectContaining({ sent: 0, failed: 0, pending: 2, done: false })]);
    const runId = result.runs[0]!.runId;
    for (const delivery of await digestApp.app.store.deliveries(runId)) {
      expect(delivery.status).toBe('pending');
      expect(delivery.lastError).toMatch(/554 5\.7\.1 .*the relay wants a login: put the user name and password in SMTP_URL/);
    }
    expect(text).not.toMatch(/fix mail\.from/);
    expect(await digestApp.app.store.listBounces()).toEqual([]);

    // With a login the relay takes them: one copy each.
    smtp.options.rejectRecipient = () => null;
    const fixed = await runLoggedDigest(digestApp, `smtp://digest%40columns.example.net:pw@127.0.0.1:${smtp.port}`);
    expect(fixed.result.runs).toEqual([expect.objectContaining({ runId, sent: 2, failed: 0, pending: 0, done: true })]);
    for (const address of RECIPIENTS) expect(smtp.messagesTo(address)).toHaveLength(1);
  });

  it('check says the server requires authentication and how to give it, delivering nothing', async () => {
    const digestApp = await digestWithOneColumn();
    const smtp = await smtpServerForTest({
      rejectRecipient: (to) => ({ code: 554, message: `5.7.1 <${to}>: Recipient address rejected: Access denied` }),
    });
    const check = await runCli(['--config', digestApp.configPath, '--data', digestApp.dataDir, 'check'], {
      env: { SMTP_URL: smtp.url },
    });
    expect(check.stdout).toMatch(
      /mail: SMTP smtp:\/\/127\.0\.0\.1:\d+ error: the server requires authentication .*554 5\.7\.1 .*USER:PASS@ before the host/,
    );
    // The envelope it tried named the first reader, from mail.from; no message was taken.
    expect(smtp.rcptAttempts.get('ann@example.org')).toBe(1);
    expect(smtp.messages).toEqual([]);
    // With a login, or from a relay that asks for none, the same server is ok.
    expect(await verifySmtp(`smtp://me:pw@127.0.0.1:${smtp.port}`, 5_000, PROBE)).toBeNull();
    const open = await smtpServerForTest({
      offerAuth: false,
      rejectRecipient: () => ({ code: 554, message: '5.7.1 Relay access denied' }),
    });
    expect(await verifySmtp(open.url, 5_000, PROBE)).toBeNull();
    // A relay that takes the envelope without a login is ok too, and still gets no message.
    smtp.options.rejectRecipient = () => null;
    expect(await verifySmtp(smtp.url, 5_000, PROBE)).toBeNull();
    await smtp.settled();
    expect(smtp.messages).toEqual([]);
  });
});

describe('STARTTLS with a self-signed certificate', () => {
  async function selfSignedRelay(): Promise<number> {
    const server = new SMTPServer({
      authOptional: true,
      logger: false,
      key: readFileSync(join(TLS_DIR, 'relay-key.pem')),
      cert: readFileSync(join(TLS_DIR, 'relay-cert.pem')),
      onData(stream, _session, callback) {
        stream.resume();
        stream.on('end', () => callback());
      },
    });
    server.on('error', () => {});
    server.listen(0, '127.0.0.1');
    await once(server.server, 'listening');
    onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
    return (server.server.address() as AddressInfo).port;
  }

  it('keeps the copies pending and names NODE_EXTRA_CA_CERTS; check is ok once that trusts the certificate', async () => {
    const port = await selfSignedRelay();
    const digestApp = await digestWithOneColumn();
    const { result } = await runLoggedDigest(digestApp, `smtp://127.0.0.1:${port}`);
    expect(result.runs).toEqual([expect.objectContaining({ sent: 0, failed: 0, pending: 2, done: false })]);
    for (const delivery of await digestApp.app.store.deliveries(result.runs[0]!.runId))
      expect(delivery.lastError).toMatch(/self-signed certificate .*NODE_EXTRA_CA_CERTS=/);

    const cli = (env: Record<string, string>) =>
      runCli(['--config', digestApp.configPath, '--data', digestApp.dataDir, 'check'], {
        env: { SMTP_URL: `smtp://127.0.0.1:${port}`, ...env },
      });
    const untrusted = await cli({});
    expect(untrusted.stdout).toMatch(/mail: SMTP .* error: ESOCKET: self-signed certificate .*NODE_EXTRA_CA_CERTS=/);
    const trusted = await cli({ NODE_EXTRA_CA_CERTS: join(TLS_DIR, 'relay-cert.pem') });
    expect(trusted.stdout).toMatch(/mail: SMTP smtp:\/\/127\.0\.0\.1:\d+ ok/);
  });
});

describe("a message over the relay's size limit", () => {
  it('fails each copy once, saying so, and is not retried', async () => {
    const LIMIT = 3_000;
    const attempts: string[] = [];
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onRcptTo(address, _session, callback) {
        attempts.push(address.address);
        callback();
      },
      onData(stream, _session, callback) {
        let bytes = 0;
        stream.on('data', (chunk: Buffer) => (bytes += chunk.length));
        // Postfix's words for a message over message_size_limit.
        stream.on('end', () =>
          callback(bytes > LIMIT ? Object.assign(new Error('5.3.4 Error: message file too big'), { responseCode: 552 }) : null),
        );
      },
    });
    server.on('error', () => {});
    server.listen(0, '127.0.0.1');
    await once(server.server, 'listening');
    onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const url = `smtp://127.0.0.1:${(server.server.address() as AddressInfo).port}`;

    const digestApp = await digestWithOneColumn();
    const { result } = await runLoggedDigest(digestApp, url);
    expect(result.runs).toEqual([expect.objectContaining({ sent: 0, failed: 2, pending: 0, done: true })]);
    for (const delivery of await digestApp.app.store.deliveries(result.runs[0]!.runId))
      expect(delivery.lastError).toMatch(/552 5\.3\.4 .*message this large.*maxItems/);
    expect(await digestApp.app.store.listBounces()).toEqual([]);
    const status = await runCli(['--config', digestApp.configPath, '--data', digestApp.dataDir, 'digest', '--status']);
    expect(status.stdout).toMatch(/daily: .*\n.*2 failed[\s\S]*message file too big/);

    // Each copy reached the relay at most once (copies in flight together are each refused; one
    // sent after a refusal, as large, is failed without being offered: size-refusal.test.ts).
    const offered = [...attempts];
    expect(new Set(offered).size).toBe(offered.length);
    // The next run sends nothing again: the failed copies are done with.
    await runLoggedDigest(digestApp, url);
    expect(attempts).toEqual(offered);
  });
});

describe('a relay without SMTPUTF8 (RFC 6531)', () => {
  it.each([
    [false, 'fails the copy for an address with non-ASCII before the @ without sending it or counting a bounce'],
    [true, 'is sent that address as any other'],
  ])('offering SMTPUTF8: %s, %s', async (offers) => {
    const readers = ['ann@example.org', 'jöhn@example.org'];
    const digestApp = await startDigestApp({ root, digests: `  - id: daily\n    to: [${readers.join(', ')}]\n    maxAgeHours: 8760\n` });
    await digestApp.save('jane', [column('j1', DIGEST_NOW, 1)]);
    const smtp = await smtpServerForTest({
      smtpUtf8: offers,
      // What Postfix answered for the address it had mangled.
      rejectRecipient: (to) =>
        offers || /^[ -~]*$/.test(to)
          ? null
          : { code: 550, message: '5.1.1 <j  hn@example.org>: Recipient address rejected: User unknown' },
    });
    for (let day = 1; day <= digestApp.app.config.mail.bounceThreshold; day++) {
      digestApp.advance(24 * 3600_000);
      await digestApp.save('jane', [column(`d${day}`, digestApp.clock.now, 1)]);
      const { result } = await runLoggedDigest(digestApp, smtp.url);
      expect(result.runs.at(-1)).toMatchObject({ sent: offers ? 2 : 1, failed: offers ? 0 : 1, pending: 0, done: true });
      if (!offers)
        for (const delivery of await digestApp.app.store.deliveries(result.runs.at(-1)!.runId))
          if (delivery.address === 'jöhn@example.org')
            expect(delivery.lastError).toMatch(/does not offer SMTPUTF8 \(RFC 6531\), which jöhn@example\.org needs/);
    }
    expect(smtp.rcptAttempts.has('jöhn@example.org')).toBe(offers);
    expect(await digestApp.app.store.listBounces()).toEqual([]);
  });
});
