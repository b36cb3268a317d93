/**
 * A relay that refuses a digest as too large (Postfix's message_size_limit): the copies at
 * least as large are failed without being sent for a while, smaller ones are still tried, and
 * a full mailbox (552 to RCPT TO) is one recipient's matter. A real smtp-server plays the relay.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { createMailer, SIZE_REFUSAL_HELD_MS, type OutgoingMessage } from '../../src/digest/send-digest.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const LIMIT = 20_000;

async function relay() {
  const seen: string[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onRcptTo(address, _session, callback) {
      if (address.address.startsWith('full@'))
        return callback(
          Object.assign(new Error('5.2.2 <full@example.org>: Mailbox full; size of mailbox exceeds quota'), { responseCode: 552 }),
        );
      callback();
    },
    onData(stream, session, callback) {
      let bytes = 0;
      stream.on('data', (chunk: Buffer) => (bytes += chunk.length));
      stream.on('end', () => {
        seen.push(`${session.envelope.rcptTo[0]!.address} ${bytes > LIMIT ? 'refused' : 'taken'}`);
        callback(bytes > LIMIT ? Object.assign(new Error('5.3.4 Error: message file too big'), { responseCode: 552 }) : null);
      });
    },
  });
  server.on('error', () => {});
  server.listen(0, '127.0.0.1');
  await once(server.server, 'listening');
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const mailer = createMailer({
    from: 'digest@columns.example.net',
    smtpUrl: `smtp://127.0.0.1:${(server.server.address() as AddressInfo).port}`,
    outboxDir: makeTempDir(),
  });
  onTestFinished(() => mailer.close());
  return { mailer, seen };
}

const copy = (to: string, bytes: number): OutgoingMessage => ({
  to,
  subject: 'Columns of the day',
  html: `<p>${'x'.repeat(bytes)}</p>`,
  text: 'x'.repeat(bytes),
  messageId: `<${to}.${bytes}@columns.example.net>`,
  date: new Date('2025-06-02T08:00:00Z'),
  headers: {},
});

afterEach(() => void vi.useRealTimers());

describe('a relay that refuses a copy as too large', () => {
  it('fails the copies at least as large without sending them, tries smaller ones, and tries again after a while', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: new Date('2025-06-02T08:00:00Z') });
    const { mailer, seen } = await relay();
    const refused = await mailer.send(copy('ann@example.org', 12_000));
    expect(refused).toMatchObject({ kind: 'permanent', mailbox: false, error: expect.stringMatching(/552 5\.3\.4 .*maxItems/) });
    // As large, or larger: refused here with the relay's words, never sent.
    for (const [to, bytes] of [
      ['bob@example.org', 12_000],
      ['cy@example.org', 15_000],
    ] as const) {
      expect(await mailer.send(copy(to, bytes))).toMatchObject({
        kind: 'permanent',
        mailbox: false,
        error: expect.stringMatching(
          /552 5\.3\.4 .*maxItems.*; not sent: this copy \(\d+ bytes of text\) is no smaller than one the relay refused/,
        ),
      });
    }
    // Smaller, though still over the limit: tried, refused, and the bar drops to it.
    expect((await mailer.send(copy('dee@example.org', 11_000))).kind).toBe('permanent');
    expect(await mailer.send(copy('eve@example.org', 11_500))).toMatchObject({ error: expect.stringMatching(/not sent/) });
    // Small enough: sent.
    expect(await mailer.send(copy('fay@example.org', 1_000))).toEqual({ kind: 'sent' });
    expect(seen).toEqual(['ann@example.org refused', 'dee@example.org refused', 'fay@example.org taken']);
    // Later (the relay's limit may have been raised), a large copy is tried again.
    vi.setSystemTime(Date.now() + SIZE_REFUSAL_HELD_MS);
    expect((await mailer.send(copy('gus@example.org', 12_000))).kind).toBe('permanent');
    expect(seen.at(-1)).toBe('gus@example.org refused');
  });

  it('reads a 552 to RCPT TO (a full mailbox) as that recipient’s, and sends a copy as large to the next', async () => {
    const { mailer, seen } = await relay();
    expect(await mailer.send(copy('full@example.org', 5_000))).toMatchObject({
      kind: 'permanent',
      error: expect.stringMatching(/Mailbox full/),
    });
    expect(await mailer.send(copy('ann@example.org', 5_000))).toEqual({ kind: 'sent' });
    expect(seen).toEqual(['ann@example.org taken']);
  });
});
