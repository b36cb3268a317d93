/** Subscribers kept as data: the same contract on SQLite and on PostgreSQL. */
import { beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../src/storage/store.ts';
import { storeBackends } from '../helpers/store-backends.ts';

const AT = new Date('2026-12-01T09:00:00Z');
const LATER = new Date('2026-12-02T09:00:00Z');

describe.each(storeBackends)('the $name store', (backend) => {
  let store: Store;

  beforeEach(async () => {
    store = await backend.open(await backend.newLocation());
    return () => store.close();
  });

  it('adds subscribers lower-cased, renames a known one, and counts what changed', async () => {
    expect(
      await store.addSubscribers(
        'daily',
        [
          { address: 'Ann@Example.org', name: 'Ann' },
          { address: 'bob@example.org', name: null },
        ],
        AT,
      ),
    ).toEqual({ added: 2, renamed: 0, unchanged: 0 });
    expect(
      await store.addSubscribers(
        'daily',
        [
          { address: 'ann@example.org', name: 'Ann Smith' },
          { address: 'BOB@example.org', name: null },
          { address: 'cy@example.org', name: 'Cy' },
        ],
        LATER,
      ),
    ).toEqual({ added: 1, renamed: 1, unchanged: 1 });
    expect(await store.listSubscribers('daily', { limit: 10 })).toEqual([
      { digestId: 'daily', address: 'ann@example.org', name: 'Ann Smith', addedAt: AT },
      { digestId: 'daily', address: 'bob@example.org', name: null, addedAt: AT },
      { digestId: 'daily', address: 'cy@example.org', name: 'Cy', addedAt: LATER },
    ]);
  });

  it('keeps a known name when none is given, gives a new address none, and clears it when null is given', async () => {
    await store.addSubscribers('daily', [{ address: 'ann@example.org', name: 'Ann' }], AT);
    expect(await store.addSubscribers('daily', [{ address: 'Ann@Example.org' }, { address: 'new@example.org' }], LATER)).toEqual({
      added: 1,
      renamed: 0,
      unchanged: 1,
    });
    expect((await store.listSubscribers('daily', { limit: 10 })).map(({ address, name }) => [address, name])).toEqual([
      ['ann@example.org', 'Ann'],
      ['new@example.org', null],
    ]);
    // Repeated in one call, the last one counts: here, with a name.
    expect(
      await store.addSubscribers('daily', [{ address: 'new@example.org' }, { address: 'new@example.org', name: 'Nu' }], LATER),
    ).toEqual({ added: 0, renamed: 1, unchanged: 1 });
    expect(await store.addSubscribers('daily', [{ address: 'ann@example.org', name: null }], LATER)).toEqual({
      added: 0,
      renamed: 1,
      unchanged: 0,
    });
    expect((await store.listSubscribers('daily', { limit: 10 })).map(({ name }) => name)).toEqual([null, 'Nu']);
  });

  it('pages through every digest by digest then address, and counts per digest', async () => {
    await store.addSubscribers('weekly', [{ address: 'w1@example.org', name: null }], AT);
    await store.addSubscribers(
      'daily',
      ['d3', 'd1', 'd2'].map((local) => ({ address: `${local}@example.org`, name: null })),
      AT,
    );
    const first = await store.listSubscribers(null, { limit: 2 });
    expect(first.map((row) => `${row.digestId}/${row.address}`)).toEqual(['daily/d1@example.org', 'daily/d2@example.org']);
    const next = await store.listSubscribers(null, { limit: 2, after: first.at(-1)! });
    expect(next.map((row) => `${row.digestId}/${row.address}`)).toEqual(['daily/d3@example.org', 'weekly/w1@example.org']);
    expect(await store.listSubscribers(null, { limit: 2, after: next.at(-1)! })).toEqual([]);
    expect(await store.countSubscribers()).toEqual(
      new Map([
        ['daily', 3],
        ['weekly', 1],
      ]),
    );
  });

  it('removes from one digest or from all of them', async () => {
    await store.addSubscribers('daily', [{ address: 'ann@example.org', name: null }], AT);
    await store.addSubscribers('weekly', [{ address: 'ann@example.org', name: null }], AT);
    expect(await store.removeSubscriber('ANN@example.org', 'daily')).toBe(1);
    expect(await store.removeSubscriber('ann@example.org', 'daily')).toBe(0);
    await store.addSubscribers('daily', [{ address: 'ann@example.org', name: null }], AT);
    expect(await store.removeSubscriber('ann@example.org', null)).toBe(2);
    expect(await store.countSubscribers()).toEqual(new Map());
  });

  it('gives a digest the subscribers not unsubscribed from it or from every digest; a resubscribe brings one back', async () => {
    await store.addSubscribers(
      'daily',
      ['stays', 'left-daily', 'left-all', 'left-weekly'].map((local) => ({ address: `${local}@example.org`, name: local })),
      AT,
    );
    await store.unsubscribe('left-daily@example.org', 'daily', AT);
    await store.unsubscribe('left-all@example.org', null, AT);
    await store.unsubscribe('left-weekly@example.org', 'weekly', AT);
    expect(await store.digestSubscribers('daily')).toEqual([
      { address: 'left-weekly@example.org', name: 'left-weekly' },
      { address: 'stays@example.org', name: 'stays' },
    ]);
    await store.resubscribe('left-all@example.org', 'daily', LATER);
    expect((await store.digestSubscribers('daily')).map((row) => row.address)).toContain('left-all@example.org');
  });

  it('pages through the subscribers who get a digest: the same rows as digestSubscribers, without the unsubscribed, paused and bouncing', async () => {
    const locals = Array.from({ length: 23 }, (_, index) => `r${String(index).padStart(2, '0')}`);
    await store.addSubscribers(
      'daily',
      locals.map((local) => ({ address: `${local}@example.org`, name: local === 'r03' ? null : `Reader ${local}` })),
      AT,
    );
    await store.addSubscribers('weekly', [{ address: 'r99@example.org', name: null }], AT);
    await store.unsubscribe('r00@example.org', 'daily', AT); // the first row: a page never starts with a gap
    await store.unsubscribe('r05@example.org', null, AT);
    await store.unsubscribe('r06@example.org', 'weekly', AT); // another digest's: still gets daily
    await store.unsubscribe('r07@example.org', null, AT);
    await store.resubscribe('r07@example.org', 'daily', LATER); // its own row decides: gets daily again
    expect(await store.setPreferences('daily', 'r10@example.org', { paused: true })).toBe(true);
    expect(await store.recordPermanentFailure('r14@example.org', '550 5.1.1 gone', AT, 1)).toBe(true);
    await store.unsubscribe('r22@example.org', 'daily', AT); // the last row
    const whole = await store.digestSubscribers('daily');
    expect(whole.map((row) => row.address.slice(0, 3))).toEqual(
      locals.filter((local) => !['r00', 'r05', 'r10', 'r14', 'r22'].includes(local)),
    );
    for (const limit of [1, 3, 6, 18, 50]) {
      const pages: Array<Array<{ address: string; name: string | null }>> = [];
      let after: string | undefined;
      for (;;) {
        const page = await store.listDigestSubscribers('daily', { limit, ...(after === undefined ? {} : { after }) });
        expect(page.length).toBeLessThanOrEqual(limit);
        pages.push(page);
        if (page.length < limit) break;
        after = page.at(-1)!.address;
      }
      expect(pages.flat()).toEqual(whole);
      expect(pages).toHaveLength(Math.floor(whole.length / limit) + 1);
    }
    expect(await store.listDigestSubscribers('daily', { limit: 2, after: 'r20@example.org' })).toEqual([
      { address: 'r21@example.org', name: 'Reader r21' },
    ]);
    expect(await store.listDigestSubscribers('daily', { limit: 2, after: 'r02' })).toEqual([
      { address: 'r02@example.org', name: 'Reader r02' },
      { address: 'r03@example.org', name: null },
    ]);
    expect(await store.listDigestSubscribers('monthly', { limit: 5 })).toEqual([]);
  });

  it('adds 20,000 subscribers in one call', async () => {
    const many = Array.from({ length: 20_000 }, (_, index) => ({ address: `reader${index}@example.org`, name: `Reader ${index}` }));
    expect(await store.addSubscribers('daily', many, AT)).toEqual({ added: 20_000, renamed: 0, unchanged: 0 });
    expect((await store.digestSubscribers('daily')).length).toBe(20_000);
  });

  it('forgets signups requested before forgetBefore when one is kept, and drops one only at its own time', async () => {
    const signup = (address: string, requestedAt: Date) => ({
      digestId: 'daily',
      address,
      name: null,
      choices: { columnists: [], outlets: [], tags: [] },
      requestedAt,
    });
    const old = new Date(AT.getTime() - 5 * 24 * 3600_000);
    await store.saveSignup(signup('old@example.org', old));
    await store.saveSignup(signup('recent@example.org', AT));
    await store.saveSignup(signup('new@example.org', LATER), new Date(LATER.getTime() - 72 * 3600_000));
    expect((await store.listSignups(null)).map((kept) => kept.address)).toEqual(['new@example.org', 'recent@example.org']);
    expect(await store.dropSignup('daily', 'NEW@example.org', AT)).toBe(false); // not its time: a newer request replaced it
    expect(await store.dropSignup('daily', 'NEW@example.org', LATER)).toBe(true);
    expect((await store.listSignups('daily')).map((kept) => kept.address)).toEqual(['recent@example.org']);
  });

  it('keeps a signup over another only when that one was requested before replaceBefore, and says whether it kept it', async () => {
    const signup = (requestedAt: Date, name: string) => ({
      digestId: 'daily',
      address: 'again@example.org',
      name,
      choices: { columnists: [], outlets: [], tags: [] },
      requestedAt,
    });
    const soon = new Date(AT.getTime() + 1);
    expect(await store.saveSignup(signup(AT, 'first'), undefined, new Date(AT.getTime() - 600_000))).toBe(true);
    expect(await store.saveSignup(signup(soon, 'second'), undefined, new Date(soon.getTime() - 600_000))).toBe(false);
    expect(await store.signup('daily', 'again@example.org')).toMatchObject({ name: 'first', requestedAt: AT });
    // Past replaceBefore (the earlier link was mailed long enough ago), or none given: replaced.
    expect(await store.saveSignup(signup(LATER, 'third'), undefined, new Date(LATER.getTime() - 600_000))).toBe(true);
    expect(await store.saveSignup(signup(soon, 'fourth'))).toBe(true);
    expect(await store.signup('daily', 'again@example.org')).toMatchObject({ name: 'fourth', requestedAt: soon });
  });
});
