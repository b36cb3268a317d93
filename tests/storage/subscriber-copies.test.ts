/**
 * A run records a copy for each subscriber who gets the digest now, added by the store itself
 * (both backends): the same addresses, names and Message-IDs as digestRecipients and
 * digestMessageId give in memory, listed recipients first and kept, none unsubscribed (from
 * the digest or from all), paused, bouncing or of another digest.
 */
import { describe, expect, it } from 'vitest';
import { digestMessageId, messageIdFormat } from '../../src/digest/plan-digest.ts';
import { plannedRun } from '../helpers/planned-run.ts';
import { storeBackends } from '../helpers/store-backends.ts';

const NOW = new Date('2026-12-01T07:00:00Z');
const FROM = 'Columns <digest@columns.example.net>';

describe.each(storeBackends)('subscriber copies of a run, $name store', (backend) => {
  it('adds every subscriber who gets the digest, with the Message-ID digestMessageId gives, after the listed recipients', async () => {
    const store = await backend.open(await backend.newLocation());
    await store.addSubscribers(
      'daily',
      [
        { address: 'ANN@example.org', name: 'Annie' },
        { address: 'zed@example.org', name: 'Zed Z' },
        { address: 'Émile@Exämple.org', name: 'Émile' },
        { address: 'paused@example.org', name: null },
        { address: 'left@example.org', name: null },
        { address: 'everywhere@example.org', name: null },
        { address: 'bouncing@example.org', name: null },
        { address: 'o’brien+tag@example.org', name: 'O’Brien' },
      ],
      NOW,
    );
    await store.addSubscribers('weekly', [{ address: 'weekly-only@example.org', name: null }], NOW);
    expect(await store.setPreferences('daily', 'paused@example.org', { paused: true })).toBe(true);
    await store.unsubscribe('left@example.org', 'daily', NOW);
    await store.unsubscribe('everywhere@example.org', null, NOW);
    expect(await store.recordPermanentFailure('bouncing@example.org', '550 5.1.1 no such user', NOW, 1)).toBe(true);

    const { prefix, suffix } = messageIdFormat('daily', NOW, FROM);
    const claimed = await store.claimDigestRun({
      ...plannedRun('Columns', 0, NOW, []),
      recipients: [{ address: 'ann@example.org', name: 'Ann', messageId: digestMessageId('daily', NOW, 'ann@example.org', FROM) }],
      subscribers: { messageIdPrefix: prefix, messageIdSuffix: suffix },
    });
    if (claimed.kind !== 'created') throw new Error('the run was not created');
    // By code point here: the order PostgreSQL gives depends on the database's collation.
    const copies = (await store.deliveries(claimed.run.id)).sort((a, b) => (a.address < b.address ? -1 : 1));
    const expected = [
      ['ann@example.org', 'Ann'],
      ['o’brien+tag@example.org', 'O’Brien'],
      ['zed@example.org', 'Zed Z'],
      ['émile@exämple.org', 'Émile'],
    ];
    expect(copies.map((copy) => [copy.address, copy.name])).toEqual(expected);
    expect(copies.map((copy) => copy.messageId)).toEqual(expected.map(([address]) => digestMessageId('daily', NOW, address!, FROM)));
    expect(new Set(copies.map((copy) => copy.status))).toEqual(new Set(['pending']));
    // The same list digestSubscribers gives (what `digest --dry-run` prints), the listed one aside.
    expect((await store.digestSubscribers('daily')).map((subscriber) => subscriber.address).sort()).toEqual(
      expected.map(([address]) => address).sort(),
    );
    await store.close();
  });
});
