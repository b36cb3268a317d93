import { describe, expect, it, onTestFinished } from 'vitest';
import { databasePath } from '../../src/app.ts';
import { runDigest } from '../../src/digest/run-digest.ts';
import type { Mailer, SendOutcome } from '../../src/digest/send-digest.ts';
import { createSqliteStore } from '../../src/storage/sqlite/sqlite-store.ts';
import { STALE_CLAIM_MS } from '../../src/storage/store.ts';
import { column, DIGEST_NOW, startDigestApp } from '../helpers/digest-app.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const root = makeTempDir();
const ADDRESS = 'ann@example.org';

/**
 * Sender A's first send attempt waits (A is paused: SIGSTOP, a suspended laptop) until the test
 * lets it go; meanwhile sender B, another store on the same file, takes the claim over as stale
 * and sends. `firstAttempt` is what A's paused attempt then reports.
 */
async function pausedSenderTakenOver(firstAttempt: 'transient' | 'sent') {
  const digestApp = await startDigestApp({ root, digests: `  - id: daily\n    to: [${ADDRESS}]\n` });
  await digestApp.save('jane', [column('j1', DIGEST_NOW, 2)]);
  const deps = await digestApp.deps(null); // the outbox: real .eml files
  const real = deps.mailer;
  const sentByA: string[] = [];
  let paused!: () => void;
  const isPaused = new Promise<void>((resolve) => (paused = resolve));
  let resume!: () => void;
  const resumed = new Promise<void>((resolve) => (resume = resolve));
  let calls = 0;
  const mailer: Mailer = {
    describe: real.describe,
    async send(message): Promise<SendOutcome> {
      if (calls++ === 0) {
        paused();
        await resumed;
        if (firstAttempt === 'transient') return { kind: 'transient', error: '451 4.3.0 try later', connection: false };
      }
      sentByA.push(message.to);
      return real.send(message);
    },
    close: () => real.close(),
  };
  onTestFinished(() => real.close());
  const sending = runDigest(digestApp.digest('daily'), { ...deps, mailer });
  await isPaused;

  const b = createSqliteStore(databasePath(digestApp.dataDir), { claimOwner: 'b.example 1 0b0b0b host' });
  onTestFinished(() => b.close());
  const run = (await b.latestDigestRun('daily'))!;
  const later = new Date(DIGEST_NOW.getTime() + STALE_CLAIM_MS + 60_000);
  const claim = await b.claimDelivery(run.id, ADDRESS, later);
  expect(claim).not.toBeNull();
  // B sends its copy (not modelled: only the record matters here) and records it.
  expect(await b.markDelivery(claim!, 'sent', { sentAt: later, attempts: 1 })).toBe(true);

  resume();
  const result = await sending;
  return { result, sentByA, deliveries: await b.deliveries(run.id) };
}

describe('a sender whose delivery claim was taken over while it was paused', () => {
  it('checks its claim before every send attempt and drops its copy once the claim is lost', async () => {
    const { sentByA, deliveries } = await pausedSenderTakenOver('transient');
    // The retry after the paused attempt would have been a second copy: it never went out.
    expect(sentByA).toEqual([]);
    expect(deliveries).toEqual([expect.objectContaining({ address: ADDRESS, status: 'sent', attempts: 1, lastError: null })]);
  });

  it("ignores the late result of a copy already in flight: B's record stands, nothing is pending again", async () => {
    const { result, sentByA, deliveries } = await pausedSenderTakenOver('sent');
    // At-least-once: the copy A had already handed to SMTP went out (same Message-ID as B's).
    expect(sentByA).toEqual([ADDRESS]);
    const later = new Date(DIGEST_NOW.getTime() + STALE_CLAIM_MS + 60_000);
    expect(deliveries).toEqual([expect.objectContaining({ status: 'sent', attempts: 1, sentAt: later, claimedAt: null })]);
    expect(result.runs).toEqual([expect.objectContaining({ sent: 1, pending: 0, sending: 0, done: true })]);
  });
});
