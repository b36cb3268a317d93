/**
 * A single process sends a run a page of pending copies at a time (1,000): a run larger than a
 * page reaches every reader once, the report counts every copy, and a copy left pending by a
 * refusal in the first page is not tried again within the same attempt.
 */
import { describe, expect, it } from 'vitest';
import { column, DIGEST_NOW, startDigestApp } from '../helpers/digest-app.ts';
import { smtpServerForTest } from '../helpers/smtp-server.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const root = makeTempDir();
const READERS = 1_234;
const address = (index: number) => `reader${String(index).padStart(5, '0')}@example.org`;

describe('a run larger than a page of copies', () => {
  it('reaches every reader once, counts every copy, and tries a refused copy once per attempt', async () => {
    const refusedOnce = address(10);
    const smtp = await smtpServerForTest({
      rejectRecipient: (to) => (to === refusedOnce ? { code: 451, message: '4.2.1 mailbox busy, try later' } : null),
    });
    const digestApp = await startDigestApp({ root, digests: '  - id: daily\n    to: [first@example.org]\n' });
    const { store } = digestApp.app;
    await store.addSubscribers(
      'daily',
      Array.from({ length: READERS }, (_, index) => ({ address: address(index), name: null })),
      DIGEST_NOW,
    );
    await digestApp.save('jane', [column('j1', DIGEST_NOW, 1, { title: 'The budget is a fiction' })]);

    const [report] = (await digestApp.run('daily', smtp.url)).runs;
    expect(report).toMatchObject({ sent: READERS, failed: 0, pending: 1, sending: 0, done: false });
    await smtp.settled();
    const recipients = smtp.messages.map((message) => message.rcptTo[0]);
    expect(recipients).toHaveLength(READERS);
    expect(new Set(recipients).size).toBe(READERS);
    expect(recipients).not.toContain(refusedOnce);
    // Tried with its in-run retries, then left for the next attempt: not once per later page.
    const tries = smtp.rcptAttempts.get(refusedOnce)!;
    expect(tries).toBeGreaterThan(0);
    expect(tries).toBeLessThanOrEqual(3);

    // The next attempt sends it, and the run finishes.
    smtp.options.rejectRecipient = () => null;
    const [again] = (await digestApp.run('daily', smtp.url)).runs;
    expect(again).toMatchObject({ runId: report!.runId, sent: READERS + 1, pending: 0, done: true });
    await smtp.settled();
    expect(smtp.messagesTo(refusedOnce)).toHaveLength(1);
  }, 120_000);
});
