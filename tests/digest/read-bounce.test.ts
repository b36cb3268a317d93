/**
 * Issue 13: a hard bounce marks an address bouncing. A bounce that comes back after the relay
 * accepted the digest is a delivery status notification (RFC 3464); `columnwire subscribers
 * bounce` reads one (from a file or piped from the MTA) and counts each mailbox failure
 * towards mail.bounceThreshold, as a refusal at send time does. Soft failures, delays and
 * policy refusals do not count; anything that is not a DSN is refused and records nothing.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readBounce } from '../../src/digest/read-bounce.ts';
import { column, startDigestApp } from '../helpers/digest-app.ts';
import { closedPortUrl } from '../helpers/feed-server.ts';
import { runCli } from '../helpers/run-cli.ts';
import { smtpServerForTest } from '../helpers/smtp-server.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const root = makeTempDir();

/** A DSN as Postfix sends it, with `recipients` (address, action, status, diagnostic). */
function postfixDsn(
  recipients: Array<[string, string, string, string]>,
  statusEncoding: '7bit' | 'base64' = '7bit',
  returnedMessageId = '<daily.1.abc@columnwire.example>',
): string {
  const status = [
    'Reporting-MTA: dns; mail.example.net',
    'X-Postfix-Queue-ID: 4QzZ1x2y3z',
    'Arrival-Date: Thu,  3 Dec 2026 07:00:02 +0000 (UTC)',
    ...recipients.flatMap(([address, action, code, diagnostic]) => [
      '',
      `Final-Recipient: rfc822; ${address}`,
      `Original-Recipient: rfc822;${address}`,
      `Action: ${action}`,
      `Status: ${code}`,
      `Remote-MTA: dns; mx.${address.split('@')[1]}`,
      `Diagnostic-Code: smtp; ${diagnostic.slice(0, 30)}`,
      `    ${diagnostic.slice(30)}`,
    ]),
    '',
  ].join('\r\n');
  return [
    'From: MAILER-DAEMON@mail.example.net (Mail Delivery System)',
    'Message-ID: <20261203070002.4QzZ1x2y3z@mail.example.net>',
    'To: digest@columnwire.example',
    'Subject: Undelivered Mail Returned to Sender',
    'MIME-Version: 1.0',
    'Content-Type: multipart/report; report-type=delivery-status;',
    '\tboundary="4QzZ1x2y3z.1733209202/mail.example.net"',
    '',
    '--4QzZ1x2y3z.1733209202/mail.example.net',
    'Content-Type: text/plain; charset=us-ascii',
    '',
    "This is the mail system at host mail.example.net. I'm sorry to have to inform you that your message could not be delivered.",
    // A quoted line that looks like a field: only the delivery-status part is read.
    'Final-Recipient: rfc822; innocent@example.org',
    'Status: 5.1.1',
    '',
    '--4QzZ1x2y3z.1733209202/mail.example.net',
    'Content-Description: Delivery report',
    'Content-Type: message/delivery-status',
    ...(statusEncoding === 'base64' ? ['Content-Transfer-Encoding: base64'] : []),
    '',
    statusEncoding === 'base64' ? Buffer.from(status).toString('base64').replace(/.{76}/g, '$&\r\n') : status,
    '--4QzZ1x2y3z.1733209202/mail.example.net',
    'Content-Type: message/rfc822',
    '',
    'Subject: Columns for 3 December (4)',
    'Message-ID:',
    ` ${returnedMessageId}`,
    '',
    'Final-Recipient: rfc822; quoted@example.org',
    '--4QzZ1x2y3z.1733209202/mail.example.net--',
    '',
  ].join('\r\n');
}

/**
 * A DSN for an internationalised address (RFC 6533: message/global-delivery-status, UTF-8),
 * its status part sent 8bit or in base64, as the review's make-dsn.mjs built one.
 */
function globalDsn(address: string, messageId: string, encoding: '8bit' | 'base64'): string {
  const status = [
    'Reporting-MTA: dns; mx.example.net',
    '',
    `Original-Recipient: utf-8; ${address}`,
    `Final-Recipient: utf-8; ${address}`,
    'Action: failed',
    'Status: 5.1.1',
    'Diagnostic-Code: smtp; 550 5.1.1 user unknown',
    '',
  ].join('\r\n');
  return [
    'From: MAILER-DAEMON@mx.example.net',
    'To: digest@columns.example.net',
    'Subject: Undelivered Mail Returned to Sender',
    'MIME-Version: 1.0',
    'Content-Type: multipart/report; report-type=delivery-status; boundary="B"',
    '',
    '--B',
    'Content-Type: text/plain; charset=utf-8',
    '',
    'Delivery failed.',
    '',
    '--B',
    'Content-Type: message/global-delivery-status',
    `Content-Transfer-Encoding: ${encoding}`,
    '',
    encoding === 'base64' ? Buffer.from(status).toString('base64').replace(/.{76}/g, '$&\r\n') : status,
    '--B',
    'Content-Type: text/rfc822-headers',
    '',
    'From: Columnwire <digest@columns.example.net>',
    `To: ${address}`,
    `Message-ID: ${messageId}`,
    'Subject: Columns',
    '',
    '--B--',
    '',
  ].join('\r\n');
}

describe('readBounce', () => {
  it('reads each recipient of a DSN and tells hard bounces from the rest, by status', () => {
    const report = readBounce(
      postfixDsn([
        ['Gone@Example.org', 'failed', '5.1.1', '550 5.1.1 <gone@example.org>: Recipient address rejected: User unknown'],
        ['full@example.org', 'failed', '5.2.2', '552 5.2.2 Mailbox full, try again much later please'],
        ['spam@example.org', 'failed', '5.7.1', '554 5.7.1 <spam@example.org>: Recipient address rejected: Access denied'],
        ['rbl@example.org', 'failed', '5.7.1', '554 5.7.1 Service unavailable; Client host [198.5.1.7] blocked using zen'],
        ['slow@example.org', 'delayed', '4.4.1', 'connect to mx.example.org: Connection timed out now'],
        ['moved@example.org', 'failed', '5.0.0', '550 Requested action not taken: mailbox unavailable here'],
        ['nodomain@example.org', 'failed', '5.1.2', 'Host or domain name not found. Name service error'],
        ['sender@example.org', 'failed', '5.1.8', '553 5.1.8 Sender address rejected: Domain not found'],
      ]),
    );
    expect(report!.recipients.map(({ address, hard }) => [address, hard])).toEqual([
      ['gone@example.org', true],
      ['full@example.org', false],
      ['spam@example.org', false],
      ['rbl@example.org', false],
      ['slow@example.org', false],
      ['moved@example.org', true],
      ['nodomain@example.org', true],
      ['sender@example.org', false],
    ]);
    // Continuation lines of a field are unfolded.
    expect(report!.recipients[0]!.diagnostic).toBe('550 5.1.1 <gone@example.org>: Recipient address rejected: User unknown');
    // The returned message's Message-ID (folded onto its own line) is among the report's.
    expect(report!.messageIds).toContain('<daily.1.abc@columnwire.example>');
  });

  it('names the address we sent to, not the one it was forwarded to', () => {
    const dsn = postfixDsn([['jane@old-isp.example', 'failed', '5.1.1', '550 5.1.1 user unknown, no such mailbox here at all']]).replace(
      'Original-Recipient: rfc822;jane@old-isp.example',
      'Original-Recipient: rfc822;jane@example.org',
    );
    expect(readBounce(dsn)!.recipients).toEqual([expect.objectContaining({ address: 'jane@example.org', hard: true })]);
  });

  it('reads a status part sent in base64', () => {
    const report = readBounce(
      postfixDsn([['gone@example.org', 'failed', '5.1.1', '550 5.1.1 user unknown, no such mailbox at all']], 'base64'),
    );
    expect(report!.recipients).toEqual([expect.objectContaining({ address: 'gone@example.org', hard: true })]);
  });

  it.each(['8bit', 'base64'] as const)(
    'reads the UTF-8 address of a global report (RFC 6533) sent %s, from the bytes as received',
    (encoding) => {
      const bytes = Buffer.from(globalDsn('jörg@bücher.example', '<daily.1.abc@columnwire.example>', encoding), 'utf8');
      expect(readBounce(bytes)!.recipients).toEqual([expect.objectContaining({ address: 'jörg@bücher.example', hard: true })]);
      expect(readBounce(bytes)!.messageIds).toContain('<daily.1.abc@columnwire.example>');
    },
  );

  it('keeps a plain report read from bytes as latin1: a stray byte is one character, as it came', () => {
    const dsn = postfixDsn([['gone@example.org', 'failed', '5.1.1', '550 5.1.1 user unknown: utilisateur inconnu ici']]);
    const bytes = Buffer.from(dsn.replace('inconnu ici', 'inconnu ic\u00e9'), 'latin1');
    expect(readBounce(bytes)!.recipients).toEqual([
      expect.objectContaining({ address: 'gone@example.org', hard: true, diagnostic: expect.stringContaining('inconnu icé') }),
    ]);
  });

  it("reads qmail's plain-text bounce: each <address>: paragraph, its status from (#x.y.z) or the remote reply", () => {
    const qmail = [
      'Return-Path: <>',
      'Date: 3 Dec 2026 07:00:05 -0000',
      'From: MAILER-DAEMON@mx.example.net',
      'To: digest@columnwire.example',
      'Subject: failure notice',
      '',
      'Hi. This is the qmail-send program at mx.example.net.',
      "I'm afraid I wasn't able to deliver your message to the following addresses.",
      "This is a permanent error; I've given up. Sorry it didn't work out.",
      '',
      '<Gone@Example.org>:',
      '192.0.2.25 does not like recipient.',
      'Remote host said: 550 5.1.1 <gone@example.org>: Recipient address rejected: User unknown in virtual mailbox table',
      'Giving up on 192.0.2.25.',
      '',
      '<local@example.net>:',
      'Sorry, no mailbox here by that name. (#5.1.1)',
      '',
      '<full@example.net>:',
      'The users mailfolder is over the allowed quota (size). (#5.2.2)',
      '',
      '<old@example.com>:',
      '198.51.100.7 does not like recipient.',
      'Remote host said: 550 Requested action not taken: mailbox unavailable',
      'Giving up on 198.51.100.7.',
      '',
      '<spam@example.com>:',
      'Remote host said: 554 5.7.1 Message rejected as spam',
      '',
      // An IP address ending in 250 is no reply code: the reply is what qmail quotes.
      '<nouser@example.com>:',
      '192.0.2.250 does not like recipient.',
      'Remote host said: 550 No such user here',
      'Giving up on 192.0.2.250.',
      '',
      // A check of our own sender address failed: the quoted 5.1.1 is about our address, not theirs.
      '<verify@example.com>:',
      '203.0.113.9 does not like recipient.',
      'Remote host said: 550-Verification failed for <digest@columnwire.example>',
      '550-Called:   198.51.100.1',
      '550-Response: 550 5.1.1 <digest@columnwire.example>: User unknown',
      '550 Sender verify failed',
      'Giving up on 203.0.113.9.',
      '',
      '--- Below this line is a copy of the message.',
      '',
      'Return-Path: <digest@columnwire.example>',
      'Message-ID: <daily.7.xyz@columnwire.example>',
      'Subject: Your daily columns',
      '',
      '<innocent@example.org>:',
      'Sorry, no mailbox here by that name. (#5.1.1)',
    ].join('\n');
    const report = readBounce(qmail);
    expect(report!.recipients.map(({ address, status, hard }) => [address, status, hard])).toEqual([
      ['gone@example.org', '5.1.1', true],
      ['local@example.net', '5.1.1', true],
      ['full@example.net', '5.2.2', false],
      ['old@example.com', '5.0.0', true],
      ['spam@example.com', '5.7.1', false],
      ['nouser@example.com', '5.0.0', true],
      ['verify@example.com', '5.0.0', false],
    ]);
    expect(report!.recipients[0]!.diagnostic).toBe(
      '192.0.2.25 does not like recipient. Remote host said: 550 5.1.1 <gone@example.org>: Recipient address rejected: User unknown in virtual mailbox table Giving up on 192.0.2.25.',
    );
    expect(report!.messageIds).toContain('<daily.7.xyz@columnwire.example>');
    // Without "permanent error" nothing is a hard bounce; without the opening, it is no bounce.
    const softened = readBounce(qmail.replace("This is a permanent error; I've given up.", 'I will keep trying.'));
    expect(softened!.recipients.every((recipient) => !recipient.hard)).toBe(true);
    expect(readBounce(qmail.replace('Hi. This is the qmail-send program', 'Hello from'))).toBeNull();
  });

  it('stays linear on a hostile qmail bounce', () => {
    const opening = "Hi. This is the qmail-send program at x.\nThis is a permanent error; I've given up.\n\n";
    for (const body of [
      `<${'a'.repeat(400_000)}@b>:\n`,
      '<a@b>:\n'.repeat(100_000),
      `<a@b>:\n${'550 '.repeat(200_000)}`,
      '(#5.'.repeat(200_000),
    ]) {
      expect(() => readBounce(opening + body)).not.toThrow();
    }
  });

  it('finds nothing in what is not a DSN, however it looks', () => {
    expect(readBounce('Subject: hello\r\n\r\nFinal-Recipient: rfc822; a@example.org\r\nAction: failed\r\nStatus: 5.1.1\r\n')).toBeNull();
    expect(readBounce('')).toBeNull();
    expect(
      readBounce('Content-Type: message/delivery-status\r\n\r\nFinal-Recipient: rfc822; not an address\r\nStatus: 5.1.1\r\n'),
    ).toBeNull();
    expect(readBounce('Content-Type: message/delivery-status\r\n\r\nFinal-Recipient: rfc822; a@b.example\r\nStatus: 9.9\r\n')).toBeNull();
  });

  it('stays linear on hostile input', () => {
    const hostile = [
      `Content-Type: message/delivery-status\n\n${'\n \t'.repeat(300_000)}`,
      `Content-Type: message/delivery-status\n\n${'Final-Recipient: rfc822; a@b.example\n '.repeat(50_000)}`,
      `Content-Type: message/delivery-status\n${' '.repeat(500_000)}`,
      `${'content-type: message/delivery-status'.repeat(20_000)}`,
      `Content-Type: message/delivery-status\n\n${';'.repeat(500_000)}:${'<'.repeat(100_000)}`,
      `Content-Type: message/delivery-status\n\nFinal-Recipient: rfc822; a@b.example\nStatus: 5.1.1\n\n${'Message-ID: <'.repeat(60_000)}`,
    ];
    for (const text of hostile) expect(() => readBounce(text)).not.toThrow();
  });
});

describe('columnwire subscribers bounce', () => {
  it('counts the bounce of each copy once, across copies a relay accepted; at the threshold the address gets nothing more', async () => {
    const digestApp = await startDigestApp({
      root,
      digests: `  - id: daily\n    to: [gone@example.org, fine@example.org]\n    maxAgeHours: 8760\n`,
    });
    // A relay: it accepts every copy; the dead mailbox's server bounces them later, by mail.
    const smtp = await smtpServerForTest();
    const cli = (args: string[], input?: string) =>
      runCli(['--config', digestApp.configPath, '--data', digestApp.dataDir, 'subscribers', ...args], input === undefined ? {} : { input });
    const sendDay = async (day: number) => {
      digestApp.advance(24 * 3600_000);
      await digestApp.save('jane', [column(`d${day}`, digestApp.clock.now, 1)]);
      await digestApp.run('daily', smtp.url);
      return smtp.messagesTo('gone@example.org').at(-1)!.parsed.messageId!;
    };
    const bounceOf = (messageId: string) =>
      postfixDsn(
        [
          ['gone@example.org', 'failed', '5.1.1', '550 5.1.1 <gone@example.org>: Recipient address rejected: User unknown'],
          ['fine@example.org', 'delayed', '4.4.1', 'connect to mx.example.org: Connection timed out now'],
        ],
        '7bit',
        messageId,
      );
    const file = join(digestApp.dataDir, '..', 'bounce.eml');

    writeFileSync(file, bounceOf(await sendDay(1)));
    const first = await cli(['bounce', file]);
    expect(first).toMatchObject({ code: 0 });
    expect(first.stdout).toMatch(/^gone@example\.org: failed 5\.1\.1: 550 5\.1\.1 .*User unknown \(counted\)$/m);
    expect(first.stdout).toMatch(/^fine@example\.org: delayed 4\.4\.1: .*not counted/m);
    // The MTA delivers the same report twice: counted once.
    expect((await cli(['bounce'], readFileSync(file, 'utf8'))).stdout).toContain('counted already');
    // A forged report, naming no copy we sent: not counted.
    expect((await cli(['bounce', '-'], bounceOf('<forged@attacker.example>'))).stdout).toMatch(/gone@example\.org: .*not counted/);

    expect((await cli(['bounce'], bounceOf(await sendDay(2)))).stdout).toMatch(/gone@example\.org: .*\(counted\)/);
    const third = await cli(['bounce'], bounceOf(await sendDay(3)));
    expect(third.stdout).toMatch(/gone@example\.org: .*bouncing now, after 3 reported/);

    const listed = JSON.parse((await cli(['list', '--bouncing', '--json'])).stdout) as Array<{
      address: string;
      failures: string;
      bouncing: string | null;
      error: string;
    }>;
    expect(listed).toEqual([
      expect.objectContaining({
        address: 'gone@example.org',
        failures: '3',
        bouncing: expect.any(String),
        error: expect.stringMatching(/^bounce report: /),
      }),
    ]);
    const before = smtp.messagesTo('gone@example.org').length;
    digestApp.advance(24 * 3600_000);
    await digestApp.save('jane', [column('after-bounces', digestApp.clock.now, 1)]);
    await digestApp.run('daily', smtp.url);
    expect(smtp.messagesTo('gone@example.org')).toHaveLength(before);
    expect(smtp.messagesTo('fine@example.org')).toHaveLength(4);
    // The bounced copies are recorded as failed, with the report's reason.
    const deliveries = await digestApp.app.store.deliveries((await digestApp.app.store.latestDigestRun('daily'))!.id - 1);
    expect(deliveries.find((delivery) => delivery.address === 'gone@example.org')).toMatchObject({ status: 'failed' });
  }, 60_000);

  it('counts a UTF-8 report (RFC 6533) for an internationalised address, sent 8bit in a file or in base64 on stdin', async () => {
    const digestApp = await startDigestApp({ root, digests: `  - id: daily\n    to: fine@example.org\n    maxAgeHours: 8760\n` });
    const idn = 'jörg@bücher.example';
    await digestApp.app.store.addSubscribers('daily', [{ address: idn, name: null }], digestApp.clock.now);
    await digestApp.save('jane', [column('d1', digestApp.clock.now, 1)]);
    await digestApp.run('daily', null);
    const runId = (await digestApp.app.store.latestDigestRun('daily'))!.id;
    const sent = (await digestApp.app.store.deliveries(runId)).find((delivery) => delivery.address === idn)!;
    expect(sent.status).toBe('sent');
    const cli = (args: string[], input?: string) =>
      runCli(['--config', digestApp.configPath, '--data', digestApp.dataDir, 'subscribers', ...args], input === undefined ? {} : { input });
    const file = join(digestApp.dataDir, '..', 'idn-bounce.eml');
    writeFileSync(file, globalDsn(idn, sent.messageId, '8bit'), 'utf8');
    const counted = await cli(['bounce', file]);
    expect(counted.code).toBe(0);
    expect(counted.stdout).toBe(`${idn}: failed 5.1.1: 550 5.1.1 user unknown (counted)\n`);
    // The same report in base64: read alike, and the same copy, so not counted again.
    expect((await cli(['bounce'], globalDsn(idn, sent.messageId, 'base64'))).stdout).toBe(
      `${idn}: failed 5.1.1: 550 5.1.1 user unknown (this copy was counted already; not again)\n`,
    );
    expect(await digestApp.app.store.listBounces()).toEqual([expect.objectContaining({ address: idn, bouncingSince: null })]);
  }, 60_000);

  it.each([
    ['an internationalised domain, reported in its ASCII form', 'anna@bücher.example', 'anna@xn--bcher-kva.example'],
    ['an ASCII-form domain, reported in its Unicode form', 'anna@xn--bcher-kva.example', 'anna@bücher.example'],
  ])(
    'counts the bounce of a copy to %s (a relay without SMTPUTF8 delivers to that form)',
    async (_, subscribed, reported) => {
      const digestApp = await startDigestApp({ root, digests: `  - id: daily\n    to: fine@example.org\n    maxAgeHours: 8760\n` });
      await digestApp.app.store.addSubscribers('daily', [{ address: subscribed, name: null }], digestApp.clock.now);
      await digestApp.save('jane', [column('d1', digestApp.clock.now, 1)]);
      await digestApp.run('daily', null);
      const runId = (await digestApp.app.store.latestDigestRun('daily'))!.id;
      const sent = (await digestApp.app.store.deliveries(runId)).find((delivery) => delivery.address === subscribed)!;
      const dsn = reported.includes('ü')
        ? globalDsn(reported, sent.messageId, '8bit')
        : postfixDsn([[reported, 'failed', '5.1.1', '550 5.1.1 <anna>: Recipient address rejected: User unknown']], '7bit', sent.messageId);

      const read = await runCli(['--config', digestApp.configPath, '--data', digestApp.dataDir, 'subscribers', 'bounce'], { input: dsn });

      expect(read.stdout).toMatch(new RegExp(`^${reported.replace(/[.]/g, '\\.')}: failed 5\\.1\\.1: .*\\(counted\\)$`, 'm'));
      expect(await digestApp.app.store.listBounces()).toEqual([expect.objectContaining({ address: subscribed, bouncingSince: null })]);
      expect((await digestApp.app.store.deliveries(runId)).find((delivery) => delivery.address === subscribed)).toMatchObject({
        status: 'failed',
      });
    },
    60_000,
  );

  it('exits 75 (try again later) when the config is broken, so the MTA keeps the report until it is fixed', async () => {
    const digestApp = await startDigestApp({ root, digests: `  - id: daily\n    to: gone@example.org\n` });
    writeFileSync(digestApp.configPath, `${readFileSync(digestApp.configPath, 'utf8')}\nbaseUrl: [half-written\n`);
    const result = await runCli(['--config', digestApp.configPath, '--data', digestApp.dataDir, 'subscribers', 'bounce'], {
      input: postfixDsn([['gone@example.org', 'failed', '5.1.1', 'smtp; 550 5.1.1 no such user']]),
    });
    expect(result.stderr).toContain('fix the config, the mail server delivers it again (exit 75)');
    expect(result.stderr).toMatch(/^subscribers bounce: config: [^]*feeds\.yaml:\d+: /);
    expect(result.code).toBe(75);
  }, 60_000);

  it('exits 75 (try again later) when PostgreSQL cannot be reached, so the MTA keeps the report', async () => {
    const digestApp = await startDigestApp({ root, digests: `  - id: daily\n    to: gone@example.org\n` });
    const down = (await closedPortUrl('/columnwire')).replace(/^http:/, 'postgres:');
    const result = await runCli(['--config', digestApp.configPath, '--data', digestApp.dataDir, 'subscribers', 'bounce'], {
      input: postfixDsn([['gone@example.org', 'failed', '5.1.1', 'smtp; 550 5.1.1 no such user']]),
      env: { COLUMNWIRE_DATABASE_URL: down },
    });
    expect(result.stderr).toContain('subscribers bounce: the database is unavailable; try again later (exit 75)');
    expect(result.code).toBe(75);
  }, 60_000);

  it('answers a message that is no DSN with exit 0 and records nothing; a missing file is exit 2', async () => {
    const digestApp = await startDigestApp({ root, digests: `  - id: daily\n    to: gone@example.org\n` });
    const cli = (args: string[], input?: string) =>
      runCli(['--config', digestApp.configPath, '--data', digestApp.dataDir, 'subscribers', ...args], input === undefined ? {} : { input });
    const notDsn = await cli(['bounce'], 'Subject: out of office\r\n\r\nI am away until Monday.\r\n');
    expect(notDsn.code).toBe(0);
    expect(notDsn.stderr).toContain('stdin holds no delivery status report (RFC 3464); nothing recorded');
    const missing = await cli(['bounce', '/nonexistent/bounce.eml']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read \/nonexistent\/bounce\.eml: .*ENOENT/);
    expect((await cli(['list', '--bouncing', '--csv'])).stdout).toBe('address,failures,bouncing,last,error\n');
  }, 60_000);

  it("prints a report's control characters as escapes, never raw", async () => {
    const digestApp = await startDigestApp({ root, digests: '  - id: daily\n    to: [gone@example.org]\n' });
    const dsn = postfixDsn(
      [['gone@example.org', 'failed', '5.7.1', '550 5.7.1 \u001b]0;pwned\u0007\u001b[2J refused']],
      '7bit',
      '<forged@attacker.example>',
    );
    const read = await runCli(['--config', digestApp.configPath, '--data', digestApp.dataDir, 'subscribers', 'bounce'], { input: dsn });
    expect(read.code).toBe(0);
    // eslint-disable-next-line no-control-regex -- control characters are what must not be printed
    expect(read.stdout).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f\u202a-\u202e]/);
    expect(read.stdout).toContain('550 5.7.1 \\x1b]0;pwned\\x07\\x1b[2J');
  }, 60_000);
});
