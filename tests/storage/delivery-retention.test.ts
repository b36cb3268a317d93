/**
 * Retention of digest copies on both backends: pruneDeliveries deletes the per-recipient rows
 * of the runs finished before the cut-off, across batches, and nothing else; the runs stay
 * with their counts, so the stats and `digest --status` figures do not move; a bounce for a
 * pruned copy is one the store no longer knows.
 */
import { describe, expect, it } from 'vitest';
import type { Store } from '../../src/storage/store.ts';
import { plannedRun } from '../helpers/planned-run.ts';
import { storeBackends, type StoreBackend } from '../helpers/store-backends.ts';

const DAY = 86_400_000;
const START = new Date('2026-10-01T07:00:00Z');
const at = (days: number) => new Date(START.getTime() + days * DAY);

/** Marks every copy of `runId` sent (the `failed` first by address failed, with an error), then finishes the run at `finishedAt`. */
async function sendAll(backend: StoreBackend, location: string, store: Store, runId: number, finishedAt: Date, failed = 0) {
  const ms = finishedAt.getTime();
  await backend.exec(location, `UPDATE digest_deliveries SET status = 'sent', attempts = 1, sent_at = ${ms} WHERE run_id = ${runId}`);
  await backend.exec(
    location,
    `UPDATE digest_deliveries SET status = 'failed', last_error = '550 5.1.1 no such user'
     WHERE run_id = ${runId} AND address IN (SELECT address FROM digest_deliveries WHERE run_id = ${runId} ORDER BY address LIMIT ${failed})`,
  );
  expect(await store.finishDigestRunIfDone(runId, finishedAt)).toBe(true);
}

const addressesOf = (count: number, tag: string) =>
  Array.from({ length: count }, (_, index) => `${tag}${String(index).padStart(5, '0')}@example.org`);

describe.each(storeBackends)('digest copies retention, $name store', (backend) => {
  it('deletes the copies of runs finished before the cut-off, keeping the runs, their counts and the open runs’ copies', async () => {
    const location = await backend.newLocation();
    const store = await backend.open(location);
    // Larger than one batch of either backend (5,000 and 20,000), so the batches are walked.
    const many = addressesOf(20_500, 'r');
    const old = await store.claimDigestRun(plannedRun('old', 0, at(0), many));
    if (old.kind !== 'created') throw new Error('the old run was not created');
    await sendAll(backend, location, store, old.run.id, at(0), 3);
    const recent = await store.claimDigestRun(plannedRun('recent', old.run.id, at(25), ['a@example.org', 'b@example.org']));
    if (recent.kind !== 'created') throw new Error('the recent run was not created');
    await sendAll(backend, location, store, recent.run.id, at(25));
    // A run still sending, older than the cut-off: its copies are owed, never pruned.
    const open = await store.claimDigestRun(plannedRun('open', recent.run.id, at(1), ['c@example.org']));
    if (open.kind !== 'created') throw new Error('the open run was not created');

    const stats = (await store.readStats()).digestMessages;
    expect(await store.deliveryCounts(old.run.id)).toEqual({ sent: 20_497, failed: 3 });
    expect((await store.deliveryErrors(old.run.id, 2)).map((copy) => [copy.address, copy.lastError])).toEqual([
      ['r00000@example.org', '550 5.1.1 no such user'],
      ['r00001@example.org', '550 5.1.1 no such user'],
    ]);
    expect(await store.pruneDeliveries(at(0))).toBe(0); // finished at the cut-off, not before it

    expect(await store.pruneDeliveries(at(20))).toBe(20_500);
    expect(await store.deliveries(old.run.id)).toEqual([]);
    expect((await store.deliveries(recent.run.id)).map((copy) => copy.status)).toEqual(['sent', 'sent']);
    expect((await store.deliveries(open.run.id)).map((copy) => copy.status)).toEqual(['pending']);
    expect((await store.listDigestRuns('daily', 10)).map((run) => run.subject)).toEqual(['open', 'recent', 'old']);
    expect(await store.deliveryCounts(old.run.id)).toEqual({ sent: 20_497, failed: 3 });
    expect(await store.deliveryErrors(old.run.id, 20)).toEqual([]);
    expect((await store.readStats()).digestMessages).toEqual(stats);
    expect(await store.pruneDeliveries(at(20))).toBe(0);

    // A bounce returning a pruned copy's Message-ID matches nothing now.
    expect(await store.recordBounceReport('r00042@example.org', ['<old.r00042@x>'], '5.1.1 user unknown', at(31), 3)).toBe('unknown');
    // The open run's counts are its deliveries counted, until it finishes.
    expect(await store.deliveryCounts(open.run.id)).toEqual({ pending: 1 });
    await store.close();
  }, 120_000);

  it('lists the failed copies’ errors before the pending and the skipped ones', async () => {
    const location = await backend.newLocation();
    const store = await backend.open(location);
    const created = await store.claimDigestRun(plannedRun('run', 0, START, ['a@example.org', 'm@example.org', 'z@example.org']));
    if (created.kind !== 'created') throw new Error('the run was not created');
    const id = created.run.id;
    const set = (address: string, status: string, error: string) =>
      backend.exec(location, `UPDATE digest_deliveries SET status = ?, last_error = ? WHERE run_id = ? AND address = ?`, [
        status,
        error,
        id,
        address,
      ]);
    await set('a@example.org', 'skipped', 'nothing this reader chose is in this run');
    await set('m@example.org', 'pending', '421 try again later');
    await set('z@example.org', 'failed', '550 5.1.1 no such user');
    expect((await store.deliveryErrors(id, 3)).map((copy) => copy.address)).toEqual(['z@example.org', 'm@example.org', 'a@example.org']);
    await store.close();
  });
});
