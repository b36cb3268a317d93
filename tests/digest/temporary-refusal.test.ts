/**
 * A recipient whose server keeps answering 4xx (a mailbox over quota, endless greylisting) is
 * given up on as an MTA does (RFC 5321 §4.5.4.1: after 4-5 days): the copy fails, its run
 * finishes, and the reader is not sent a week of stale digests once the mailbox takes mail
 * again. A relay that cannot be reached at all still loses nothing, however long it is down.
 */
import { describe, expect, it } from 'vitest';
import { column, startDigestApp } from '../helpers/digest-app.ts';
import { closedSmtpUrl, smtpServerForTest } from '../helpers/smtp-server.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const root = makeTempDir();
const DAY = 24 * 3600_000;
const DIGESTS = '  - id: daily\n    to: [ann@example.org, full@example.org]\n';

describe('a recipient refused with 4xx day after day', () => {
  it('fails its copy 5 days after the run, finishes the run, and never sends the stale digests later', async () => {
    const digestApp = await startDigestApp({ root, digests: DIGESTS });
    let full = true;
    const smtp = await smtpServerForTest({
      rejectRecipient: (address) => (full && address === 'full@example.org' ? { code: 452, message: '4.2.2 Mailbox full' } : null),
    });
    const runIds: number[] = [];
    for (let day = 1; day <= 7; day++) {
      await digestApp.save('jane', [column(`d${day}`, digestApp.clock.now, 1)]);
      const result = await digestApp.run('daily', smtp.url);
      runIds.push(result.runs.at(-1)!.runId);
      digestApp.advance(DAY);
    }
    // Day 7 is 6 days after the first run and 5 after the second: both are given up on, and done.
    const runs = await digestApp.app.store.listDigestRuns('daily', 10);
    const statusOf = (runId: number) => runs.find((run) => run.id === runId)!.status;
    expect(runIds.map(statusOf)).toEqual(['done', 'done', 'sending', 'sending', 'sending', 'sending', 'sending']);
    const first = (await digestApp.app.store.deliveries(runIds[0]!)).find((delivery) => delivery.address === 'full@example.org')!;
    expect(first.status).toBe('failed');
    expect(first.lastError).toMatch(/452 4\.2\.2 Mailbox full.*given up/);
    expect(await digestApp.app.store.listBounces()).toEqual([]); // a full mailbox says nothing against the address

    // The mailbox takes mail again: it gets the runs of the last 5 days, not the ones given up on.
    full = false;
    await digestApp.run('daily', smtp.url);
    expect(smtp.messagesTo('full@example.org')).toHaveLength(5);
    expect(smtp.messagesTo('ann@example.org')).toHaveLength(7);
  }, 120_000);

  it('keeps a copy pending past 5 days while the relay cannot be reached at all', async () => {
    const digestApp = await startDigestApp({ root, digests: DIGESTS });
    await digestApp.save('jane', [column('d1', digestApp.clock.now, 1)]);
    const down = await closedSmtpUrl();
    const first = await digestApp.run('daily', down);
    const runId = first.runs[0]!.runId;
    digestApp.advance(6 * DAY);
    await digestApp.run('daily', down);
    for (const delivery of await digestApp.app.store.deliveries(runId)) expect(delivery.status).toBe('pending');
    const smtp = await smtpServerForTest();
    await digestApp.run('daily', smtp.url);
    expect(smtp.messagesTo('full@example.org')).toHaveLength(1);
  });
});
