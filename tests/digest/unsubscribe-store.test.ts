/** The subscription records behind unsubscribe links: the same contract on SQLite and on PostgreSQL, with the real migrations. */
import { describe, expect, it, onTestFinished } from 'vitest';
import { type Store } from '../../src/storage/store.ts';
import { storeBackends } from '../helpers/store-backends.ts';

const T = (minutes: number) => new Date(Date.UTC(2026, 6, 1, 12, minutes));

const standing = async (store: Store, digestId: string) => {
  const state = await store.subscriptionState('r@example.org', digestId);
  return state && { state: state.state, since: state.since.toISOString().slice(11, 16), scope: state.scope, epoch: state.epoch };
};

describe.each(storeBackends)('the $name store', (backend) => {
  async function openStore(): Promise<Store> {
    const store = await backend.open(await backend.newLocation());
    onTestFinished(() => store.close());
    return store;
  }

  describe('subscription records', () => {
    it("records nothing until someone unsubscribes, and keeps the first unsubscribe's time", async () => {
      const store = await openStore();
      expect(await standing(store, 'daily')).toBeNull();
      await store.unsubscribe('R@Example.org', 'daily', T(1));
      await store.unsubscribe('r@example.org', 'daily', T(5));
      expect(await standing(store, 'daily')).toEqual({ state: 'unsubscribed', since: '12:01', scope: 'digest', epoch: 0 });
      expect(await standing(store, 'weekly')).toBeNull();
    });

    it.each([
      [
        'one digest, then resubscribed to it',
        async (store: Store) => {
          await store.unsubscribe('r@example.org', 'daily', T(1));
          expect(await store.resubscribe('r@example.org', 'daily', T(2))).toBe(true);
        },
        { daily: ['subscribed', 1], weekly: null },
      ],
      [
        'all digests, then resubscribed to one',
        async (store: Store) => {
          await store.unsubscribe('r@example.org', null, T(1));
          expect(await store.resubscribe('r@example.org', 'daily', T(2))).toBe(true);
        },
        { daily: ['subscribed', 1], weekly: ['unsubscribed', 0] },
      ],
      [
        'one digest, then all, then resubscribed to all',
        async (store: Store) => {
          await store.unsubscribe('r@example.org', 'daily', T(1));
          await store.unsubscribe('r@example.org', null, T(2));
          expect(await store.resubscribe('r@example.org', null, T(3))).toBe(true);
        },
        { daily: ['subscribed', 2], weekly: ['subscribed', 1] },
      ],
      [
        'resubscribed, then unsubscribed from all again',
        async (store: Store) => {
          await store.unsubscribe('r@example.org', 'daily', T(1));
          await store.resubscribe('r@example.org', 'daily', T(2));
          await store.unsubscribe('r@example.org', null, T(3));
        },
        { daily: ['unsubscribed', 1], weekly: ['unsubscribed', 0] },
      ],
      [
        'a resubscribe of someone never unsubscribed',
        async (store: Store) => {
          expect(await store.resubscribe('r@example.org', 'daily', T(1))).toBe(false);
          expect(await store.resubscribe('r@example.org', null, T(1))).toBe(false);
        },
        { daily: null, weekly: null },
      ],
    ])('after %s: state and epoch per digest', async (_case, steps, expected) => {
      const store = await openStore();
      await steps(store);
      for (const digestId of ['daily', 'weekly'] as const) {
        const state = await standing(store, digestId);
        expect(state && [state.state, state.epoch]).toEqual(expected[digestId]);
        expect((await store.unsubscribedAddresses(digestId)).has('r@example.org')).toBe(expected[digestId]?.[0] === 'unsubscribed');
      }
    });

    it('never lets an epoch go back, so an old link stays old', async () => {
      const store = await openStore();
      const epochs: number[] = [];
      for (let round = 0; round < 3; round++) {
        await store.unsubscribe('r@example.org', round % 2 === 0 ? 'daily' : null, T(round * 2));
        await store.resubscribe('r@example.org', round % 2 === 0 ? null : 'daily', T(round * 2 + 1));
        epochs.push((await store.subscriptionState('r@example.org', 'daily'))!.epoch);
      }
      expect(epochs).toEqual([...epochs].sort((a, b) => a - b));
      expect(new Set(epochs).size).toBe(3);
    });

    it('lists the standing of every address for a digest', async () => {
      const store = await openStore();
      await store.unsubscribe('a@example.org', 'daily', T(1));
      await store.unsubscribe('b@example.org', null, T(2));
      await store.unsubscribe('c@example.org', 'weekly', T(3));
      const states = await store.subscriptionStates('daily');
      expect([...states.keys()].sort()).toEqual(['a@example.org', 'b@example.org']);
      expect(states.get('b@example.org')).toMatchObject({ state: 'unsubscribed', scope: 'all', since: T(2) });
    });
  });
});
