/**
 * The digest message figures of the stats (/metrics, `columnwire stats`) on both backends: a
 * finished run keeps its copies' counts, a bounce report moves a copy to failed there too, and
 * the open runs' deliveries are counted; the sums are what counting every delivery gives.
 */
import { describe, expect, it } from 'vitest';
import type { Store } from '../../src/storage/store.ts';
import { plannedRun } from '../helpers/planned-run.ts';
import { storeBackends } from '../helpers/store-backends.ts';

const NOW = new Date('2026-12-01T07:00:00Z');

const newRun = (subject: string, afterRunId: number, addresses: readonly string[]) => plannedRun(subject, afterRunId, NOW, addresses);

/** Sends each copy of `runId` with the status given for its address. */
async function send(store: Store, runId: number, results: Record<string, 'sent' | 'failed'>) {
  for (const [address, status] of Object.entries(results)) {
    const claim = (await store.claimDelivery(runId, address, NOW))!;
    expect(await store.markDelivery(claim, status, { sentAt: NOW, attempts: 1 })).toBe(true);
  }
}

const figures = async (store: Store) => (await store.readStats()).digestMessages;

describe.each(storeBackends)('digest message figures, $name store', (backend) => {
  it('keeps a finished run’s counts, moves a bounced copy to failed, and adds the open runs’ deliveries', async () => {
    const location = await backend.newLocation();
    const store = await backend.open(location);
    const readers = ['a@example.org', 'b@example.org', 'c@example.org'];
    const first = await store.claimDigestRun(newRun('monday', 0, readers));
    if (first.kind !== 'created') throw new Error('the first run was not created');
    expect(await figures(store)).toEqual([{ digestId: 'daily', status: 'pending', count: 3 }]);

    await send(store, first.run.id, { 'a@example.org': 'sent', 'b@example.org': 'sent', 'c@example.org': 'failed' });
    const sentTwice = [
      { digestId: 'daily', status: 'failed', count: 1 },
      { digestId: 'daily', status: 'sent', count: 2 },
    ];
    expect(await figures(store)).toEqual(sentTwice);
    expect(await store.finishDigestRunIfDone(first.run.id, NOW)).toBe(true);
    expect(await figures(store)).toEqual(sentTwice);
    // The finished run's figures are its own now: they stand without its deliveries.
    await backend.exec(location, `DELETE FROM digest_deliveries WHERE address = 'b@example.org'`);
    expect(await figures(store)).toEqual(sentTwice);

    // A bounce report on a sent copy moves it, once; one on the failed copy moves nothing.
    expect(await store.recordBounceReport('a@example.org', ['<monday.a@x>'], '5.1.1 user unknown', NOW, 3)).toBe('counted');
    expect(await store.recordBounceReport('a@example.org', ['<monday.a@x>'], '5.1.1 user unknown', NOW, 3)).toBe('duplicate');
    expect(await store.recordBounceReport('c@example.org', ['<monday.c@x>'], '5.1.1 user unknown', NOW, 3)).toBe('counted');
    const bounced = [
      { digestId: 'daily', status: 'failed', count: 2 },
      { digestId: 'daily', status: 'sent', count: 1 },
    ];
    expect(await figures(store)).toEqual(bounced);

    // An open run's deliveries are counted as they are, and added.
    const second = await store.claimDigestRun(newRun('tuesday', first.run.id, readers));
    if (second.kind !== 'created') throw new Error('the second run was not created');
    await send(store, second.run.id, { 'a@example.org': 'sent' });
    expect(await figures(store)).toEqual([
      { digestId: 'daily', status: 'failed', count: 2 },
      { digestId: 'daily', status: 'pending', count: 2 },
      { digestId: 'daily', status: 'sent', count: 2 },
    ]);
    await store.close();
  });
});
